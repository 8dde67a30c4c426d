"""Shipped priors on rigs they were not trained on, through the rig mapping (issue 21, part 2).

    .venv/bin/python benchmarks/rigmap.py --data ../shared/mocap [-o benchmarks/rigmap.md]
    .venv/bin/python benchmarks/rigmap.py fixtures --data tests/fixtures/cmu -o tests/fixtures/rigs

Two sets of clips no prior saw, each scored and denoised as the CLI does it (``score`` and
``denoise`` of one file: the map is calibrated on the file's own frames):

* **Game rig**: held-out CMU clips (subjects 09 and 13) written as BVH on a synthetic
  21-joint game rig with Unreal names, every bone along its joint's local X axis with a
  random twist about it (so its rest pose is a stick, nothing like a standing pose), 6
  channels on every joint and a static ``root`` under which ``pelvis`` carries the body's
  translation; read back with ``read_bvh``. Priors: ``cmu-asf`` through the mapping, and for
  reference ``cmu-asf`` on the original ASF clips.
  The same with two spine joints (``spine_02`` dropped, as on rigs with an abdomen and a
  chest), so that CMU's ``upperback`` has no partner.
* **DAZ BVH**: ``indian_13``, ``salsa_05``, ``salsa_20`` (held out of the DAZ prior) through
  the ``cmu-asf`` prior (mapping) and the ``daz-bvh`` prior (native).

Per set: AUC of the prior's score of real frames against frames with 5° Gaussian noise on
every rotation channel (of the file's own rig; each whole file, clean or noisy, scored on its
own as ``score`` does, every ``--stride``-th frame's score kept), the root-aligned joint error (mm) of
``denoise`` on windows with 6° noise, against the noisy windows and the no-prior fit, and
the error (mm) of ``complete --missing left_leg`` at the points the left leg moves, against
the no-prior fit.

``variants`` (``--data ../shared/mocap``) scores held-out CMU clips (09_11, 13_19, likewise)
on rigs that differ in one way each from the game rig and Mixamo: a Z-up world, metres or
millimetres, 3ds Max biped names with spaces, MotionBuilder ``Character1_`` names, other Euler
channel orders, Unreal's IK joints under the root, extra twist joints, Unity-style names with
two spine joints, root motion, OptiTrack names, DAZ Genesis' bend and twist joints; it prints the default
prior ``ndf`` picks and the AUC at 5° of ``cmu-asf`` through the mapping.

``fixtures`` writes the small test fixtures of ``tests/fixtures/rigs/`` from the CMU fixture
clip: the same rig builder on a Mixamo rig (A-pose rest), an SMPL-named rig and the game rig.
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import roma
import torch

from posefield.data.noise import add_channel_noise
from posefield.fit.denoise import denoise, denoise_mapped
from posefield.fit.complete import complete
from posefield.fit.metrics import per_frame_error, per_point_error
from posefield.fit.points import moved_points
from posefield.io import load_motion
from posefield.io.bvh import read_bvh, write_bvh
from posefield.jobs.fit import hidden_joints, on_prior_rig
from posefield.motion import Motion
from posefield.prior.motions.apply import score_motion
from posefield.prior.ranks import auc
from posefield.prior.motions.mapping import choose_prior
from posefield.prior.registry import get_prior
from posefield.rotations import canonical_hemisphere
from posefield.skeleton import Skeleton, rest_points
from posefield.skeleton.retarget import world_frames

SIX = ("Xposition", "Yposition", "Zposition", "Zrotation", "Xrotation", "Yrotation")
THREE = ("Zrotation", "Xrotation", "Yrotation")

# (name, parent, CMU joint it follows); a joint without a CMU joint is a static ground root
GAME = [("root", None, None), ("pelvis", "root", "root"), ("spine_01", "pelvis", "lowerback"),
        ("spine_02", "spine_01", "upperback"), ("spine_03", "spine_02", "thorax"), ("neck_01", "spine_03", "lowerneck"),
        ("head", "neck_01", "head")] + [
    row for s, side in (("l", "l"), ("r", "r")) for row in (
        (f"clavicle_{s}", "spine_03", f"{side}clavicle"), (f"upperarm_{s}", f"clavicle_{s}", f"{side}humerus"),
        (f"lowerarm_{s}", f"upperarm_{s}", f"{side}radius"), (f"hand_{s}", f"lowerarm_{s}", f"{side}hand"),
        (f"thigh_{s}", "pelvis", f"{side}femur"), (f"calf_{s}", f"thigh_{s}", f"{side}tibia"),
        (f"foot_{s}", f"calf_{s}", f"{side}foot"))]
# the same rig with two spine joints (like DAZ's abdomen and chest): CMU's upperback has no partner
GAME_TWO_SPINE = [(n, "spine_01" if p == "spine_02" else p, c) for n, p, c in GAME if n != "spine_02"]
# Unity-style humanoid names, two spine joints and toes under a static root: 21 body joints
UNITY = [("joint_Root", None, None), ("Hips", "joint_Root", "root"), ("Spine", "Hips", "lowerback"),
         ("Chest", "Spine", "thorax"), ("Neck", "Chest", "lowerneck"), ("Head", "Neck", "head")] + [
    row for s, side in (("L", "l"), ("R", "r")) for row in (
        (f"Shoulder_{s}", "Chest", f"{side}clavicle"), (f"UpperArm_{s}", f"Shoulder_{s}", f"{side}humerus"),
        (f"LowerArm_{s}", f"UpperArm_{s}", f"{side}radius"), (f"Hand_{s}", f"LowerArm_{s}", f"{side}hand"),
        (f"UpperLeg_{s}", "Hips", f"{side}femur"), (f"LowerLeg_{s}", f"UpperLeg_{s}", f"{side}tibia"),
        (f"Foot_{s}", f"LowerLeg_{s}", f"{side}foot"), (f"Toes_{s}", f"Foot_{s}", f"{side}toes"))]
MIXAMO = [("mixamorig:Hips", None, "root"), ("mixamorig:Spine", "mixamorig:Hips", "lowerback"),
          ("mixamorig:Spine1", "mixamorig:Spine", "upperback"), ("mixamorig:Spine2", "mixamorig:Spine1", "thorax"),
          ("mixamorig:Neck", "mixamorig:Spine2", "lowerneck"), ("mixamorig:Head", "mixamorig:Neck", "head")] + [
    row for s, side in (("Left", "l"), ("Right", "r")) for row in (
        (f"mixamorig:{s}Shoulder", "mixamorig:Spine2", f"{side}clavicle"),
        (f"mixamorig:{s}Arm", f"mixamorig:{s}Shoulder", f"{side}humerus"),
        (f"mixamorig:{s}ForeArm", f"mixamorig:{s}Arm", f"{side}radius"),
        (f"mixamorig:{s}Hand", f"mixamorig:{s}ForeArm", f"{side}hand"),
        (f"mixamorig:{s}UpLeg", "mixamorig:Hips", f"{side}femur"), (f"mixamorig:{s}Leg", f"mixamorig:{s}UpLeg", f"{side}tibia"),
        (f"mixamorig:{s}Foot", f"mixamorig:{s}Leg", f"{side}foot"),
        (f"mixamorig:{s}ToeBase", f"mixamorig:{s}Foot", f"{side}toes"))]
# OptiTrack Motive names: a side letter glued to abbreviations (LUArm, LFArm), two spine joints, 21 joints
OPTITRACK = [("Skeleton:Hip", None, "root"), ("Skeleton:Ab", "Skeleton:Hip", "lowerback"),
             ("Skeleton:Chest", "Skeleton:Ab", "thorax"), ("Skeleton:Neck", "Skeleton:Chest", "lowerneck"),
             ("Skeleton:Head", "Skeleton:Neck", "head")] + [
    row for s, side in (("L", "l"), ("R", "r")) for row in (
        (f"Skeleton:{s}Shoulder", "Skeleton:Chest", f"{side}clavicle"),
        (f"Skeleton:{s}UArm", f"Skeleton:{s}Shoulder", f"{side}humerus"),
        (f"Skeleton:{s}FArm", f"Skeleton:{s}UArm", f"{side}radius"), (f"Skeleton:{s}Hand", f"Skeleton:{s}FArm", f"{side}hand"),
        (f"Skeleton:{s}Thigh", "Skeleton:Hip", f"{side}femur"), (f"Skeleton:{s}Shin", f"Skeleton:{s}Thigh", f"{side}tibia"),
        (f"Skeleton:{s}Foot", f"Skeleton:{s}Shin", f"{side}foot"), (f"Skeleton:{s}Toe", f"Skeleton:{s}Foot", f"{side}toes"))]
# DAZ Genesis 3-9 names: bend and twist joints in the limbs (a twist joint follows its bend joint's
# CMU joint, at its place), a 'pelvis' joint of the legs alone under 'hip', lower and upper abdomen
GENESIS = [("hip", None, "root"), ("pelvis", "hip", "root"), ("abdomenLower", "hip", "lowerback"),
           ("abdomenUpper", "abdomenLower", "upperback"), ("chestUpper", "abdomenUpper", "thorax"),
           ("neckLower", "chestUpper", "lowerneck"), ("head", "neckLower", "head")] + [
    row for side in "lr" for row in (
        (f"{side}Collar", "chestUpper", f"{side}clavicle"), (f"{side}ShldrBend", f"{side}Collar", f"{side}humerus"),
        (f"{side}ShldrTwist", f"{side}ShldrBend", f"{side}humerus"),
        (f"{side}ForearmBend", f"{side}ShldrTwist", f"{side}radius"),
        (f"{side}ForearmTwist", f"{side}ForearmBend", f"{side}radius"), (f"{side}Hand", f"{side}ForearmTwist", f"{side}hand"),
        (f"{side}ThighBend", "pelvis", f"{side}femur"), (f"{side}ThighTwist", f"{side}ThighBend", f"{side}femur"),
        (f"{side}Shin", f"{side}ThighTwist", f"{side}tibia"), (f"{side}Foot", f"{side}Shin", f"{side}foot"),
        (f"{side}Toe", f"{side}Foot", f"{side}toes"))]
SMPL = [("pelvis", None, "root")] + [
    row for s, side in (("left", "l"), ("right", "r")) for row in (
        (f"{s}_hip", "pelvis", f"{side}femur"), (f"{s}_knee", f"{s}_hip", f"{side}tibia"),
        (f"{s}_ankle", f"{s}_knee", f"{side}foot"), (f"{s}_foot", f"{s}_ankle", f"{side}toes"))] + [
    ("spine1", "pelvis", "lowerback"), ("spine2", "spine1", "upperback"), ("spine3", "spine2", "thorax"),
    ("neck", "spine3", "lowerneck"), ("head", "neck", "head")] + [
    row for s, side in (("left", "l"), ("right", "r")) for row in (
        (f"{s}_collar", "spine3", f"{side}clavicle"), (f"{s}_shoulder", f"{s}_collar", f"{side}humerus"),
        (f"{s}_elbow", f"{s}_shoulder", f"{side}radius"), (f"{s}_wrist", f"{s}_elbow", f"{side}hand"))]
ENDS = {"head": None, "lhand": "lfingers", "rhand": "rfingers", "lfoot": "ltoes", "rfoot": "rtoes", "ltoes": None,
        "rtoes": None}


def _swing_x(direction: np.ndarray) -> np.ndarray:
    """A rotation taking +X to ``direction``."""
    d = direction / np.linalg.norm(direction)
    axis = np.cross([1.0, 0, 0], d)
    angle = np.arctan2(np.linalg.norm(axis), d[0])
    return roma.rotvec_to_rotmat(torch.as_tensor(axis / max(np.linalg.norm(axis), 1e-12) * angle)).numpy()


def build_rig(cmu: Motion, table: list, frames: str, rng: np.random.Generator) -> Motion:
    """``cmu`` (a CMU ASF motion) on the rig ``table`` describes; every joint's world frame is its
    CMU joint's times a fixed rotation Q: identity (``frames="world"``: a standing rest pose),
    45° down for the arms (``"apose"``), or X along the bone with a random twist (``"stick"``).
    Centimetres; 6 channels everywhere for ``"stick"``, else 3 (6 on the root)."""
    sk = cmu.skeleton
    rest = rest_points(sk)[:sk.num_joints]
    world, pos = world_frames(sk, cmu.rotmats(), cmu.root_translation)
    names = [n for n, _, _ in table]
    cmu_of = {n: c for n, _, c in table}
    children = {n: [m for m, p, _ in table if p == n] for n in names}

    def end_vector(name: str) -> np.ndarray:
        c = sk.index(cmu_of[name])
        kids = [k for k in children[name] if np.linalg.norm(rest[sk.index(cmu_of[k])] - rest[c]) > 1e-6]
        if kids:
            return rest[sk.index(cmu_of[kids[0]])] - rest[c]
        end = ENDS.get(cmu_of[name])
        return rest[sk.index(end)] - rest[c] if end else sk.end_sites.get(c, np.array([0.0, 0.1, 0.0]))

    q = {}
    for name, parent, c in table:
        if c is None or frames == "world":
            q[name] = np.eye(3)
        elif frames == "apose":
            side = {"l": 1.0, "r": -1.0}.get(c[0], 0.0) if c[1:] in ("humerus", "radius", "hand") else 0.0
            q[name] = roma.rotvec_to_rotmat(torch.tensor([0.0, 0.0, -side * np.pi / 4])).numpy()
        elif len(children[name]) > 1 and name != parent:
            q[name] = roma.random_rotmat(generator=torch.Generator().manual_seed(int(rng.integers(1 << 30)))).double().numpy()
        else:
            twist = roma.rotvec_to_rotmat(torch.tensor([rng.uniform(-np.pi, np.pi), 0.0, 0.0])).numpy()
            q[name] = _swing_x(end_vector(name)) @ twist
    t_count = cmu.num_frames
    rot = np.tile(np.eye(3), (t_count, len(table), 1, 1))
    offsets = np.zeros((len(table), 3))
    game_world = {}
    for k, (name, parent, c) in enumerate(table):
        game_world[name] = world[:, sk.index(c)] @ q[name] if c is not None else np.tile(np.eye(3), (t_count, 1, 1))
        above = game_world[parent] if parent else np.eye(3)
        rot[:, k] = np.swapaxes(above, -1, -2) @ game_world[name]
        if parent and cmu_of[parent] is not None:
            offsets[k] = q[parent].T @ (rest[sk.index(c)] - rest[sk.index(cmu_of[parent])])
    ends = {k: q[name].T @ end_vector(name) for k, (name, _, _) in enumerate(table) if not children[name]}
    static = table[0][2] is None
    if static:
        offsets[1] = [0.0, float(pos[0, 0, 1]), 0.0]
        translation = pos[:, 0] - offsets[1]
    else:
        translation = pos[:, 0]
    channels = [SIX if frames == "stick" or k == 0 else THREE for k in range(len(table))]
    skeleton = Skeleton(names=names, parents=[-1 if p is None else names.index(p) for _, p, _ in table],
                        offsets=offsets, channels=channels, end_sites=ends, rig="bvh",
                        meta={"length_unit": 0.01, **({"static_root": {"joint": names[1], "position": np.zeros(3),
                                                                       "rotation": np.array([0.0, 0, 0, 1])}}
                                                      if static else {})})
    quats = canonical_hemisphere(roma.rotmat_to_unitquat(torch.as_tensor(rot))).numpy()
    return Motion(skeleton, quats, translation, cmu.fps, {"subject": cmu.source.get("subject", "")})


def as_file(motion: Motion, folder: Path, name: str) -> Motion:
    """Write ``motion`` as BVH and read it back (the benchmark sees files, like the CLI)."""
    path = folder / f"{name}.bvh"
    write_bvh(motion, path)
    return read_bvh(path)


# --- measuring -------------------------------------------------------------------------------


@dataclasses.dataclass
class Scores:
    real: list = dataclasses.field(default_factory=list)
    noisy: list = dataclasses.field(default_factory=list)

    def auc(self) -> float:
        return auc(torch.as_tensor(np.concatenate(self.real)), torch.as_tensor(np.concatenate(self.noisy)))


def score_as_cli(spec: str, motion: Motion) -> np.ndarray:
    """``posefield score --prior spec`` of one file."""
    prior, mapped = choose_prior(spec, motion)
    return score_motion(mapped.to_prior(motion, reachable=True) if mapped else motion, prior)


def denoise_as_cli(spec: str, motion: Motion) -> Motion:
    """``posefield denoise --prior spec`` of one file."""
    prior, mapped = choose_prior(spec, motion)
    return denoise(motion, prior) if mapped is None else denoise_mapped(motion, prior, mapped)


def complete_as_cli(spec: str, motion: Motion, hidden: list[int]) -> Motion:
    """``posefield complete --prior spec`` of one file whose joints ``hidden`` are missing."""
    prior, mapped = choose_prior(spec, motion)
    on_prior = hidden if mapped is None else mapped.hidden_on_prior(hidden)
    return on_prior_rig(motion, prior, mapped, lambda m, p: complete(m, p, on_prior))


def measure(clips: dict[str, Motion], specs: list[str], stride: int, window: int, log) -> tuple[dict, dict]:
    """AUC per spec and mean errors (mm) per spec (+ ``noisy``, ``none``): of denoising, and of
    left-leg completion under ``complete:<spec>``."""
    scores = {spec: Scores() for spec in specs}
    errors: dict[str, list] = {k: [] for k in ("noisy", "none", *specs, "complete:none", *(f"complete:{s}" for s in specs))}
    for i, (name, clip) in enumerate(clips.items()):
        noisy = add_channel_noise(clip, 5.0, seed=i)
        for spec in specs:
            scores[spec].real.append(score_as_cli(spec, clip)[::stride])
            scores[spec].noisy.append(score_as_cli(spec, noisy)[::stride])
        for start in range(0, clip.num_frames - window + 1, max(window, clip.num_frames // 2)):
            part = clip.slice(slice(start, start + window))
            noisy = add_channel_noise(part, 6.0, seed=100 + i)
            errors["noisy"].append(per_frame_error(noisy, part).mean())
            errors["none"].append(per_frame_error(denoise(noisy, get_prior("none", part.skeleton)), part).mean())
            for spec in specs:
                errors[spec].append(per_frame_error(denoise_as_cli(spec, noisy), part).mean())
            hidden = hidden_joints(part.skeleton, "left_leg")
            unseen = moved_points(part.skeleton, hidden)
            for spec in ("none", *specs):
                errors[f"complete:{spec}"].append(per_point_error(complete_as_cli(spec, part, hidden), part)[:, unseen].mean())
        log(f"{name}: done ({clip.num_frames} frames)")
    return {s: v.auc() for s, v in scores.items()}, {k: float(np.mean(v)) for k, v in errors.items()}


def paired_noise_aucs(clips: dict[str, Motion], specs: list[str], stride: int, via: str) -> dict[str, float]:
    """AUC per spec of real frames against frames with 5° noise on the rotation channels of the
    joints the map onto ``via`` pairs only (every other joint as recorded): how the priors tell
    noise apart on the joints both rigs hold."""
    scores = {spec: Scores() for spec in specs}
    for i, clip in enumerate(clips.values()):
        noisy = add_channel_noise(clip, 5.0, seed=i)
        _, mapped = choose_prior(via, clip)
        paired = sorted(s for _, s in mapped.rig_map.pairs)
        rotations = clip.rotations.copy()
        rotations[:, paired] = noisy.rotations[:, paired]
        partly = dataclasses.replace(noisy, rotations=rotations)
        for spec in specs:
            scores[spec].real.append(score_as_cli(spec, clip)[::stride])
            scores[spec].noisy.append(score_as_cli(spec, partly)[::stride])
    return {spec: v.auc() for spec, v in scores.items()}


def cmu_clips(data: Path, subjects: tuple[str, ...], limit: int) -> dict[str, Motion]:
    clips = {}
    for subject in subjects:
        for path in sorted((data / "cmu-asf-amc").glob(f"{subject}_*.amc"))[:limit]:
            clips[path.stem] = load_motion(path, asf=data / "cmu-asf-amc" / f"{subject}.asf")
    return clips


def prior_row(label: str, aucs: dict, errors: dict, spec: str) -> str:
    """A table row of a prior's AUC, denoising and completion errors (mm) and their ratios."""
    return (f"| {label} | {aucs[spec]:.4f} | {errors[spec]:.1f} | {errors[spec] / errors['noisy']:.3f} | "
            f"{errors[spec] / errors['none']:.3f} | {errors[f'complete:{spec}']:.1f} | "
            f"{errors[f'complete:{spec}'] / errors['complete:none']:.3f} |")


def none_rows(label: str, errors: dict) -> str:
    """The rows of the no-prior fits and the noisy input (``label`` in parentheses)."""
    tag = f" ({label})" if label else ""
    return (f"| none{tag} | | {errors['none']:.1f} | {errors['none'] / errors['noisy']:.3f} | | "
            f"{errors['complete:none']:.1f} | |\n| noisy{tag} | | {errors['noisy']:.1f} | | | | |")


def run(args) -> None:
    torch.set_num_threads(1)
    log = lambda text: print(text, file=sys.stderr, flush=True)  # noqa: E731
    started = time.time()
    lines = ["# Shipped priors on rigs they were not trained on (rig mapping)", "",
             f"Command: `python benchmarks/rigmap.py --data DATA --stride {args.stride} --window {args.window} "
             f"--clips {args.clips}`", "",
             "AUC: real frames against frames with 5° noise per rotation channel, each file (clean or noisy, at "
             f"its own frame rate) scored as `score` scores it, every {args.stride}th frame's score kept. "
             f"Denoising: windows of {args.window} frames (120 fps), 6° noise; "
             "mean root-aligned joint and end-site error, mm, on the file's own rig.", ""]
    rng = np.random.default_rng(0)
    cmu = cmu_clips(args.data, ("09", "13"), args.clips)
    with tempfile.TemporaryDirectory() as tmp:
        game = {name: as_file(build_rig(clip, GAME, "stick", rng), Path(tmp), name) for name, clip in cmu.items()}
        auc_game, err_game = measure(game, ["cmu-asf"], args.stride, args.window, log)
        two = {name: as_file(build_rig(clip, GAME_TWO_SPINE, "stick", rng), Path(tmp), name)
               for name, clip in cmu.items()}
        auc_two, err_two = measure(two, ["cmu-asf"], args.stride, args.window, log)
    auc_ref, err_ref = measure(cmu, ["cmu-asf"], args.stride, args.window, log)
    daz = {}
    for stem in ("indian_13", "salsa_05", "salsa_20"):
        daz[stem] = read_bvh(args.data / "cmu-daz-bvh" / f"{stem}.bvh", drop_frames=4,
                             fps=60.0 if stem.startswith("salsa") else None)
    auc_daz, err_daz = measure(daz, ["cmu-asf", "daz-bvh"], args.stride, args.window, log)
    auc_paired = paired_noise_aucs(daz, ["cmu-asf", "daz-bvh"], args.stride, "cmu-asf")
    pairs = len(choose_prior("cmu-asf", next(iter(daz.values())))[1].rig_map.pairs)
    header = ["| prior | AUC 5° | denoise error | / noisy | / no prior | left-leg completion | / no prior |",
              "|---|---:|---:|---:|---:|---:|---:|"]
    lines += ["## Game rig (21 joints, stick rest pose, 6 channels, static root), CMU 09 + 13", "",
              f"{len(game)} clips: {', '.join(game)}", "", *header,
              prior_row("cmu-asf through the mapping (game rig)", auc_game, err_game, "cmu-asf"),
              none_rows("game rig", err_game),
              prior_row("cmu-asf through the mapping (two spine joints, 20 joints)", auc_two, err_two, "cmu-asf"),
              none_rows("two spine joints", err_two),
              prior_row("reference: cmu-asf on the ASF clips", auc_ref, err_ref, "cmu-asf"), "",
              "## DAZ BVH (indian_13, salsa_05, salsa_20; 4 frames dropped, salsa at 60 fps)", "", *header,
              prior_row("daz-bvh (native)", auc_daz, err_daz, "daz-bvh"),
              prior_row("cmu-asf through the mapping", auc_daz, err_daz, "cmu-asf"),
              none_rows("", err_daz), "",
              f"cmu-asf vs daz-bvh on DAZ: AUC difference {auc_daz['cmu-asf'] - auc_daz['daz-bvh']:+.4f}, "
              f"denoising error ratio {err_daz['cmu-asf'] / err_daz['daz-bvh']:.3f}, completion error ratio "
              f"{err_daz['complete:cmu-asf'] / err_daz['complete:daz-bvh']:.3f}.", "",
              f"With the 5° noise only on the {pairs} DAZ joints the map onto cmu-asf pairs (of "
              f"{next(iter(daz.values())).skeleton.num_joints}; the others, fingers, eyes and buttocks, as recorded): AUC daz-bvh {auc_paired['daz-bvh']:.4f}, cmu-asf through the "
              f"mapping {auc_paired['cmu-asf']:.4f}, difference {auc_paired['cmu-asf'] - auc_paired['daz-bvh']:+.4f}.", "",
              f"Run time {time.time() - started:.0f} s (1 CPU thread)."]
    args.output.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def fixtures(args) -> None:
    """Tiny BVH fixtures of four naming families from the CMU fixture clip."""
    torch.set_num_threads(1)
    clip = load_motion(args.data / "05_17.amc", asf=args.data / "05.asf").slice(slice(0, 120, 20))
    args.output.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(21)
    for name, table, frames in (("mixamo", MIXAMO, "apose"), ("smpl", SMPL, "world"), ("game", GAME, "stick"),
                                ("unity", UNITY, "stick")):
        write_bvh(build_rig(clip, table, frames, rng), args.output / f"{name}.bvh")
        print(f"wrote {args.output / f'{name}.bvh'}")


# --- rig variants -----------------------------------------------------------------------------


def turned(motion: Motion, turn: np.ndarray) -> Motion:
    """The same motion on a rig turned as a whole by ``turn`` (3, 3): every local frame conjugated
    (a Z-up rig for a quarter turn about X), offsets and translation turned."""
    q = roma.rotmat_to_unitquat(torch.as_tensor(turn))
    shape = motion.rotations.shape[:2] + (4,)
    quats = roma.quat_product(roma.quat_product(q.expand(shape), torch.as_tensor(motion.rotations)),
                              roma.quat_conjugation(q).expand(shape))
    sk = motion.skeleton
    meta = dict(sk.meta)
    if "static_root" in meta:
        meta["static_root"] = dict(meta["static_root"], position=turn @ meta["static_root"]["position"])
    skeleton = dataclasses.replace(sk, offsets=sk.offsets @ turn.T, meta=meta,
                                   end_sites={k: turn @ v for k, v in sk.end_sites.items()})
    return Motion(skeleton, canonical_hemisphere(quats).numpy(), motion.root_translation @ turn.T,
                  motion.fps, motion.source)


def in_unit(motion: Motion, unit: float) -> Motion:
    """The same motion, to be written in files of ``unit`` metres per unit (1: metres, 0.001: mm)."""
    return dataclasses.replace(motion, skeleton=dataclasses.replace(
        motion.skeleton, meta={**motion.skeleton.meta, "length_unit": unit}))


def renamed(motion: Motion, rename) -> Motion:
    """The same motion with every joint renamed by ``rename(name) -> name``."""
    return dataclasses.replace(motion, skeleton=dataclasses.replace(
        motion.skeleton, names=tuple(rename(n) for n in motion.skeleton.names)))


def reordered(motion: Motion, order: str) -> Motion:
    """The same motion with every joint's rotation channels in Euler ``order`` (e.g. ``"XYZ"``)."""
    channels = tuple(tuple(c for c in ch if c in SIX[:3]) + tuple(f"{a}rotation" for a in order)
                     if any(c in THREE for c in ch) else ch for ch in motion.skeleton.channels)
    return dataclasses.replace(motion, skeleton=dataclasses.replace(motion.skeleton, channels=channels))


def with_static_joints(motion: Motion, extra: list[tuple[str, str, tuple[float, float, float]]]) -> Motion:
    """``motion`` with joints (name, parent, offset in metres) added that never turn (3 channels)."""
    sk = motion.skeleton
    names = sk.names + tuple(n for n, _, _ in extra)
    skeleton = dataclasses.replace(
        sk, names=names, parents=sk.parents + tuple(names.index(p) for _, p, _ in extra), axes=None,
        offsets=np.concatenate([sk.offsets, np.array([o for _, _, o in extra], dtype=float)]),
        channels=sk.channels + (THREE,) * len(extra))
    still = np.zeros((motion.num_frames, len(extra), 4))
    still[..., 3] = 1.0
    return dataclasses.replace(motion, skeleton=skeleton, rotations=np.concatenate([motion.rotations, still], axis=1))


def with_root_motion(motion: Motion) -> Motion:
    """A static-root rig's motion with root motion instead: the root follows the body along the
    ground and turns with its heading (yaw about Y), the hips keep the rest (written by
    :func:`posefield.io.bvh.write_bvh` from ``meta["root_motion"]``)."""
    world = motion.rotmats()[:, 0] @ motion.rotmats()[:, 1]
    axis = int(np.argmin(np.abs(world[:, 1, :]).mean(axis=0)))  # the hips' most level axis stands for the heading
    heading = world[:, :, axis]
    yaw = np.unwrap(np.arctan2(heading[:, 0], heading[:, 2]))
    rotation = np.stack([np.zeros_like(yaw), np.sin(yaw / 2), np.zeros_like(yaw), np.cos(yaw / 2)], axis=1)
    meta = {k: v for k, v in motion.skeleton.meta.items() if k != "static_root"}
    meta["root_motion"] = {"joint": motion.skeleton.names[1], "position": motion.root_translation * [1.0, 0.0, 1.0],
                           "rotation": rotation}
    return dataclasses.replace(motion, skeleton=dataclasses.replace(motion.skeleton, meta=meta))


_BIPED = {"root": "Bip01", "pelvis": "Bip01 Pelvis", "spine_01": "Bip01 Spine", "spine_02": "Bip01 Spine1",
          "spine_03": "Bip01 Spine2", "neck_01": "Bip01 Neck", "head": "Bip01 Head", "clavicle": "Clavicle",
          "upperarm": "UpperArm", "lowerarm": "Forearm", "hand": "Hand", "thigh": "Thigh", "calf": "Calf", "foot": "Foot"}


def biped_name(name: str) -> str:
    """3ds Max biped name of a :data:`GAME` joint: ``thigh_l`` -> ``Bip01 L Thigh``."""
    if name in _BIPED:
        return _BIPED[name]
    part, side = name.rsplit("_", 1)
    return f"Bip01 {side.upper()} {_BIPED[part]}"


UNREAL_IK = [("ik_foot_root", "root", (0.0, 0.0, 0.0)), ("ik_foot_l", "ik_foot_root", (0.1, 0.05, 0.0)),
             ("ik_foot_r", "ik_foot_root", (-0.1, 0.05, 0.0)), ("ik_hand_root", "root", (0.0, 0.0, 0.0)),
             ("ik_hand_gun", "ik_hand_root", (0.0, 1.0, 0.3)), ("ik_hand_l", "ik_hand_gun", (0.05, 0.0, 0.0)),
             ("ik_hand_r", "ik_hand_gun", (-0.05, 0.0, 0.0))]
TWISTS = [(f"{bone}_twist_01_{s}", f"{bone}_{s}", (length, 0.0, 0.0))
          for s in ("l", "r") for bone, length in (("upperarm", 0.12), ("calf", 0.2))]
Z_UP = roma.rotvec_to_rotmat(torch.tensor([np.pi / 2, 0.0, 0.0])).double().numpy()
VARIANTS = {
    "game rig (stick rest, static root)": lambda c, rng: build_rig(c, GAME, "stick", rng),
    "game rig, Z up": lambda c, rng: turned(build_rig(c, GAME, "stick", rng), Z_UP),
    "game rig, standing rest, Z up, metres": lambda c, rng: in_unit(turned(build_rig(c, GAME, "world", rng), Z_UP), 1.0),
    "3ds Max biped names (Bip01 L Thigh), A-pose": lambda c, rng: renamed(build_rig(c, GAME, "apose", rng), biped_name),
    "MotionBuilder names (Character1_LeftUpLeg), Z up": lambda c, rng: renamed(
        turned(build_rig(c, MIXAMO, "world", rng), Z_UP), lambda n: "Character1_" + n.split(":")[-1]),
    "Mixamo, A-pose, millimetres": lambda c, rng: in_unit(build_rig(c, MIXAMO, "apose", rng), 0.001),
    "game rig, A-pose, XYZ channels": lambda c, rng: reordered(build_rig(c, GAME, "apose", rng), "XYZ"),
    "game rig, A-pose, YXZ channels": lambda c, rng: reordered(build_rig(c, GAME, "apose", rng), "YXZ"),
    "game rig, A-pose, Unreal IK joints under the root": lambda c, rng: with_static_joints(
        build_rig(c, GAME, "apose", rng), UNREAL_IK),
    "game rig, A-pose, twist joints": lambda c, rng: with_static_joints(build_rig(c, GAME, "apose", rng), TWISTS),
    "Unity names (UpperLeg_L), two spine joints, toes, stick rest": lambda c, rng: build_rig(c, UNITY, "stick", rng),
    "Unity names, two spine joints, toes, standing rest": lambda c, rng: build_rig(c, UNITY, "world", rng),
    "game rig, root motion (the root moves and turns along the ground)": lambda c, rng: with_root_motion(
        build_rig(c, GAME, "stick", rng)),
    "OptiTrack names (Skeleton:LUArm), two spine joints, toes, A-pose": lambda c, rng: build_rig(c, OPTITRACK, "apose", rng),
    "DAZ Genesis names (lShldrBend), twist joints, legs' pelvis, A-pose": lambda c, rng: build_rig(c, GENESIS, "apose",
                                                                                                  rng),
}


def variants(args) -> None:
    """AUC at 5° of ``cmu-asf`` through the mapping on each rig of :data:`VARIANTS` (see the module docstring)."""
    torch.set_num_threads(1)
    clips = {stem: load_motion(args.data / "cmu-asf-amc" / f"{stem}.amc",
                               asf=args.data / "cmu-asf-amc" / f"{stem[:2]}.asf") for stem in ("09_11", "13_19")}
    rows = ["| rig (CMU 09_11, 13_19 written as BVH and read back) | joints | default prior | pairs | AUC 5° |",
            "|---|---:|---|---:|---:|"]
    with tempfile.TemporaryDirectory() as tmp:
        for label, build in VARIANTS.items():
            rng, scores = np.random.default_rng(0), Scores()
            for i, (stem, clip) in enumerate(clips.items()):
                motion = as_file(build(clip, rng), Path(tmp), stem)
                scores.real.append(score_as_cli("cmu-asf", motion)[::args.stride])
                scores.noisy.append(score_as_cli("cmu-asf", add_channel_noise(motion, 5.0, seed=i))[::args.stride])
            prior, mapped = choose_prior("ndf", motion)
            rows.append(f"| {label} | {motion.skeleton.num_joints} | {prior.name}{' (mapped)' if mapped else ''} | "
                        f"{len(mapped.rig_map.pairs) if mapped else '-'} | {scores.auc():.4f} |")
            print(rows[-1], flush=True)
    print("\n".join(rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("what", nargs="?", default="bench", choices=("bench", "variants", "fixtures"))
    parser.add_argument("--data", type=Path, required=True, help="Mocap folder (bench) or CMU fixture folder (fixtures).")
    parser.add_argument("-o", "--output", type=Path, default=None)
    parser.add_argument("--stride", type=int, default=8, help="Keep every Nth frame's score.")
    parser.add_argument("--window", type=int, default=240, help="Denoising window, frames.")
    parser.add_argument("--clips", type=int, default=4, help="Clips per CMU subject.")
    args = parser.parse_args()
    if args.what == "fixtures":
        args.output = args.output or Path("tests/fixtures/rigs")
        fixtures(args)
    elif args.what == "variants":
        variants(args)
    else:
        args.output = args.output or Path("benchmarks/rigmap.md")
        run(args)


if __name__ == "__main__":
    main()
