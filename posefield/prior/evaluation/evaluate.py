"""Evaluating a Pose-NDF prior on the held-out subjects of a dataset.

* separation: f on real poses vs poses with "σ° Gaussian per dof" noise (:func:`noise.perturb`):
  AUC (probability that a noisy pose scores above a real one) and mean f per level; on rigs
  with one- or two-channel joints also with the noisy poses moved back onto the rotations
  the channels reach (noise on the rig's channels only, the harder case: no off-axis part);
* accuracy: Pearson / Spearman correlation of f with the true distance (exact nearest
  training pose, :func:`labels.exact_distance`) over the real and noisy poses;
* projection of the ``projection_noise_deg`` poses: success rate (f < tol), mean root-aligned
  joint-position error to the clean pose before and after (forward kinematics with the
  dataset's skeleton, root at the origin without rotation; joints and end sites; mm), and
  wall-clock throughput; per joint, the mean rotation angle to the clean pose before and after
  (degrees: which joints the field pulls back and which it leaves). For reference, the same
  error for an exact projection onto the training poses as a point set: the noisy pose's
  nearest training pose (the held-out subjects' poses themselves lie off that set, so this is
  no lower bound, but it shows what a field that reproduces its labels exactly would reach).
  On rigs with one- or two-channel joints the after / before ratio is also measured for noise
  on the rig's channels only;
* far field (:func:`far_field`): held-out poses blended toward uniformly random poses by a share
  t ~ U(0, 1) (:func:`noise.blend_toward`; t = 1 is a uniformly random pose), binned by their true
  distance d: mean |f − d| / d and Spearman ρ(f, d) per bin and over all; and false zeros:
  uniformly random poses projected, the share reaching f < tol and their true distance afterwards.
"""
from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Sequence

import torch

from posefield.data import PoseDataset
from posefield.errors import MotionFormatError
from posefield.io.atomic import atomic_open
from posefield.prior.base import energies
from posefield.prior.ndf.labels import bin_labels, exact_distance, exact_nearest
from posefield.prior.ndf.model import PoseNDF
from posefield.prior.ndf.noise import blend_toward, perturb
from posefield.prior.ndf.projection import project
from posefield.prior.ranks import auc, average_ranks
from posefield.rotations import canonical_hemisphere, geodesic_angles, random_unit_quaternions
from posefield.skeleton import Skeleton, forward_kinematics


@dataclasses.dataclass(frozen=True)
class EvalConfig:
    """noise_deg: σ levels compared with real poses; projection_noise_deg: σ of projected poses;
    num_poses: held-out poses used (a seeded random subset); tol, max_steps, method: projection;
    far_bins: upper edges (radians) of the true-distance bins of the far-field table (the last
    bin is open); far_poses: uniformly random poses projected for the false-zero count (0: no
    far-field measurement)."""

    noise_deg: tuple[float, ...] = (2.5, 5.0, 10.0, 15.0)
    projection_noise_deg: float = 15.0
    num_poses: int = 2000
    tol: float = 0.05
    max_steps: int = 20
    method: str = "euclidean"
    seed: int = 0
    far_bins: tuple[float, ...] = (0.1, 0.25, 0.5, 1.0, 1.5)
    far_poses: int = 1000


def pearson(x: torch.Tensor, y: torch.Tensor) -> float:
    """Pearson correlation of two (N,) tensors."""
    x, y = x.double() - x.double().mean(), y.double() - y.double().mean()
    return float((x * y).sum() / (x.norm() * y.norm()).clamp(min=1e-300))


def spearman(x: torch.Tensor, y: torch.Tensor) -> float:
    """Spearman rank correlation of two (N,) tensors."""
    return pearson(average_ranks(x.double()), average_ranks(y.double()))


def pose_position_error(skeleton: Skeleton, joint_index: Sequence[int], quats_a: torch.Tensor,
                       quats_b: torch.Tensor) -> torch.Tensor:
    """Mean joint-position distance between two poses of the prior's joints, other joints at rest.

    Args:
        skeleton: the rig (J joints); joint_index: (K,) the posed joints.
        quats_a, quats_b: (B, K, 4) unit quaternions.
    Returns:
        (B,) mean over joints and end sites of ‖p_a - p_b‖, metres (root at the origin, unrotated).
    """
    def positions(q: torch.Tensor) -> torch.Tensor:
        rot = torch.zeros(len(q), skeleton.num_joints, 4, dtype=torch.float64)
        rot[..., 3] = 1
        rot[:, list(joint_index)] = q.double()
        return forward_kinematics(skeleton, rot, torch.zeros(len(q), 3, dtype=torch.float64), with_end_sites=True)

    return (positions(quats_a) - positions(quats_b)).norm(dim=-1).mean(dim=-1)


def projection_errors(prior: PoseNDF, dataset: PoseDataset, train: torch.Tensor, real: torch.Tensor,
                      noisy: torch.Tensor, projected: torch.Tensor) -> tuple[float, float, float]:
    """Mean root-aligned joint errors (m) to the (N, K, 4) ``real`` poses of their ``noisy``
    copies, of the ``projected`` ones and of each noisy pose's nearest ``train`` pose."""
    _, index = exact_nearest(train, noisy, prior.weights)
    return tuple(float(pose_position_error(dataset.skeleton, prior.joint_index, q, real).mean())
                 for q in (noisy, projected, train[index]))


def far_field(prior: PoseNDF, train: torch.Tensor, real: torch.Tensor, config: EvalConfig,
              generator: torch.Generator) -> dict[str, float]:
    """The field from the data out to uniformly random poses (see module docstring).

    Args:
        prior: the Pose-NDF prior.
        train: (N, K, 4) training poses (the manifold its labels measured the distance to).
        real: (M, K, 4) held-out poses, the starts of the blends.
        config: bins, counts and projection settings.
        generator: random source.
    Returns:
        ``far_spearman``, ``far_rel_error`` over all blends; per bin ``far_count:B``,
        ``far_rel_error:B``, ``far_spearman:B`` (B from :func:`bin_labels`); ``zeros_reached``
        (share of projected random poses with f < tol), ``zeros_distance`` /
        ``zeros_distance_median`` / ``zeros_distance_p90`` (their true distance, radians),
        ``zeros_steps``, ``zeros_f`` (mean final f).
    """
    t = torch.rand(len(real), generator=generator)
    blends = blend_toward(real, random_unit_quaternions(real.shape[:2], generator), t)
    f = energies(prior, blends).detach().double()
    d = exact_distance(train, blends, prior.weights).double()
    rel = (f - d).abs() / d.clamp(min=1e-6)
    out = {"far_spearman": spearman(f, d), "far_rel_error": float(rel.mean())}
    index = torch.bucketize(d, torch.tensor(config.far_bins, dtype=torch.float64), right=True)
    for b, label in enumerate(bin_labels(config.far_bins)):
        sel = index == b
        out[f"far_count:{label}"] = float(sel.sum())
        out[f"far_rel_error:{label}"] = float(rel[sel].mean()) if sel.any() else float("nan")
        out[f"far_spearman:{label}"] = spearman(f[sel], d[sel]) if sel.sum() > 2 else float("nan")
    starts = random_unit_quaternions((config.far_poses, real.shape[1]), generator)
    result = project(prior, starts, max_steps=config.max_steps, tol=config.tol, method=config.method)
    after = exact_distance(train, result.quats.detach().float(), prior.weights).double()
    out.update(zeros_reached=float((result.distance < config.tol).double().mean()), zeros_distance=float(after.mean()),
               zeros_distance_median=float(after.median()), zeros_distance_p90=float(after.quantile(0.9)),
               zeros_steps=float(result.steps.double().mean()), zeros_f=float(result.distance.double().mean()))
    return out


def evaluate(prior: PoseNDF, dataset: PoseDataset, config: EvalConfig = EvalConfig()) -> dict[str, float]:
    """Measure ``prior`` on ``dataset``'s validation split (see module docstring).

    Returns:
        flat dict: ``poses``, ``f_real``, per σ ``f_noise{σ}`` and ``auc{σ}``, ``pearson``,
        ``spearman``, ``success``, ``error_before_mm``, ``error_after_mm``, ``error_ratio``,
        ``steps``, ``poses_per_s``, ``error_nearest_mm``, ``nearest_ratio``, for rigs whose joints
        have fewer than three channels ``error_ratio_channels`` and ``nearest_ratio_channels`` (the
        projection ratios of noise on the rig's channels only), and per modelled joint
        ``angle_before:NAME`` / ``angle_after:NAME`` (degrees); with ``far_poses`` > 0 the
        far-field results of :func:`far_field`.
    """
    prior.check_skeleton(dataset.skeleton)
    generator = torch.Generator().manual_seed(config.seed)
    val = dataset.split(True)
    real = val[torch.randperm(len(val), generator=generator)[: config.num_poses]]
    f_real = energies(prior, real)
    out: dict[str, float] = {"poses": float(len(real)), "f_real": float(f_real.mean())}
    fs, queries = [f_real], [real]
    for sigma in config.noise_deg:
        noisy = perturb(real, sigma, generator)
        f = energies(prior, noisy)
        out[f"f_noise{sigma:g}"], out[f"auc{sigma:g}"] = float(f.mean()), auc(f_real, f)
        fs.append(f)
        queries.append(noisy)
    if prior.dofs is not None and prior.dofs.restricted:
        channel_generator = torch.Generator().manual_seed(config.seed + 1)  # leaves the draws below as they were
        for sigma in config.noise_deg:
            noisy = canonical_hemisphere(prior.dofs(perturb(real, sigma, channel_generator))[0])
            f = energies(prior, noisy)
            out[f"f_channels{sigma:g}"], out[f"auc_channels{sigma:g}"] = float(f.mean()), auc(f_real, f)
    train = dataset.split(False)
    truth = exact_distance(train, torch.cat(queries), prior.weights)
    out["pearson"], out["spearman"] = pearson(torch.cat(fs), truth), spearman(torch.cat(fs), truth)

    noisy = perturb(real, config.projection_noise_deg, generator)
    start = time.perf_counter()
    result = project(prior, noisy, max_steps=config.max_steps, tol=config.tol, method=config.method)
    seconds = time.perf_counter() - start
    before, after, nearest = projection_errors(prior, dataset, train, real, noisy, result.quats.detach())
    out.update(success=float((result.distance < config.tol).float().mean()),
               error_before_mm=1000 * before, error_after_mm=1000 * after, error_ratio=after / before,
               steps=float(result.steps.float().mean()), poses_per_s=len(real) / seconds,
               error_nearest_mm=1000 * nearest, nearest_ratio=nearest / before)
    if prior.dofs is not None and prior.dofs.restricted:
        channel_generator = torch.Generator().manual_seed(config.seed + 2)
        noisy_channels = canonical_hemisphere(prior.dofs(perturb(real, config.projection_noise_deg, channel_generator))[0])
        projected = project(prior, noisy_channels, max_steps=config.max_steps, tol=config.tol, method=config.method)
        before, after, nearest = projection_errors(prior, dataset, train, real, noisy_channels, projected.quats.detach())
        out.update(error_ratio_channels=after / before, nearest_ratio_channels=nearest / before)
    names = [dataset.skeleton.names[j] for j in prior.joint_index]
    for when, quats in (("before", noisy), ("after", result.quats.detach())):
        angles = torch.rad2deg(2 * geodesic_angles(quats.to(real), real).mean(0))
        out.update({f"angle_{when}:{name}": float(a) for name, a in zip(names, angles)})
    if config.far_poses > 0:
        out.update(far_field(prior, train, real, config, torch.Generator().manual_seed(config.seed + 3)))
    return out


def report_markdown(title: str, results: dict[str, float], config: EvalConfig = EvalConfig()) -> str:
    """A markdown section (``## title``) with the results of :func:`evaluate` as tables."""
    rows = [f"| real (held-out) | {results['f_real']:.4f} | |"]
    rows += [f"| {s:g}° per dof | {results[f'f_noise{s:g}']:.4f} | {results[f'auc{s:g}']:.4f} |" for s in config.noise_deg]
    rows += [f"| {s:g}° per dof, on the rig's channels only | {results[f'f_channels{s:g}']:.4f} | "
             f"{results[f'auc_channels{s:g}']:.4f} |" for s in config.noise_deg if f"auc_channels{s:g}" in results]
    p = config.projection_noise_deg
    joint_rows = [f"| {key.split(':', 1)[1]} | {results[key]:.1f} | {results[key.replace('before', 'after', 1)]:.1f} |"
                  for key in results if key.startswith("angle_before:")]
    far = []
    if "far_spearman" in results:
        far_rows = [f"| {label} | {results[f'far_count:{label}']:.0f} | {results[f'far_rel_error:{label}']:.3f} | "
                    f"{results[f'far_spearman:{label}']:.3f} |" for label in bin_labels(config.far_bins)]
        far = ["Far field: held-out poses blended toward uniformly random poses (share t ~ U(0, 1) of the way), "
               "binned by their true distance d to the nearest training pose (radians).", "",
               "| d | poses | mean \\|f − d\\| / d | Spearman ρ(f, d) |", "|---|---:|---:|---:|", *far_rows,
               f"| all | {sum(results[f'far_count:{label}'] for label in bin_labels(config.far_bins)):.0f} | "
               f"{results['far_rel_error']:.3f} | {results['far_spearman']:.3f} |", "",
               f"False zeros: {config.far_poses} uniformly random poses projected ({config.method}, at most "
               f"{config.max_steps} steps): {100 * results['zeros_reached']:.1f}% reach f < {config.tol:g} "
               f"(mean f {results['zeros_f']:.3f}, {results['zeros_steps']:.1f} steps); their true distance to the "
               f"nearest training pose afterwards: mean {results['zeros_distance']:.3f}, median "
               f"{results['zeros_distance_median']:.3f}, 90th percentile {results['zeros_distance_p90']:.3f} rad.", ""]
    return "\n".join([
        f"## {title}", "",
        f"{results['poses']:.0f} held-out poses. Distances f in radians of the weighted geodesic distance.", "",
        "| poses | mean f | AUC vs real |", "|---|---|---|", *rows, "",
        "| metric | value |", "|---|---|",
        f"| Pearson r (f, true distance) | {results['pearson']:.4f} |",
        f"| Spearman ρ (f, true distance) | {results['spearman']:.4f} |",
        f"| projection of {p:g}° noise: success (f < {config.tol:g}) | {100 * results['success']:.1f}% |",
        f"| mean steps ({config.method}, at most {config.max_steps}) | {results['steps']:.2f} |",
        f"| root-aligned joint error before projection | {results['error_before_mm']:.1f} mm |",
        f"| root-aligned joint error after projection | {results['error_after_mm']:.1f} mm |",
        f"| after / before | {results['error_ratio']:.3f} |",
        f"| reference: nearest training pose of the noisy pose | {results['error_nearest_mm']:.1f} mm "
        f"({results['nearest_ratio']:.3f} of before) |",
        *([f"| after / before, {p:g}° on the rig's channels only | {results['error_ratio_channels']:.3f} "
           f"(nearest training pose: {results['nearest_ratio_channels']:.3f}) |"]
          if "error_ratio_channels" in results else []),
        f"| projection throughput | {results['poses_per_s']:,.0f} poses/s |", "",
        f"Per joint: mean rotation angle to the clean pose before and after projecting the {p:g}° poses (degrees).", "",
        "| joint | before | after |", "|---|---:|---:|", *joint_rows, "", *far])


def write_report(path: str | Path, title: str, section: str) -> None:
    """Put ``section`` into the markdown file at ``path`` (atomically), replacing the section
    with the same ``## title`` if there is one, appending otherwise; a file there that is not UTF-8
    text (a checkpoint, a picture) is left as it is: :class:`MotionFormatError` naming it."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8") if path.is_file() else "# Pose-NDF prior benchmarks\n\n"
    except UnicodeDecodeError:
        raise MotionFormatError(path, "is not a UTF-8 markdown file to put the results in") from None
    head = f"## {title}\n"
    if head in text:
        start = text.index(head)
        end = text.find("\n## ", start + len(head))
        text = text[:start] + section + ("\n" + text[end + 1:] if end >= 0 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    with atomic_open(path) as handle:
        handle.write(text)
