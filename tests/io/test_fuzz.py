"""Fuzz the readers with malformed variants of real files.

Every variant must either load into a valid Motion or raise a PosefieldError whose message
is one line naming the file — never another exception type, never a hang.
"""
import random
import shutil
from pathlib import Path

import numpy as np
import pytest

from posefield.errors import PosefieldError
from posefield.io import load_motion

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One random corruption of a text file's bytes."""
    lines = data.split(b"\n")
    kind = rng.choice(["truncate", "garbage", "drop_line", "dup_line", "nan", "token", "swap", "empty_line", "binary"])
    if kind == "truncate":
        return data[: rng.randrange(len(data))]
    if kind == "garbage":
        pos = rng.randrange(len(data))
        return data[:pos] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 16))) + data[pos:]
    if kind == "binary":
        return bytes(rng.randrange(256) for _ in range(rng.randint(0, 400)))
    i = rng.randrange(len(lines))
    if kind == "drop_line":
        del lines[i]
    elif kind == "dup_line":
        lines.insert(i, lines[i])
    elif kind == "empty_line":
        lines.insert(i, b"")
    elif kind == "swap" and len(lines) > 2:
        j = rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    else:
        words = lines[i].split()
        if words:
            k = rng.randrange(len(words))
            words[k] = rng.choice([b"nan", b"inf", b"-inf", b"1e999", b"x", b"--", b"1.2.3", b"{", b"}", b"End", b"ROOT"])
            lines[i] = b" ".join(words)
    return b"\n".join(lines)


def check_load(path: Path, **kwargs) -> None:
    try:
        motion = load_motion(path, **kwargs)
    except PosefieldError as exc:
        message = str(exc)
        assert "\n" not in message, message
        assert path.name in message or "asf" in message.lower(), message
        return
    assert np.isfinite(motion.rotations).all() and np.isfinite(motion.root_translation).all()
    assert motion.num_frames >= 1


CASES = [
    ("cmu/05_17.amc", "amc"),
    ("cmu/05.asf", "asf"),
    ("bvh/salsa_01_head.bvh", "bvh"),
    ("bvh/hand.bvh", "bvh"),
]


@pytest.mark.parametrize("fixture, kind", CASES)
def test_malformed_variants_fail_cleanly(tmp_path, fixture, kind):
    source = FIXTURES / fixture
    rng = random.Random(fixture)
    for trial in range(40):
        work = tmp_path / f"t{trial}"
        work.mkdir()
        if kind == "bvh":
            target = work / source.name
            target.write_bytes(mutate(source.read_bytes(), rng))
            check_load(target)
        elif kind == "amc":
            shutil.copy(FIXTURES / "cmu/05.asf", work / "05.asf")
            target = work / "05_17.amc"
            target.write_bytes(mutate(source.read_bytes(), rng))
            check_load(target)
        else:
            shutil.copy(FIXTURES / "cmu/05_17.amc", work / "05_17.amc")
            (work / "05.asf").write_bytes(mutate(source.read_bytes(), rng))
            check_load(work / "05_17.amc")
