"""Poses of one rig on another through the pose, not the rest pose.

A :class:`RigMap` pairs joints of a *target* rig (a prior's) with joints of a *source* rig
(the user's). For each pair k (target joint t ← source joint s) one constant rotation C_k
relates their global frames: W_t = W_s · C_k, per frame. A bone's direction and its twist
are thus carried over exactly, and a source joint whose local frame points anywhere (rest
poses in T-pose, A-pose, CMU's pose, or every bone along one local axis) maps the same.

C_k is calibrated (:func:`calibrate`) from two anatomical vectors per landmark (see
:mod:`posefield.skeleton.names`), e.g. for the thigh the thigh bone (hip → knee) and the
knee's bending axis (thigh × shin), each averaged in the joint's local frame over poses of
both rigs; C_k turns the target's pair of mean vectors into the source's (the first
exactly, the second as near as it can). Where both rest poses are standing poses of the
same kind (T-pose against A-pose or CMU's), the rest poses are those poses; otherwise (a rest
pose with every bone along one local axis is no pose at all) the source motion's frames and
the target's exemplar poses are, so such a rig maps like one in T-pose. A bending axis a
straight rest limb does not show (CMU's elbows and knees) comes from those poses in either
case. :func:`posefield.prior.motions.mapping.settle` then fine-tunes C_k on a prior's manifold.

Spine joints pair by their place along the trunk, not their rank (:func:`match_rigs`).
Joints between mapped ones share the rotation between their mapped neighbours: a joint
with one or two rotation channels takes what they reach of it (one channel: the twist about
its axis), others the share the target's poses give them (:func:`learn_shares`: CMU
``lowerback`` below DAZ ``abdomen`` on ``upperback``), else an equal geodesic share; target
joints below every mapped one take given default rotations. For scoring, paired target joints
can be put within their channels (``to_target(reachable=True)``). Mapping back writes the mapped source joints' global
frames and keeps every other source joint's local rotation (fingers, twist joints, extra
spine joints), so source → target → source reproduces the source's mapped joints exactly;
a source joint with fewer than three rotation channels (a one-channel knee, a ``CHANNELS 0``
toe) takes the nearest rotation its channels reach, so the result fits the source's own
channels and is written back in them.
"""
from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import torch

from posefield.errors import SkeletonMismatchError
from posefield.rotations.euler import channels_to_rotmat, rotation_order, rotmat_to_channels
from posefield.skeleton.dofs import RigDofs
from posefield.skeleton.names import LANDMARKS, SIDES, SPINE, find_landmarks, trunk_chain, trunk_fractions
from posefield.skeleton.skeleton import Skeleton

DEGENERATE = 1e-3  # shortest mean vector (of unit vectors or sines) that still sets a direction
REST_TOLERANCE_DEG = 60.0  # largest bone-direction difference of two rest poses of the same kind

# Per landmark: (primary, secondary) anatomical vectors, each a list of alternatives (first
# available wins). ("d", a, b): direction a -> b; ("x", a, b, c): (a -> b) × (b -> c), unit directions.
_LATERAL_HIPS = [("d", "r_thigh", "l_thigh")]
_LATERAL_ARMS = [("d", "r_upperarm", "l_upperarm"), ("d", "r_clavicle", "l_clavicle")] + _LATERAL_HIPS
_UP = [("d", "pelvis", x) for x in ("chest", "neck", "head")]


def _vector_table() -> dict[str, tuple[list[tuple[str, ...]], list[tuple[str, ...]]]]:
    table = {
        "pelvis": (_LATERAL_HIPS, _UP),
        "spine": ([("d", "spine", x) for x in ("spine_mid", "chest", "neck", "head")], _LATERAL_HIPS),
        "spine_mid": ([("d", "spine_mid", x) for x in ("chest", "neck", "head")], _LATERAL_ARMS),
        "chest": ([("d", "chest", x) for x in ("neck", "head")], _LATERAL_ARMS),
        "neck": ([("d", "neck", "head")], _LATERAL_ARMS),
        "head": ([("d", "neck", "head"), ("d", "chest", "head")], _LATERAL_ARMS),
    }
    for s in SIDES:
        elbow = [("x", f"{s}_upperarm", f"{s}_forearm", f"{s}_hand")]
        knee = [("x", f"{s}_thigh", f"{s}_shin", f"{s}_foot")]
        table.update({
            f"{s}_clavicle": ([("d", f"{s}_clavicle", f"{s}_upperarm")], [("d", "chest", x) for x in ("neck", "head")]),
            f"{s}_upperarm": ([("d", f"{s}_upperarm", f"{s}_forearm")], elbow),
            f"{s}_forearm": ([("d", f"{s}_forearm", f"{s}_hand")], elbow),
            f"{s}_hand": ([("d", f"{s}_forearm", f"{s}_hand")], elbow),
            f"{s}_thigh": ([("d", f"{s}_thigh", f"{s}_shin")], knee),
            f"{s}_shin": ([("d", f"{s}_shin", f"{s}_foot")], knee),
            f"{s}_foot": ([("d", f"{s}_foot", f"{s}_toe"), ("d", f"{s}_shin", f"{s}_foot")],
                          knee + [("d", f"{s}_shin", f"{s}_foot")]),
            f"{s}_toe": ([("d", f"{s}_foot", f"{s}_toe")], knee + [("d", f"{s}_shin", f"{s}_foot")]),
        })
    return table


VECTORS = _vector_table()
"""Landmark -> (primary, secondary) vector alternatives used to calibrate its pair."""


@dataclasses.dataclass(frozen=True)
class RigMap:
    """Joint pairs of a target rig and a source rig, and their frame offsets.

    Attributes:
        target, source: the two skeletons.
        pairs: (P,) (target joint, source joint) index pairs, target joints in increasing order.
        landmarks: (P,) the landmark each pair stands for (``""`` for a pair that is none).
        offsets: (P, 3, 3) C_k with W_target = W_source · C_k (identity until calibrated).
        shares: unpaired target joint between paired ones -> (F, 3) coefficients of its
            rotation vector from :func:`_share_features` (:func:`learn_shares`); a joint
            without them takes an equal share.
    """

    target: Skeleton
    source: Skeleton
    pairs: tuple[tuple[int, int], ...]
    landmarks: tuple[str, ...]
    offsets: np.ndarray
    shares: dict[int, np.ndarray] = dataclasses.field(default_factory=dict)

    def unmapped_source(self) -> list[int]:
        """Source joints no pair uses."""
        used = {s for _, s in self.pairs}
        return [j for j in range(self.source.num_joints) if j not in used]

    def unmapped_target(self) -> list[int]:
        """Target joints no pair uses."""
        used = {t for t, _ in self.pairs}
        return [j for j in range(self.target.num_joints) if j not in used]


def match_rigs(target: Skeleton, source: Skeleton, overrides: dict[str, str | None] | None = None) -> RigMap:
    """Pair the landmarks both rigs have (the spine's by place, :func:`_spine_pairs`), then apply
    ``overrides`` (target joint name -> source joint name, ``None`` to unpair it); offsets are
    identity until :func:`calibrate`.

    Raises:
        SkeletonMismatchError: an override names a joint the rig lacks, or the rigs share no
            pelvis (nothing to hang the body on).
    """
    found_t, found_s = find_landmarks(target), find_landmarks(source)
    pairs = {found_t[name]: (found_s[name], name) for name in LANDMARKS
             if name in found_t and name in found_s and name not in SPINE}
    pairs.update(_spine_pairs(target, found_t, source, found_s))
    landmark_of = {j: name for name, j in found_t.items()}
    for t_name, s_name in (overrides or {}).items():
        t = target.index(t_name)
        pairs.pop(t, None)
        if s_name is None:
            continue
        s = source.index(s_name)
        pairs = {k: v for k, v in pairs.items() if v[0] != s}
        pairs[t] = (s, landmark_of.get(t, ""))
    if not pairs:
        raise SkeletonMismatchError(f"no joint of this {source.rig!r} skeleton matches a joint of the "
                                    f"{target.rig!r} rig (give a mapping file)")
    ordered = sorted(pairs)
    return RigMap(target, source, tuple((t, pairs[t][0]) for t in ordered), tuple(pairs[t][1] for t in ordered),
                  np.tile(np.eye(3), (len(ordered), 1, 1)))


def _spine_pairs(target: Skeleton, found_t: dict[str, int], source: Skeleton,
                 found_s: dict[str, int]) -> dict[int, tuple[int, str]]:
    """Target spine landmark joint -> (source joint, landmark): the source's joints between pelvis
    and chest paired in order with the target's ``spine``/``spine_mid`` joints, those nearest in
    :func:`~posefield.skeleton.names.trunk_fractions` (as many pairs as the shorter side has).

    Rigs split the spine differently (CMU ``lowerback`` at the pelvis, ``upperback``,
    ``thorax``; DAZ ``abdomen`` a third of the way up, ``chest``): a joint's place along the
    trunk, not its rank, tells which joint bends the spine where it does.
    """
    inner_t, inner_s = trunk_chain(target, found_t), trunk_chain(source, found_s)
    labelled = [(inner_t.index(found_t[n]), n) for n in SPINE if n in found_t and found_t[n] in inner_t]
    if not labelled or not inner_s:
        return {}
    at_t = trunk_fractions(target, found_t)[[i for i, _ in labelled]]
    at_s = trunk_fractions(source, found_s)
    count = min(len(labelled), len(inner_s))
    best = min(((cost, picks_t, picks_s) for picks_t in itertools.combinations(range(len(labelled)), count)
                for picks_s in itertools.combinations(range(len(inner_s)), count)
                for cost in [float(np.abs(at_t[list(picks_t)] - at_s[list(picks_s)]).sum())]))
    return {inner_t[labelled[a][0]]: (inner_s[b], labelled[a][1]) for a, b in zip(best[1], best[2])}


# --- kinematics ------------------------------------------------------------------------------


def world_frames(skeleton: Skeleton, rotmats: np.ndarray, translation: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Global rotations and positions.

    Args:
        skeleton: J joints.
        rotmats: (T, J, 3, 3) local rotations (canonical convention).
        translation: (T, 3) root position, metres.
    Returns:
        (T, J, 3, 3) global rotations W and (T, J, 3) positions, metres.
    """
    world = np.empty_like(rotmats)
    pos = np.empty(rotmats.shape[:2] + (3,))
    for j, p in enumerate(skeleton.parents):
        if p < 0:
            world[:, j], pos[:, j] = rotmats[:, j], translation
        else:
            world[:, j] = world[:, p] @ rotmats[:, j]
            pos[:, j] = pos[:, p] + world[:, p] @ skeleton.offsets[j]
    return world, pos


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)


def _world_vector(spec: tuple[str, ...], points: dict[str, np.ndarray]) -> np.ndarray:
    """(T, 3) world vector of a table entry from (T, 3) landmark positions."""
    direction = _unit(points[spec[2]] - points[spec[1]])
    if spec[0] == "d":
        return direction
    return np.cross(direction, _unit(points[spec[3]] - points[spec[2]]))


def _mean_local(spec: tuple[str, ...], points: dict[str, np.ndarray], world: np.ndarray) -> np.ndarray:
    """(3,) mean over frames of the entry's vector in the joint's local frame (world: (T, 3, 3))."""
    return np.einsum("tji,tj->i", world, _world_vector(spec, points)) / len(world)


def _landmark_points(rig_map: RigMap, column: int, positions: np.ndarray) -> dict[str, np.ndarray]:
    """(T, 3) positions of the joints ``rig_map``'s pairs give their landmarks on one of its rigs
    (``column`` 0: the target, 1: the source; positions (T, J, 3) of that rig's joints)."""
    return {name: positions[:, pair[column]] for pair, name in zip(rig_map.pairs, rig_map.landmarks) if name}


def _first_usable(options: list[tuple[str, ...]], sides: list[tuple[dict, np.ndarray]]) -> list[np.ndarray] | None:
    """Mean local vectors on every side for the first option all sides can form and none finds degenerate."""
    for spec in options:
        if not all(name in points for points, _ in sides for name in spec[1:]):
            continue
        means = [_mean_local(spec, points, world) for points, world in sides]
        if min(np.linalg.norm(m) for m in means) > DEGENERATE:
            return means
    return None


def _frame(primary: np.ndarray, secondary: np.ndarray) -> np.ndarray:
    """(3, 3) orthonormal columns: primary, primary × secondary, and their cross product."""
    e1 = _unit(primary)
    e2 = _unit(np.cross(e1, secondary))
    return np.stack([e1, e2, np.cross(e1, e2)], axis=1)


def _swing(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(3, 3) smallest rotation taking direction ``a`` to direction ``b``."""
    import roma  # imports torch._dynamo (seconds): only where needed
    a, b = _unit(a), _unit(b)
    axis = np.cross(a, b)
    if np.linalg.norm(axis) < 1e-9:
        if a @ b > 0:
            return np.eye(3)
        axis = np.cross(a, np.eye(3)[int(np.argmin(np.abs(a)))])
        return roma.rotvec_to_rotmat(torch.as_tensor(_unit(axis) * np.pi)).numpy()
    angle = np.arctan2(np.linalg.norm(axis), a @ b)
    return roma.rotvec_to_rotmat(torch.as_tensor(_unit(axis) * angle)).numpy()


def _rest(skeleton: Skeleton) -> np.ndarray:
    return np.tile(np.eye(3), (1, skeleton.num_joints, 1, 1))


def rest_poses_agree(rig_map: RigMap, tolerance_deg: float = REST_TOLERANCE_DEG) -> bool:
    """Whether the two rest poses are the same kind of standing pose: every pair's primary
    vector points within ``tolerance_deg`` the same way on both (T-pose against A-pose passes,
    a rest pose with every bone along one local axis does not)."""
    residuals = direction_residuals(rig_map, _rest(rig_map.source), np.zeros((1, 3)),
                                    _rest(rig_map.target), np.zeros((1, 3)))
    residuals = residuals[np.isfinite(residuals)]
    return bool(len(residuals)) and float(residuals.max()) < tolerance_deg


def _calibration_sides(rig_map: RigMap, target_rotmats: np.ndarray,
                       source_rotmats: np.ndarray) -> list[tuple[dict[str, np.ndarray], np.ndarray]]:
    """Per rig (target, source): (T, 3) landmark positions and (T, J, 3, 3) global rotations of the poses."""
    sides = []
    for skeleton, rotmats, column in ((rig_map.target, target_rotmats, 0), (rig_map.source, source_rotmats, 1)):
        world, pos = world_frames(skeleton, rotmats, np.zeros((len(rotmats), 3)))
        sides.append((_landmark_points(rig_map, column, pos), world))
    return sides


def _joint_sides(sides: list[tuple[dict, np.ndarray]], t: int, s: int) -> list[tuple[dict, np.ndarray]]:
    """:func:`_calibration_sides` with the global rotations of target joint ``t`` and source joint ``s`` only."""
    return [(sides[0][0], sides[0][1][:, t]), (sides[1][0], sides[1][1][:, s])]


def calibrate(rig_map: RigMap, target_rotmats: np.ndarray, source_rotmats: np.ndarray) -> RigMap:
    """Set each pair's offset C_k (see the module docstring).

    Where both rest poses are the same kind of standing pose (:func:`rest_poses_agree`) they
    serve as the one calibration pose: the offsets are then the smallest turns of each bone
    from one rest pose to the other, with the twist about it from a second vector where both
    rest poses show one, else from the poses given (a straight elbow or knee at rest shows no
    bending axis; the poses' bent ones do). Otherwise the poses given calibrate.

    Args:
        rig_map: from :func:`match_rigs`.
        target_rotmats: (M, Jt, 3, 3) local rotations of plausible target poses (a prior's exemplars).
        source_rotmats: (T, Js, 3, 3) local rotations of source poses (the motion to map).
    Returns:
        the map with calibrated offsets. A pair whose landmark has no usable secondary vector
        gets the smallest rotation that aligns the primary ones; one without either, identity.
    """
    posed = _calibration_sides(rig_map, target_rotmats, source_rotmats)
    rest = _calibration_sides(rig_map, _rest(rig_map.target), _rest(rig_map.source)) \
        if rest_poses_agree(rig_map) else posed
    offsets = []
    for (t, s), name in zip(rig_map.pairs, rig_map.landmarks):
        primary_options, secondary_options = VECTORS.get(name, ([], []))
        primary = _first_usable(primary_options, _joint_sides(rest, t, s))
        secondary = None
        for sides in (rest, posed) if primary is not None else ():
            secondary = _first_usable(secondary_options, _joint_sides(sides, t, s))
            if secondary is not None and min(np.linalg.norm(np.cross(_unit(p), q))
                                             for p, q in zip(primary, secondary)) >= DEGENERATE:
                break
            secondary = None
        if primary is None:
            offsets.append(np.eye(3))
        elif secondary is None:
            offsets.append(_swing(primary[0], primary[1]))
        else:
            offsets.append(_frame(primary[1], secondary[1]) @ _frame(primary[0], secondary[0]).T)
    return dataclasses.replace(rig_map, offsets=np.array(offsets).reshape(-1, 3, 3))


# --- mapping poses ---------------------------------------------------------------------------


def _reachable(skeleton: Skeleton, j: int, rotmats: np.ndarray) -> np.ndarray | None:
    """(T, 3, 3) nearest rotations joint ``j``'s one or two channels reach from ``rotmats``
    (T, 3, 3); ``None`` for a joint with three channels (it reaches every rotation)."""
    import roma  # imports torch._dynamo (seconds): only where needed
    dofs = RigDofs(skeleton, [j]).double()
    if not dofs.restricted:
        return None
    reach, _ = dofs(roma.rotmat_to_unitquat(torch.as_tensor(rotmats))[:, None])
    return roma.unitquat_to_rotmat(roma.quat_normalize(reach[:, 0])).numpy()  # float32 axes: renormalise


def _rotating(skeleton: Skeleton, j: int) -> bool:
    return bool(rotation_order(skeleton.channels[j])) or skeleton.parents[j] < 0


def _chains(target: Skeleton, paired: set[int]) -> dict[int, tuple[int, list[int]]]:
    """Paired target joint -> (the nearest joint above it whose frame an earlier pair sets, or
    -1; the joints between the two, top down), in the order :func:`to_target` visits them."""
    known = np.zeros(target.num_joints, dtype=bool)
    out = {}
    for j in sorted(paired):
        chain = [j]
        while target.parents[chain[-1]] >= 0 and not known[target.parents[chain[-1]]]:
            chain.append(target.parents[chain[-1]])
        known[chain] = True
        out[j] = (target.parents[chain[-1]], chain[:0:-1])
    return out


def _share_features(remaining: np.ndarray, above: np.ndarray | None) -> np.ndarray:
    """(T, F) what a joint's share is predicted from: the rotation vector of the rotation
    ``remaining`` (T, 3, 3) left between the frame above and the paired joint's, that of the
    local rotation ``above`` (T, 3, 3) of the joint above (``None`` at the root) and 1."""
    import roma  # imports torch._dynamo (seconds): only where needed
    parts = [roma.rotmat_to_rotvec(torch.as_tensor(remaining)).numpy()]
    if above is not None:
        parts.append(roma.rotmat_to_rotvec(torch.as_tensor(above)).numpy())
    return np.concatenate(parts + [np.ones((len(remaining), 1))], axis=1)


def _share(rig_map: RigMap, j: int, remaining: np.ndarray, above: np.ndarray | None, parts: int) -> np.ndarray:
    """(T, 3, 3) part of ``remaining`` (T, 3, 3) the unpaired target joint ``j`` takes: a joint
    with one or two channels all of it they reach (a one-channel joint its twist about that
    axis: what it cannot hold would land on the joints below), a three-channel joint the share
    the target's poses give it (:func:`learn_shares`; ``above`` as in :func:`_share_features`),
    else 1/``parts`` of it."""
    import roma  # imports torch._dynamo (seconds): only where needed
    reach = _reachable(rig_map.target, j, remaining)
    if reach is not None:
        return reach
    coefficients = rig_map.shares.get(j)
    if coefficients is None:
        share = roma.rotmat_to_rotvec(torch.as_tensor(remaining)).numpy() / parts
    else:
        share = _share_features(remaining, above) @ coefficients
    return roma.rotvec_to_rotmat(torch.as_tensor(share)).numpy()


SHARE_MIN_POSES = 100  # fewer target poses than this do not fit :func:`learn_shares`


def learn_shares(rig_map: RigMap, target_rotmats: np.ndarray) -> RigMap:
    """The map with shares of the unpaired target joints between paired ones fitted to plausible
    target poses: per joint, least squares of its rotation vector on :func:`_share_features`
    (the rotation left down to the next paired joint and the local rotation of the joint above).

    Rigs split a chain into different joints (CMU ``lowerback`` and ``upperback`` where DAZ
    has one ``abdomen``, paired with ``upperback``; ``upperneck`` between two neck joints) and a
    prior's training poses share the rotation between them in their own way (CMU's
    ``upperback`` follows ``lowerback``: 1.0° mean residual from both, against 3.8° from the
    chain's rotation alone); an equal share puts such poses where the prior has seen none. One-
    and two-channel joints get none: they take what they reach (:func:`_share`).

    Args:
        rig_map: a map (its pairs decide which joints lie between).
        target_rotmats: (M, Jt, 3, 3) local rotations of plausible target poses (a prior's exemplars);
            with fewer than :data:`SHARE_MIN_POSES` the map comes back unchanged.
    """
    import roma  # imports torch._dynamo (seconds): only where needed
    if len(target_rotmats) < SHARE_MIN_POSES:
        return rig_map
    target = rig_map.target
    world, _ = world_frames(target, target_rotmats, np.zeros((len(target_rotmats), 3)))
    shares = {}
    for j, (top, between) in _chains(target, {t for t, _ in rig_map.pairs}).items():
        remaining = np.swapaxes(world[:, top], -1, -2) @ world[:, j] if top >= 0 else world[:, j]
        above = target_rotmats[:, top] if top >= 0 and target.parents[top] >= 0 else None
        for i in (i for i in between if _rotating(target, i)):
            if _reachable(target, i, target_rotmats[:1, i]) is None:
                features = _share_features(remaining, above)
                rotvec = roma.rotmat_to_rotvec(torch.as_tensor(target_rotmats[:, i])).numpy()
                shares[i] = np.linalg.lstsq(features, rotvec, rcond=None)[0]
            remaining = np.swapaxes(target_rotmats[:, i], -1, -2) @ remaining
    return dataclasses.replace(rig_map, shares=shares)


def to_target(rig_map: RigMap, rotmats: np.ndarray, translation: np.ndarray,
              defaults: np.ndarray | None = None, reachable: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Source poses -> target poses.

    Args:
        rig_map: a calibrated map.
        rotmats: (T, Js, 3, 3) source local rotations; translation: (T, 3) source root position, m.
        defaults: (Jt, 3, 3) local rotations of target joints below every pair (identity if ``None``).
        reachable: put each paired target joint with one or two channels at the nearest rotation
            they reach, what they cannot hold passing to the joints below (the twist of a source
            forearm to the target's wrist where the target's elbow is a hinge). Paired joints
            then keep their bone directions only approximately, so results to map back
            (:func:`to_source`) come from poses mapped without it.
    Returns:
        (T, Jt, 3, 3) target local rotations and (T, 3) target root positions, which put the
        first pair's target joint where its source joint is.
    """
    target = rig_map.target
    world_s, pos_s = world_frames(rig_map.source, rotmats, translation)
    t_count = rotmats.shape[0]
    defaults = np.tile(np.eye(3), (target.num_joints, 1, 1)) if defaults is None else defaults
    local = np.tile(defaults, (t_count, 1, 1, 1))
    local[:, [j for j in range(target.num_joints) if not _rotating(target, j)]] = np.eye(3)
    world = np.empty_like(local)
    mapped = {t: world_s[:, s] @ c for (t, s), c in zip(rig_map.pairs, rig_map.offsets)}
    chains = _chains(target, set(mapped))
    for j, p in enumerate(target.parents):
        if j in chains:
            top, between = chains[j]
            remaining = np.swapaxes(world[:, top], -1, -2) @ mapped[j] if top >= 0 else mapped[j]
            above = local[:, top] if top >= 0 and target.parents[top] >= 0 else None
            rotating = [i for i in between if _rotating(target, i)]
            for n, i in enumerate(rotating):
                local[:, i] = _share(rig_map, i, remaining, above, len(rotating) + 1 - n)
                remaining = np.swapaxes(local[:, i], -1, -2) @ remaining
            reach = _reachable(target, j, remaining) if reachable else None
            local[:, j] = remaining if reach is None else reach
            for i in between + [j]:
                world[:, i] = (world[:, target.parents[i]] if target.parents[i] >= 0 else np.eye(3)) @ local[:, i]
        else:  # below every pair (or set again by a later chain)
            world[:, j] = (world[:, p] if p >= 0 else np.eye(3)) @ local[:, j]
    t0, s0 = rig_map.pairs[0]
    _, pos_t = world_frames(target, local, np.zeros((t_count, 3)))
    return local, pos_s[:, s0] - pos_t[:, t0]


def within_channels(skeleton: Skeleton, j: int, rotmats: np.ndarray) -> np.ndarray:
    """(T, 3, 3) nearest rotations joint ``j``'s own rotation channels reach (in its axis frame)
    from ``rotmats`` (T, 3, 3): the identity for a joint without rotation channels, ``rotmats``
    itself for one with three (float64 throughout, so a file's channels are met to print precision)."""
    order = rotation_order(skeleton.channels[j])
    if len(order) == 3:
        return rotmats
    axis = skeleton.axes[j]
    return channels_to_rotmat(rotmat_to_channels(rotmats, order, axis), order, axis)


def to_source(rig_map: RigMap, rotmats: np.ndarray, translation: np.ndarray,
              source_rotmats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Target poses -> source poses, on the source's own joints.

    Args:
        rig_map: a calibrated map.
        rotmats: (T, Jt, 3, 3) target local rotations; translation: (T, 3) target root position, m.
        source_rotmats: (T, Js, 3, 3) source local rotations the unpaired source joints keep.
    Returns:
        (T, Js, 3, 3) source local rotations, each within the joint's channels
        (:func:`within_channels`; the joints below make up for the difference), and (T, 3)
        source root positions (the first pair's source joint where its target joint is).
    """
    source = rig_map.source
    world_t, pos_t = world_frames(rig_map.target, rotmats, translation)
    mapped = {s: world_t[:, t] @ c.T for (t, s), c in zip(rig_map.pairs, rig_map.offsets)}
    local = source_rotmats.copy()
    world = np.empty_like(local)
    for j, p in enumerate(source.parents):
        above = world[:, p] if p >= 0 else np.eye(3)
        if j in mapped:
            local[:, j] = np.swapaxes(above, -1, -2) @ mapped[j]
        local[:, j] = within_channels(source, j, local[:, j])
        world[:, j] = above @ local[:, j]
    t0, s0 = rig_map.pairs[0]
    _, pos_s = world_frames(source, local, np.zeros((len(local), 3)))
    return local, pos_t[:, t0] - pos_s[:, s0]


def direction_residuals(rig_map: RigMap, source_rotmats: np.ndarray, source_translation: np.ndarray,
                        target_rotmats: np.ndarray, target_translation: np.ndarray) -> np.ndarray:
    """(P,) mean angle (degrees) between each pair's primary vector on the source and the target
    poses of the same frames (NaN for a pair without one): how well the mapped bones align."""
    frames = []
    for skeleton, rotmats, translation, column in (
            (rig_map.source, source_rotmats, source_translation, 1),
            (rig_map.target, target_rotmats, target_translation, 0)):
        _, pos = world_frames(skeleton, rotmats, translation)
        frames.append(_landmark_points(rig_map, column, pos))
    out = np.full(len(rig_map.pairs), np.nan)
    for k, name in enumerate(rig_map.landmarks):
        spec = next((o for o in VECTORS.get(name, ([], []))[0] if all(n in frames[0] for n in o[1:])), None)
        if spec is not None:
            cos = np.sum(_world_vector(spec, frames[0]) * _world_vector(spec, frames[1]), axis=-1)
            out[k] = float(np.degrees(np.arccos(np.clip(cos, -1, 1))).mean())
    return out
