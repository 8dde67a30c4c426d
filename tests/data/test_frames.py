"""A clip read forward block by block: the frames, the hemisphere signs and the noise estimate
are those of the whole clip."""
import numpy as np
import pytest
import roma

from posefield.data.filtering import clip_hemisphere_signs, filter_reach, gaussian_filter, hemisphere_signs
from posefield.data.frames import ForwardFrames
from posefield.fit.jitter import rotation_jitter


def blocks_of(values: np.ndarray, sizes: list[int]):
    """``values`` in consecutive blocks of the given sizes (cycled), an empty block among them."""
    start, k = 0, 0
    yield values[:0]
    while start < len(values):
        yield values[start:start + sizes[k % len(sizes)]]
        start += sizes[k % len(sizes)]
        k += 1


def test_forward_frames_read_as_the_array_and_hold_only_what_was_not_released():
    values = np.arange(50 * 3, dtype=np.float64).reshape(50, 3)
    frames = ForwardFrames(blocks_of(values, [7, 1, 12]), 50, (3,))
    assert len(frames) == 50 and frames.shape == (50, 3) and frames.dtype == np.float64
    np.testing.assert_array_equal(frames[2:9], values[2:9])
    rows = np.clip(np.arange(5, 30), 0, 49)
    np.testing.assert_array_equal(frames[rows], values[rows])
    frames.release(20)
    assert len(frames._held) <= 30 - 20 + 12  # the frames from 20 to the end of the last block read
    with pytest.raises(IndexError, match="frame 19 was released"):
        frames[19:25]
    np.testing.assert_array_equal(frames[np.array([49, 20, 20])], values[[49, 20, 20]])
    np.testing.assert_array_equal(frames[45:80], values[45:])  # a slice past the end is cut, as numpy's
    with pytest.raises(IndexError, match="past the clip"):
        frames[np.array([50])]
    short = ForwardFrames(blocks_of(values[:10], [4]), 50, (3,))
    with pytest.raises(ValueError, match="ended after 10 frames, short of 50"):
        short[0:20]


def test_a_window_filtered_from_forward_frames_is_the_whole_clips_filter():
    """The denoising start: a window of the filtered clip read forward equals the whole clip's filter there."""
    quats = roma.random_unitquat((300, 4)).numpy()
    assert filter_reach(4.0, 300) == 12 and filter_reach(0.0, 300) == 0  # ⌈3σ⌉; none unfiltered
    signs = hemisphere_signs(quats)
    whole = gaussian_filter(quats, 4.0, signs, unit=True)
    frames = ForwardFrames(blocks_of(quats, [11, 50]), 300, (4, 4))
    for w in (slice(0, 90), slice(70, 180), slice(160, 300)):
        np.testing.assert_array_equal(gaussian_filter(frames, 4.0, signs, unit=True, frames=w), whole[w])
        frames.release(w.stop - 20 - filter_reach(4.0, 300))  # the next window's start less the filter's reach


@pytest.mark.parametrize("sizes", [[1], [2, 3], [7], [1000]])
def test_signs_and_noise_from_blocks_are_the_whole_clips(sizes):
    rng = np.random.default_rng(0)
    quats = roma.random_unitquat((120, 5)).numpy() * rng.choice([-1.0, 1.0], (120, 5, 1))
    quats[:, 1] = [0, 0, 0, 1]  # a joint that never moves
    np.testing.assert_array_equal(clip_hemisphere_signs(blocks_of(quats, sizes)), hemisphere_signs(quats))
    dofs = np.array([0, 1, 2, 3, 3])
    assert rotation_jitter(blocks_of(quats, sizes), dofs) == rotation_jitter(quats, dofs)
    assert np.isnan(rotation_jitter(blocks_of(quats[:2], sizes), dofs))  # under 3 frames: unknown
    assert clip_hemisphere_signs(iter(())).shape[0] == 0


def test_unzipped_fields_are_dropped_once_their_iterator_took_them():
    """The rotations and translation of a clip's blocks, read by two forward readers: a block
    is not kept once both have taken it (``itertools.tee`` keeps runs of 57 items)."""
    import gc
    import weakref

    from posefield.data.frames import unzip

    made = []

    def block(k: int) -> tuple[np.ndarray, np.ndarray]:
        pair = (np.full((3, 2), k), np.full((3,), -k))
        made.append((weakref.ref(pair[0]), weakref.ref(pair[1])))
        return pair

    def blocks():
        for k in range(200):
            yield block(k)

    first, second = unzip(blocks(), 2)
    for k in range(200):  # (not zip: it keeps its last tuple of items)
        a, b = next(first), next(second)
        assert a[0, 0] == k and b[0] == -k
        del a, b
        gc.collect()
        assert sum(ref() is not None for pair in made for ref in pair) == 0
    assert len(made) == 200
    made.clear()
    ahead, behind = unzip(blocks(), 2)
    assert [int(a[0, 0]) for a in ahead] == list(range(200))  # one iterator ahead: the other's fields wait
    assert [int(b[0]) for b in behind] == [-k for k in range(200)]
