"""Benchmark: flat vs HKMR vs HKMR_MF on held-out people, without and with occluders.

The test scenes do not depend on the models: they show the validation poses of a pose
dataset on the skeletons of the people who performed them (:func:`held_out_people`: each
person's own bone lengths, as the dataset recorded them; no proportion changes), seen as
synthetic keypoints (:mod:`posefield.regress.synthetic`, the training ranges of orientation,
camera, noise and occluders). They come in clips of ``clip_length`` frames sharing a person
and a camera; clip c shows person c mod K of the K held-out people, and every person's scenes
are drawn from a generator of their own, seeded by the benchmark's seed. Every condition sees
the same poses, people, cameras and keypoint noise; only the occluder differs (none,
oriented bar, circle, rectangle: one per frame). Errors are over the models' keypoints,
root-relative, in millimetres: MPJPE (P1) and PA-MPJPE after similarity Procrustes alignment
(P2). HKMR_MF refines each clip's HKMR output by prior-based 2D fitting
(:mod:`posefield.regress.refine`) with one skeleton per clip (the clip's mean regressed
proportions).
"""
from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Callable, TypeVar

import numpy as np
import torch

from posefield.data.dataset import PoseDataset
from posefield.errors import MotionFormatError, SkeletonMismatchError
from posefield.fit.keypoints import Keypoints, keypoint_points
from posefield.prior.base import PosePrior
from posefield.prior.registry import prior_or_none
from posefield.regress.body import Body
from posefield.regress.chains import kinematic_chains
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
PERSON_SEED_STRIDE = 1_000_003  # person k's scenes are drawn from seed + k · stride

Fields = TypeVar("Fields")


@dataclasses.dataclass(frozen=True)
class BenchConfig:
    """Test set size (``samples``, a multiple of ``clip_length``) and ``seed``."""

    samples: int = 512
    clip_length: int = 32
    seed: int = 2020


@dataclasses.dataclass(eq=False)
class Person:
    """A held-out person of the test set.

    Attributes:
        name: who it is (the dataset's subjects whose poses these are, joined by '+').
        body: the body of the person's own skeleton (posed with proportions β = 0).
        poses: (N, R − 1, 4) the person's validation poses (quaternions of the rotating non-root joints).
    """

    name: str
    body: Body
    poses: torch.Tensor


@dataclasses.dataclass
class RegressBenchResult:
    """``errors[method][condition] = (MPJPE, PA-MPJPE)`` in mm, ``parameters[method]`` (trainable
    parameters), ``seconds[method]`` spent evaluating, the ``prior`` HKMR_MF used ("-": not run),
    the share of ``visible`` keypoints per condition, whether each method's model reads
    reprojection ``feedback`` and the held-out ``people`` the scenes show."""

    errors: dict[str, dict[str, tuple[float, float]]]
    parameters: dict[str, int]
    seconds: dict[str, float]
    prior: str
    visible: dict[str, float] = dataclasses.field(default_factory=dict)
    feedback: dict[str, bool] = dataclasses.field(default_factory=dict)
    people: list[str] = dataclasses.field(default_factory=list)


def held_out_people(data: PoseDataset) -> list[Person]:
    """One :class:`Person` per distinct skeleton among the validation poses of ``data`` (a
    dataset that records its files' skeletons), in the order of the dataset's skeletons."""
    validation = np.nonzero(data.is_val)[0]
    skeleton_of = data.pose_skeleton()[validation]
    people = []
    for k in np.unique(skeleton_of):
        rows = validation[skeleton_of == k]
        skeleton = data.skeletons[k]
        name = "+".join(sorted({data.subjects[f] for f in np.unique(data.source[rows])}))
        people.append(Person(name, Body.of(skeleton, kinematic_chains(skeleton)), torch.from_numpy(data.quats[rows])))
    return people


def dataset_people(dataset: Path) -> tuple[PoseDataset, list[Person]]:
    """The pose dataset file ``dataset`` and its :func:`held_out_people`; raises
    :class:`MotionFormatError` (one line) when it records no skeletons or has no validation poses."""
    data = PoseDataset.load(dataset)
    if not data.skeletons:
        raise MotionFormatError(dataset, "records no per-file skeletons (built before they were kept); rebuild it "
                                         "with 'posefield dataset build'")
    if not data.is_val.any():
        raise MotionFormatError(dataset, "has no validation poses to test on")
    return data, held_out_people(data)


def own_proportions(synthetic: SyntheticConfig, clip_length: int) -> SyntheticConfig:
    """``synthetic`` in clips of ``clip_length`` frames that show every body at its own size
    and proportions (β = 0)."""
    return dataclasses.replace(synthetic, global_scale=(1.0, 1.0), limb_scale_std=0.0, clip_length=clip_length)


def clips_per_person(people: int, clips: int) -> list[int]:
    """(people,) how many of ``clips`` clips each person gets when clip c shows person c mod ``people``."""
    return [len(range(k, clips, people)) for k in range(people)]


def concatenated(parts: list[Fields]) -> Fields:
    """One dataclass like ``parts[0]`` whose tensor fields (in nested dataclasses too) are those
    of all ``parts`` concatenated along the first (batch) dimension."""
    changes = {}
    for field in dataclasses.fields(parts[0]):
        values = [getattr(part, field.name) for part in parts]
        if isinstance(values[0], torch.Tensor):
            changes[field.name] = torch.cat(values)
        elif dataclasses.is_dataclass(values[0]) and not isinstance(values[0], type):
            changes[field.name] = concatenated(values)
    return dataclasses.replace(parts[0], **changes)


def person_batch(person: Person, index: int, clips: int, keypoint_names: list[str], condition: str,
                 config: BenchConfig, synthetic: SyntheticConfig) -> Batch:
    """``clips`` clips (clips · clip_length scenes) of the ``index``-th held-out ``person`` under
    ``condition``, observed at ``keypoint_names``, drawn from the person's own generator."""
    generator = torch.Generator().manual_seed(config.seed + PERSON_SEED_STRIDE * index)
    count = clips * config.clip_length
    poses = person.poses[torch.randint(len(person.poses), (count,), generator=generator)]
    kinds = torch.full((count,), KINDS.index(condition), dtype=torch.long)
    rows = torch.as_tensor(keypoint_points(person.body.skeleton, keypoint_names))
    return synthetic_batch(person.body, rows, poses, kinds, own_proportions(synthetic, config.clip_length), generator)


def held_out_batch(people: list[Person], keypoint_names: list[str], condition: str, config: BenchConfig,
                   synthetic: SyntheticConfig) -> Batch:
    """The ``config.samples`` test scenes of one condition, person by person (identical for every
    condition but the occluder, and for every model reading ``keypoint_names``); the target's
    points (B, J + E, 3) are on each person's own skeleton."""
    counts = clips_per_person(len(people), config.samples // config.clip_length)
    return concatenated([person_batch(person, k, clips, keypoint_names, condition, config, synthetic)
                         for k, (person, clips) in enumerate(zip(people, counts)) if clips])


def shared_keypoints(models: dict[str, RegressionModel]) -> list[str]:
    """The keypoint names every model reads (the test scenes show one set); raises
    :class:`SkeletonMismatchError` when they differ."""
    names = [m.keypoint_names for m in models.values()]
    if any(n != names[0] for n in names):
        raise SkeletonMismatchError(f"the regressors read different keypoints ({', '.join(models)}); "
                                    "the benchmark shows them the same scenes")
    return names[0]


def errors(points: torch.Tensor, truth: torch.Tensor) -> tuple[float, float]:
    """Mean MPJPE and PA-MPJPE (mm) of (B, P, 3) root-relative keypoints against the (B, P, 3) true ones."""
    points = points.float()
    return float(mpjpe(points, truth).mean()), float(pa_mpjpe(points, truth).mean())


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


def run_benchmark(models: dict[str, RegressionModel], people: list[Person], prior: PosePrior | None,
                  config: BenchConfig = BenchConfig(), synthetic: SyntheticConfig = SyntheticConfig()) -> RegressBenchResult:
    """Evaluate ``models`` (name -> model, e.g. ``{"flat": ..., "HKMR": ...}``, all reading the
    same keypoints) on the test scenes of the held-out ``people``; with a ``prior``, the model of
    kind ``hkmr`` is also refined as HKMR_MF."""
    result = RegressBenchResult({}, {name: parameter_count(m.regressor) for name, m in models.items()}, {},
                                "-" if prior is None else prior.name,
                                feedback={name: m.regressor.config.feedback for name, m in models.items()},
                                people=[person.name for person in people])
    hkmr = next((name for name, m in models.items() if m.kind == "hkmr"), None) if prior is not None else None
    if hkmr is not None:
        result.feedback[REFINED] = models[hkmr].regressor.config.feedback
    names = shared_keypoints(models)
    rows = torch.as_tensor(keypoint_points(people[0].body.skeleton, names))  # the same on every person's skeleton
    for condition in CONDITIONS:
        batch = held_out_batch(people, names, condition, config, synthetic)
        obs, truth = batch.observation, batch.target.points[:, rows]
        result.visible[condition] = float(obs.visible.float().mean())
        for name, model in models.items():
            start = time.perf_counter()
            prediction = predict(model, obs.pixels, obs.confidence, batch.scene.intrinsics)
            result.errors.setdefault(name, {})[condition] = errors(prediction.points[:, model.keypoints], truth)
            result.seconds[name] = result.seconds.get(name, 0.0) + time.perf_counter() - start
            if name == hkmr:
                start = time.perf_counter()
                points = refined_points(model, batch, prediction, prior, config.clip_length)
                result.errors.setdefault(REFINED, {})[condition] = errors(points[:, model.keypoints], truth)
                result.seconds[REFINED] = result.seconds.get(REFINED, 0.0) + time.perf_counter() - start
    return result


def bench_dataset(dataset: Path, hkmr: str = "hkmr", flat: str = "flat", prior: str = "ndf", refine: bool = True,
                  config: BenchConfig = BenchConfig(), notify: Callable[[str], None] = print) -> RegressBenchResult:
    """:func:`run_benchmark` of the two regressors ``hkmr`` and ``flat`` name (kinds, shipped
    names or checkpoint paths; with ``refine``, also HKMR_MF with the ``prior`` spec) on the
    held-out people of the pose dataset file ``dataset``; ``notify`` hears of a prior fallback."""
    data, people = dataset_people(dataset)
    models = {"flat": model_for(flat, []), "HKMR": model_for(hkmr, [])}
    for model in models.values():
        if model.body.skeleton.signature() != data.skeleton.signature():
            raise SkeletonMismatchError(f"{dataset}: the dataset's skeleton is not the regressors' rig")
        check_poses(model.body, list(data.joint_index))
    return run_benchmark(models, people, prior_or_none(prior, data.skeleton, notify) if refine else None,
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
        f"{config.clip_length} frames, one person and camera each, seed {config.seed}): the validation poses of the "
        f"pose dataset on the skeletons of the held-out people who performed them ({', '.join(result.people)}; "
        "their own bone lengths, not seen in training), the same scenes for every model; clip c shows person "
        "c mod their number. The same poses, people, cameras and keypoint noise under every "
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
