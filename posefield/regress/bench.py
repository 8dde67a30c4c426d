"""Benchmark: flat vs HKMR vs HKMR_MF on held-out subjects, without and with occluders.

Test scenes are synthetic (:mod:`posefield.regress.synthetic`, the training ranges) built
from the validation poses of a pose dataset, in clips of ``clip_length`` frames sharing a
person and a camera. Every condition sees the same poses, people, cameras and keypoint
noise; only the occluder differs (none, oriented bar, circle, rectangle: one per frame).
Errors are over the model's keypoints, root-relative, in millimetres: MPJPE (P1) and
PA-MPJPE after similarity Procrustes alignment (P2). HKMR_MF refines each clip's HKMR
output by prior-based 2D fitting (:mod:`posefield.regress.refine`) with one skeleton per
clip (the clip's mean regressed proportions).
"""
from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Callable

import torch

from posefield.data.dataset import PoseDataset
from posefield.errors import SkeletonMismatchError
from posefield.fit.keypoints import Keypoints
from posefield.prior.base import PosePrior
from posefield.prior.registry import prior_or_none
from posefield.regress.checkpoint import model_for
from posefield.regress.model import RegressionModel
from posefield.regress.occluders import KINDS
from posefield.regress.metrics import mpjpe, pa_mpjpe
from posefield.regress.predict import Prediction, predict, prediction_motion
from posefield.regress.refine import INDEPENDENT_FRAMES, refine_motion
from posefield.regress.regressor import parameter_count
from posefield.regress.synthetic import SyntheticConfig, check_poses
from posefield.regress.train import Batch, synthetic_batch

CONDITIONS = KINDS
CONDITION_TITLES = {"none": "Standard", "bar": "Bar", "circle": "Circle", "rectangle": "Rectangle"}
REFINED = "HKMR_MF"


@dataclasses.dataclass(frozen=True)
class BenchConfig:
    """Test set size (``samples``, a multiple of ``clip_length``) and ``seed``."""

    samples: int = 512
    clip_length: int = 32
    seed: int = 2020


@dataclasses.dataclass
class RegressBenchResult:
    """``errors[method][condition] = (MPJPE, PA-MPJPE)`` in mm, ``parameters[method]`` (trainable
    parameters), ``seconds[method]`` spent evaluating, the ``prior`` HKMR_MF used ("-": not run),
    the share of ``visible`` keypoints per condition and whether each method's model reads
    reprojection ``feedback``."""

    errors: dict[str, dict[str, tuple[float, float]]]
    parameters: dict[str, int]
    seconds: dict[str, float]
    prior: str
    visible: dict[str, float] = dataclasses.field(default_factory=dict)
    feedback: dict[str, bool] = dataclasses.field(default_factory=dict)


def test_batch(model: RegressionModel, poses: torch.Tensor, condition: str, config: BenchConfig,
               synthetic: SyntheticConfig) -> Batch:
    """The test scenes of one condition (identical for every condition but the occluder)."""
    generator = torch.Generator().manual_seed(config.seed)
    index = torch.randint(len(poses), (config.samples,), generator=generator)
    kinds = torch.full((config.samples,), KINDS.index(condition), dtype=torch.long)
    return synthetic_batch(model, poses[index], kinds, dataclasses.replace(synthetic, clip_length=config.clip_length),
                           generator)


def errors(points: torch.Tensor, batch: Batch, keypoints: torch.Tensor) -> tuple[float, float]:
    """Mean MPJPE and PA-MPJPE (mm) of (B, J + E, 3) root-relative points over the keypoints."""
    pred, truth = points[:, keypoints].float(), batch.target.points[:, keypoints]
    return float(mpjpe(pred, truth).mean()), float(pa_mpjpe(pred, truth).mean())


def refined_points(model: RegressionModel, batch: Batch, prediction: Prediction, prior: PosePrior,
                   clip_length: int) -> torch.Tensor:
    """(B, J + E, 3) root-relative points after refining each clip of the prediction."""
    out = []
    obs, scene = batch.observation, batch.scene
    for start in range(0, batch.inputs.shape[0], clip_length):
        clip = slice(start, start + clip_length)
        part = Prediction(*(getattr(prediction, f.name)[clip] for f in dataclasses.fields(Prediction)))
        motion = prediction_motion(model, part, fps=30.0)
        keypoints = Keypoints(obs.pixels[clip].double().numpy(), obs.confidence[clip].double().numpy(),
                              list(model.keypoint_names), scene.intrinsics[start].double().numpy(), 30.0)
        fitted = refine_motion(motion, keypoints, prior, INDEPENDENT_FRAMES)
        points = fitted.joint_positions(with_end_sites=True)
        out.append(torch.as_tensor(points - points[:, :1]))
    return torch.cat(out)


def run_benchmark(models: dict[str, RegressionModel], poses: torch.Tensor, prior: PosePrior | None,
                  config: BenchConfig = BenchConfig(), synthetic: SyntheticConfig = SyntheticConfig()) -> RegressBenchResult:
    """Evaluate ``models`` (name -> model, e.g. ``{"flat": ..., "HKMR": ...}``) on test scenes of
    ``poses`` (N, R − 1, 4); with a ``prior``, the model of kind ``hkmr`` is also refined as HKMR_MF."""
    result = RegressBenchResult({}, {name: parameter_count(m.regressor) for name, m in models.items()}, {},
                                "-" if prior is None else prior.name,
                                feedback={name: m.regressor.config.feedback for name, m in models.items()})
    hkmr = next((name for name, m in models.items() if m.kind == "hkmr"), None) if prior is not None else None
    if hkmr is not None:
        result.feedback[REFINED] = models[hkmr].regressor.config.feedback
    reference = next(iter(models.values()))
    for condition in CONDITIONS:
        batch = test_batch(reference, poses, condition, config, synthetic)
        obs = batch.observation
        result.visible[condition] = float(obs.visible.float().mean())
        for name, model in models.items():
            start = time.perf_counter()
            prediction = predict(model, obs.pixels, obs.confidence, batch.scene.intrinsics)
            result.errors.setdefault(name, {})[condition] = errors(prediction.points, batch, model.keypoints)
            result.seconds[name] = result.seconds.get(name, 0.0) + time.perf_counter() - start
            if name == hkmr:
                start = time.perf_counter()
                points = refined_points(model, batch, prediction, prior, config.clip_length)
                result.errors.setdefault(REFINED, {})[condition] = errors(points, batch, model.keypoints)
                result.seconds[REFINED] = result.seconds.get(REFINED, 0.0) + time.perf_counter() - start
    return result


def bench_dataset(dataset: Path, hkmr: str = "hkmr", flat: str = "flat", prior: str = "ndf", refine: bool = True,
                  config: BenchConfig = BenchConfig(), notify: Callable[[str], None] = print) -> RegressBenchResult:
    """:func:`run_benchmark` of the two regressors ``hkmr`` and ``flat`` name (kinds, shipped
    names or checkpoint paths; with ``refine``, also HKMR_MF with the ``prior`` spec) on the
    validation subjects of the pose dataset file ``dataset``; ``notify`` hears of a prior fallback."""
    data = PoseDataset.load(dataset)
    models = {"flat": model_for(flat, []), "HKMR": model_for(hkmr, [])}
    for model in models.values():
        if model.body.skeleton.signature() != data.skeleton.signature():
            raise SkeletonMismatchError(f"{dataset}: the dataset's skeleton is not the regressors' rig")
        check_poses(model.body, list(data.joint_index))
    return run_benchmark(models, data.split(True), prior_or_none(prior, data.skeleton, notify) if refine else None,
                         config)


def regress_table(result: RegressBenchResult) -> str:
    """The paper's table layout (markdown): one row per method, P1/P2 per condition."""
    header = ("| Method | #Param | Feedback | "
              + " | ".join(f"{CONDITION_TITLES[c]} P1 | {CONDITION_TITLES[c]} P2" for c in CONDITIONS) + " |")
    rule = "|---|---:|---|" + "---:|---:|" * len(CONDITIONS)
    rows = []
    for method, by_condition in result.errors.items():
        count = result.parameters.get(method)
        feedback = result.feedback.get(method, False)
        cells = " | ".join(f"{by_condition[c][0]:.1f} | {by_condition[c][1]:.1f}" for c in CONDITIONS)
        rows.append(f"| {method} | {'same as HKMR' if count is None else f'{count / 1e6:.2f}M'} | "
                    f"{'yes' if feedback else 'no'} | {cells} |")
    return "\n".join([header, rule, *rows])


def ratio_row(result: RegressBenchResult, numerator: str, denominator: str, target: float) -> str:
    """A markdown row of MPJPE(numerator) / MPJPE(denominator) per condition, marked against ``target``."""
    values = [result.errors[numerator][c][0] / result.errors[denominator][c][0] for c in CONDITIONS]
    cells = " | ".join(f"{v:.3f} {'met' if v <= target else 'missed'}" for v in values)
    return f"| MPJPE {numerator} / {denominator} (target ≤ {target}) | {cells} |"


def regress_report(result: RegressBenchResult, config: BenchConfig, command: str) -> str:
    """The markdown report: table, target ratios, and how the numbers were made."""
    ratio_header = "| | " + " | ".join(CONDITION_TITLES[c] for c in CONDITIONS) + " |"
    lines = [
        "# HKMR benchmark: 3D pose from 2D keypoints, with and without occluders", "",
        f"Command: `{command}`", "",
        f"Test set: {config.samples} synthetic frames per condition ({config.samples // config.clip_length} clips of "
        f"{config.clip_length} frames, one person and camera each, seed {config.seed}) from the validation subjects "
        "of the pose dataset (not seen in training); the same poses, people, cameras and keypoint noise under every "
        "condition, only the occluder changes (one per frame). P1 = MPJPE, P2 = PA-MPJPE, in mm, over the "
        "regressor's keypoints, root-relative. #Param counts encoder and regressor. Feedback: the model reads "
        "its keypoints' reprojection residuals (`RegressorConfig.feedback`).",
        f"HKMR_MF refines HKMR's output by 2D fitting with the {result.prior!r} prior (one skeleton per clip)."
        if REFINED in result.errors else "HKMR_MF was not run.", "",
        regress_table(result), "",
        ratio_header, "|---|" + "---:|" * len(CONDITIONS),
        "| visible keypoints | " + " | ".join(f"{100 * result.visible[c]:.0f} %" for c in CONDITIONS) + " |",
        ratio_row(result, "HKMR", "flat", 0.85),
    ]
    if REFINED in result.errors:
        lines.append(ratio_row(result, REFINED, "HKMR", 0.95))
    seconds = ", ".join(f"{name} {value:.1f} s" for name, value in result.seconds.items())
    lines += ["", f"Evaluation time (all conditions): {seconds}.", ""]
    return "\n".join(lines)
