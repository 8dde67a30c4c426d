"""A prior of one rig on motions of another: choosing the prior and mapping motions through a rig map.

:func:`choose_prior` returns the prior a ``--prior`` spec names for a motion and, where the
prior models another rig, a :class:`PriorRig` that carries the motion onto the prior's rig
and the results back (:mod:`posefield.skeleton.retarget`). The default ``ndf`` picks the
shipped prior of the motion's rig, else the shipped prior whose rig shares the most body
landmarks with it, and says so. A mapping file (:func:`posefield.io.rigmap.read_rig_map`)
completes or overrides the automatic joint match.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from posefield.data.filtering import smooth_rotations
from posefield.errors import MotionFormatError, SkeletonMismatchError
from posefield.motion import Motion
from posefield.prior.base import PosePrior
from posefield.prior.ndf.model import PoseNDF
from posefield.prior.ndf.projection import project
from posefield.prior.registry import SHIPPED_SUFFIX, get_prior, no_prior
from posefield.rotations import canonical_hemisphere, quaternion_mean
from posefield.skeleton import POSITION_CHANNELS, Skeleton
from posefield.skeleton.retarget import RigMap, calibrate, learn_shares, match_rigs, to_source, to_target, world_frames


def _quats(rotmats: np.ndarray) -> np.ndarray:
    import roma  # imports torch._dynamo (seconds): only where needed
    return canonical_hemisphere(roma.rotmat_to_unitquat(torch.as_tensor(rotmats))).numpy()


def _rotmats(quats: np.ndarray) -> np.ndarray:
    import roma  # imports torch._dynamo (seconds): only where needed
    return roma.unitquat_to_rotmat(torch.as_tensor(quats, dtype=torch.float64)).numpy()


def prior_poses_full(prior: PosePrior) -> np.ndarray:
    """(M, J, 3, 3) local rotations of the prior's exemplar poses on its whole skeleton (other
    joints at rest); the rest pose alone when the prior has no exemplars."""
    skeleton = prior.skeleton
    exemplars = prior.exemplars()
    count = 1 if exemplars is None else len(exemplars)
    out = np.tile(np.eye(3), (count, skeleton.num_joints, 1, 1))
    if exemplars is not None:
        out[:, prior.joint_index] = _rotmats(exemplars.double().numpy())
    return out


@dataclasses.dataclass(frozen=True)
class PriorRig:
    """A calibrated map from a motion's rig onto a prior's rig.

    Attributes:
        rig_map: pairs (prior joint ← motion joint) and their frame offsets.
        defaults: (Jp, 3, 3) rotations of prior joints below every pair (the exemplars' mean).
        name: the prior's name (for messages).
    """

    rig_map: RigMap
    defaults: np.ndarray
    name: str = "prior"

    def to_prior(self, motion: Motion, reachable: bool = False) -> Motion:
        """``motion`` (on the source rig) as a motion of the prior's rig; ``reachable``: every
        paired prior joint within its channels, for scoring (see :func:`to_target`)."""
        rotmats, translation = to_target(self.rig_map, motion.rotmats(), motion.root_translation, self.defaults,
                                         reachable)
        return Motion(self.rig_map.target, _quats(rotmats), translation, motion.fps, dict(motion.source))

    def to_source(self, result: Motion, original: Motion) -> Motion:
        """``result`` (on the prior's rig, frame for frame with ``original``) back on ``original``'s
        rig: the paired joints from ``result``, every other joint as in ``original``, each
        within its own channels (a root without position channels keeps ``original``'s
        place along those axes, see :func:`fixed_root_axes`)."""
        rotmats, translation = to_source(self.rig_map, result.rotmats(), result.root_translation, original.rotmats())
        fixed = fixed_root_axes(original.skeleton)
        translation[:, fixed] = original.root_translation[:, fixed]
        return dataclasses.replace(original, rotations=_quats(rotmats), root_translation=translation,
                                   source=dict(result.source))

    def hidden_on_prior(self, hidden: list[int]) -> list[int]:
        """Prior joints standing for the source joints ``hidden``, with the unpaired prior joints below them."""
        found = {t for t, s in self.rig_map.pairs if s in hidden}
        paired = {t for t, _ in self.rig_map.pairs}
        target = self.rig_map.target
        for j in range(target.num_joints):
            if j not in paired and target.parents[j] in found:
                found.add(j)
        return sorted(found)


def fixed_root_axes(skeleton: Skeleton) -> list[int]:
    """The axes (0, 1, 2 for X, Y, Z) along which ``skeleton``'s root has no position channel, so
    cannot move (a BVH root with only rotation channels); none on a rig read with the body's
    translation on the root's child (``meta["static_root"]``, ``meta["root_motion"]``, see :mod:`posefield.io.bvh`)."""
    if "static_root" in skeleton.meta or "root_motion" in skeleton.meta:
        return []
    return [k for k, channel in enumerate(POSITION_CHANNELS) if channel not in skeleton.channels[0]]


def map_to_prior(prior: PosePrior, motion: Motion, overrides: dict[str, str | None] | None = None) -> PriorRig:
    """Match ``motion``'s rig to the prior's, calibrate the map on the motion's frames and, for
    a Pose-NDF prior and a motion of at least :data:`SETTLE_MIN_FRAMES` frames, settle it on
    the prior's manifold (:func:`settle`)."""
    poses = prior_poses_full(prior)
    rig_map = calibrate(match_rigs(prior.skeleton, motion.skeleton, overrides), poses, motion.rotmats())
    rig_map = learn_shares(rig_map, poses)
    mean = quaternion_mean(torch.as_tensor(_quats(poses)), dim=0).double().numpy()
    mapped = PriorRig(rig_map, _rotmats(mean / np.linalg.norm(mean, axis=-1, keepdims=True)))
    if isinstance(prior, PoseNDF) and motion.num_frames >= SETTLE_MIN_FRAMES:
        return settle(prior, mapped, motion)
    return mapped


# rounds of :func:`settle`: the first turns the offsets 15° on average (DAZ onto cmu-asf), each
# later one about 0.1° more; on the DAZ BVH clips the AUC of real frames against 5° noise went
# 0.974 (3 rounds) -> 0.977 (6) -> 0.979 (10) -> 0.980 (20) -> 0.980 (40), denoising 0.978x ->
# 0.985x the no-prior fit (3 -> 20). A round costs one projection of SETTLE_FRAMES frames (0.05 s).
SETTLE_ROUNDS = 20
SETTLE_FRAMES = 256  # frames of the motion it looks at, evenly spread
SETTLE_MIN_FRAMES = 10  # fewer frames do not average a frame's own departures out
# σ of the temporal filter the motion gets before settling (the denoising start filter's): a
# file's frame-to-frame noise would otherwise settle the map of a noisy file toward hiding it
SETTLE_SMOOTHING_S = 0.05


def filtered_frames(rotations: np.ndarray, pick: np.ndarray, sigma_frames: float) -> np.ndarray:
    """(len(pick), J, 4) the frames ``pick`` of (T, J, 4) ``rotations`` filtered along time
    (:func:`posefield.data.filtering.smooth_rotations`, σ in frames), each from the frames its
    filter reaches only: the whole clip's filter at those frames, without filtering all of it."""
    radius = int(np.ceil(3 * sigma_frames)) if sigma_frames > 0 else 0
    out = np.empty((len(pick),) + rotations.shape[1:])
    for n, t in enumerate(pick):
        low = max(t - radius, 0)
        out[n] = smooth_rotations(rotations[low:t + radius + 1], sigma_frames)[t - low]
    return out


def settle(prior: PoseNDF, mapped: PriorRig, motion: Motion, rounds: int = SETTLE_ROUNDS,
           frames: int = SETTLE_FRAMES) -> PriorRig:
    """The map with each pair's frame offset turned by the mean turn that projecting the mapped
    frames onto the prior's manifold gives that joint, ``rounds`` times.

    Two rigs' joints rarely sit in the same place within their bones (a DAZ collar is not
    quite a CMU clavicle): such a difference is the same in every frame, which averaging over
    frames keeps, while a frame's own departures from the manifold average out. On the DAZ
    BVH clips mapped onto ``cmu-asf`` the constant parts before settling were largest at the
    collars (15°) and the neck (12°); settling raised the AUC of real frames against frames
    with 5° noise from 0.73 to 0.82 (``benchmarks/rigmap.md`` has the current figures). The
    turns are whole rotations, so a mapped bone may then point up to 20-30° away from its
    source bone (``posefield rig`` shows it as the residual): the prior's rotations are
    relative to each training subject's rest pose, and settling finds what the user's rest
    pose corresponds to in those terms. Keeping the bones' directions (turning only about
    each bone) scored the DAZ clips worse (AUC 0.67). The frames are mapped within the
    prior's channels (``to_prior(reachable=True)``, as scoring maps them); the turns it
    finds then put the DAZ clips' arms 25-38° from the calibration (clavicle to hand).

    The frames are first filtered along time (Gaussian, σ = :data:`SETTLE_SMOOTHING_S`): what
    settling should find is constant, while noise differs from frame to frame, and settled on
    the noisy frames themselves a map turned to hide part of the noise (projection's mean turn
    on noisy poses is not zero). Held-out CMU clips on a rig with two spine joints, each file
    calibrated on itself as ``score`` does: AUC of real frames against 5° noise 0.983 -> 0.991
    (``benchmarks/rigmap.md``).
    """
    import roma  # imports torch._dynamo (seconds): only where needed
    target = mapped.rig_map.target
    pick = np.unique(np.linspace(0, motion.num_frames - 1, min(motion.num_frames, frames)).round().astype(int))
    sample = dataclasses.replace(motion, rotations=filtered_frames(motion.rotations, pick, SETTLE_SMOOTHING_S * motion.fps),
                                 root_translation=motion.root_translation[pick], source=dict(motion.source))
    zero = np.zeros((len(pick), 3))
    for _ in range(rounds):
        on_prior = mapped.to_prior(sample, reachable=True)
        result = project(prior, torch.as_tensor(on_prior.rotations[:, prior.joint_index], dtype=torch.float32))
        settled = on_prior.rotations.copy()
        settled[:, prior.joint_index] = result.quats.detach().double().numpy()
        before, _ = world_frames(target, on_prior.rotmats(), zero)
        after, _ = world_frames(target, _rotmats(settled), zero)
        joints = [t for t, _ in mapped.rig_map.pairs]
        turn = np.swapaxes(before[:, joints], -1, -2) @ after[:, joints]  # (F, P, 3, 3)
        mean = roma.special_procrustes(torch.as_tensor(turn.mean(axis=0))).numpy()
        mapped = dataclasses.replace(mapped, rig_map=dataclasses.replace(
            mapped.rig_map, offsets=mapped.rig_map.offsets @ mean))
    return mapped


def rest_motion(skeleton: Skeleton) -> Motion:
    """A one-frame motion of ``skeleton`` in its rest pose (root at its rest offset)."""
    rotations = np.zeros((1, skeleton.num_joints, 4))
    rotations[..., 3] = 1
    return Motion(skeleton, rotations, skeleton.offsets[:1].copy(), 30.0)


def _shipped_of_kind(kind: str) -> list[str]:
    """Shipped prior names of ``kind`` (``ndf``, ``vae``, ``gmm``), the default rig's first."""
    from posefield.prior.checkpoint import DEFAULT_PRIOR, shipped_priors

    def kind_of(name: str) -> str:
        return next((k for k, suffix in SHIPPED_SUFFIX.items() if suffix and name.endswith(suffix)), "ndf")

    names = [n for n in shipped_priors() if kind_of(n) == kind]
    default = DEFAULT_PRIOR + SHIPPED_SUFFIX[kind]
    return [default] * (default in names) + [n for n in names if n != default]


def own_rig_prior(spec: str, skeleton: Skeleton) -> PosePrior:
    """The prior ``spec`` names (as :func:`choose_prior` takes it) where it models ``skeleton``'s
    rig: no map, so the motion's frames are not needed to choose it. Raises
    :class:`SkeletonMismatchError` where it models another rig (:func:`choose_prior` maps it)."""
    return no_prior(skeleton) if spec == "none" else get_prior(spec, skeleton)


def choose_prior(spec: str, motion: Motion, rig_map_file: Path | None = None,
                 notify: Callable[[str], None] | None = None) -> tuple[PosePrior, PriorRig | None]:
    """The prior ``spec`` names for ``motion``, and the map onto its rig where it models another.

    Args:
        spec: ``none``, ``ndf``/``vae``/``gmm`` (the shipped prior of that kind for the motion's
            rig, else the shipped one that matches the most joints), a shipped prior's name or a
            checkpoint path.
        motion: the motion to apply it to (its frames calibrate the map).
        rig_map_file: a mapping file completing or overriding the automatic match
            (:mod:`posefield.io.rigmap`); unused when the prior models the motion's own rig.
        notify: hears one line when a mapping is used.
    Raises:
        CheckpointError: unknown prior. SkeletonMismatchError: no joint in common.
        MotionFormatError: a bad mapping file (naming it).
    """
    from posefield.io.rigmap import read_rig_map
    from posefield.prior.checkpoint import load_prior

    skeleton = motion.skeleton
    try:
        return own_rig_prior(spec, skeleton), None
    except SkeletonMismatchError as exc:
        mismatch = exc
    entries = read_rig_map(rig_map_file) if rig_map_file is not None else []
    candidates = _shipped_of_kind(spec) if spec in SHIPPED_SUFFIX else [spec]
    best: tuple[int, str, PosePrior, PriorRig] | None = None
    errors: list[Exception] = []
    for name in candidates:
        prior = load_prior(name)
        if prior.skeleton is None:
            raise mismatch
        try:
            overrides = check_overrides(rig_map_file, entries, prior.skeleton, skeleton) if entries else None
            mapped = map_to_prior(prior, motion, overrides)
        except (MotionFormatError, SkeletonMismatchError) as exc:
            errors.append(exc)
            continue
        score = len(mapped.rig_map.pairs)
        if best is None or score > best[0]:
            best = (score, name, prior, mapped)
    if best is None:
        raise errors[0]
    score, name, prior, mapped = best
    mapped = dataclasses.replace(mapped, name=name)
    if notify is not None:
        notify(f"{name!r} prior (another rig) through a rig mapping: {score} joints matched, "
               f"{len(mapped.rig_map.unmapped_source())} of this skeleton kept as they are (see 'posefield rig')")
    return prior, mapped


def check_overrides(path: Path, entries: list[tuple[int, str, str | None]], prior: Skeleton,
                    source: Skeleton) -> dict[str, str | None]:
    """The overrides of a mapping file's ``(line, prior joint, motion joint or None)`` entries,
    checked against both rigs. Raises :class:`MotionFormatError` naming the file and line."""
    out: dict[str, str | None] = {}
    for line, target_name, source_name in entries:
        if target_name not in prior.names:
            raise MotionFormatError(path, f"{target_name!r} is not a joint of the prior's {prior.rig!r} rig", line=line)
        if source_name is not None and source_name not in source.names:
            raise MotionFormatError(path, f"{source_name!r} is not a joint of the motion's skeleton", line=line)
        out[target_name] = source_name
    return out


def describe_mapping(mapped: PriorRig, motion: Motion) -> str:
    """Text report of a map (``posefield rig``): each pair (prior joint ← motion joint) with its
    landmark, the turn between the two joints' frames (the rest poses' difference, degrees) and
    the mean angle left between the paired bones after mapping the motion; then the unpaired
    joints of both rigs."""
    import roma  # imports torch._dynamo (seconds): only where needed
    from posefield.skeleton.retarget import direction_residuals, rest_poses_agree

    rig_map = mapped.rig_map
    on_prior = mapped.to_prior(motion)
    residual = direction_residuals(rig_map, motion.rotmats(), motion.root_translation, on_prior.rotmats(),
                                   on_prior.root_translation)
    turn = np.degrees(roma.rotmat_to_rotvec(torch.as_tensor(rig_map.offsets)).norm(dim=-1).numpy())
    how = ("the rest poses are alike: calibrated on them" if rest_poses_agree(rig_map) else
           f"the rest poses differ: calibrated on the motion's {motion.num_frames} frames")
    width = max(len(rig_map.target.names[t]) for t, _ in rig_map.pairs)
    source_width = max(len(rig_map.source.names[s]) for _, s in rig_map.pairs)
    lines = [f"prior {mapped.name!r} ({rig_map.target.rig} rig, {rig_map.target.num_joints} joints) <- motion "
             f"({rig_map.source.rig} rig, {rig_map.source.num_joints} joints); {how}",
             f"{'prior joint':<{width}}    {'motion joint':<{source_width}}  {'landmark':<12} turn°  residual°"]
    for k, ((t, s), landmark) in enumerate(zip(rig_map.pairs, rig_map.landmarks)):
        rest = "-" if np.isnan(residual[k]) else f"{residual[k]:.1f}"
        lines.append(f"{rig_map.target.names[t]:<{width}} <- {rig_map.source.names[s]:<{source_width}}  "
                     f"{landmark or '(map file)':<12} {turn[k]:5.1f}  {rest:>9}")
    lines.append("motion joints kept as they are: " + (", ".join(rig_map.source.names[j] for j in
                                                                  rig_map.unmapped_source()) or "none"))
    lines.append("prior joints without a pair: " + (", ".join(rig_map.target.names[j] for j in
                                                              rig_map.unmapped_target()) or "none"))
    return "\n".join(lines)
