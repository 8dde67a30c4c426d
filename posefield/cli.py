"""The ``posefield`` command line: a thin layer over the library.

Every command turns a :class:`posefield.errors.PosefieldError` into a one-line message on
stderr and exit code 2.
"""
from __future__ import annotations

import functools
import math
import sys
from pathlib import Path
from typing import Callable, Optional

import typer
from typer._click.exceptions import ClickException, NoArgsIsHelpError  # typer's vendored click (pinned)
from typer.core import TyperGroup

from posefield.errors import PosefieldError
from posefield.limits import MAX_FRAMES


class OneLineErrors(TyperGroup):
    """The ``posefield`` command group: usage errors (an unknown option, a missing or bad value)
    print one line naming the option, like every other error, and exit with code 2."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except NoArgsIsHelpError as exc:  # a bare group: its help
            exc.show()
            code = exc.exit_code
        except ClickException as exc:
            where = f" (see '{exc.ctx.command_path} --help')" if getattr(exc, "ctx", None) else ""
            typer.echo(f"posefield: error: {' '.join(exc.format_message().split())}{where}", err=True)
            code = exc.exit_code
        except typer.Abort:
            typer.echo("posefield: aborted", err=True)
            code = 1
        if not standalone_mode:
            return code
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(cls=OneLineErrors, add_completion=False, no_args_is_help=True,
                  help="Learned human pose priors on open motion capture.")
dataset_app = typer.Typer(no_args_is_help=True, help="Build pose datasets from motion files.")
prior_app = typer.Typer(no_args_is_help=True, help="Train and evaluate pose priors.")
app.add_typer(dataset_app, name="dataset")
app.add_typer(prior_app, name="prior")


# Ranges of the numeric options (values outside, NaN and infinities are refused in one line).
MAX_FPS = 1000.0  # frames per second
MAX_TEST_FRAMES = 100_000  # frames or poses an evaluation draws
MAX_SAMPLES = 10_000  # poses `sample` draws, projects and compares pairwise
MAX_NOISE_DEG = 90.0  # standard deviation of rotation noise, degrees
MAX_SEED = 2**32 - 1  # numpy's seed range
MAX_THREADS = 1024
MAX_STEPS = 10_000_000  # optimiser steps or epochs
MAX_BATCH = 1 << 20
MAX_PAIRS = 100_000_000  # labelled pairs held in memory (~16 GB of poses)
MAX_WIDTH = 65_536  # hidden units of a layer
MAX_ITERATIONS = 100
MAX_SECONDS = 1e7  # about four months
MAX_DEPTH_M = 1000.0  # camera distance
MAX_PIXELS = 100_000  # image sides, focal lengths, pixel noise


def number(default, low: float, high: float, *names: str, above: bool = False, help: str):
    """A numeric option taking values in [low, high] ((low, high] with ``above``): any other
    value, NaN or infinity is refused with one line naming the option (exit 2). The range is
    added to the help."""
    shown = f"{'(' if above else '['}{low:g}, {high:g}]" if isinstance(low, float) else f"[{low}, {high}]"
    words = f"positive and at most {high:g}" if above and low == 0 else f"in {shown}"

    def check(value):
        if value is not None:
            inside = low < value if above else low <= value
            if not (math.isfinite(value) and inside and value <= high):
                raise typer.BadParameter(f"must be {words}, got {value!r}")
        return value

    return typer.Option(default, *names, callback=check, help=f"{help} Range {shown}.")


def given(**values):
    """The options given on the command line as keyword arguments: an option left at ``None``
    is not passed, so the library's own default applies (the command line copies none)."""
    return {name: value for name, value in values.items() if value is not None}


def fail(message: str) -> None:
    """Print ``posefield: error: message`` on one line and exit with code 2."""
    typer.echo(f"posefield: error: {' '.join(message.split())}", err=True)
    raise typer.Exit(code=2)


def friendly_errors(func: Callable) -> Callable:
    """Turn library errors (and missing files) into one-line messages with exit code 2."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except PosefieldError as exc:
            fail(str(exc))
        except (FileNotFoundError, FileExistsError, IsADirectoryError, NotADirectoryError, PermissionError) as exc:
            fail(f"{exc.filename}: {exc.strerror}")
    return wrapper


# --- commands -------------------------------------------------------------------------------
# (each command: @app.command() / @dataset_app.command() / @prior_app.command(), then @friendly_errors)


# --- benchmark: ndf vs vae vs gmm vs none (posefield/bench) ---


@app.command("bench")
@friendly_errors
def bench_cmd(data: Path = typer.Option(..., help="Folder of motion files (e.g. the CMU ASF/AMC clips)."),
              subjects: str = typer.Option("09,13", help="Held-out (test) subjects, comma-separated."),
              quick: bool = typer.Option(False, "--quick", help="The quick protocol (fewer windows, samples, steps)."),
              output: Path = typer.Option(..., "-o", "--output", help="Report (.md) to write; its plots go next to it."),
              ndf: str = typer.Option("ndf", help="The ndf prior: 'ndf' (shipped) or a checkpoint path."),
              vae: str = typer.Option("vae", help="The vae prior: 'vae' (shipped) or a checkpoint path."),
              gmm: str = typer.Option("gmm", help="The gmm prior: 'gmm' (shipped) or a checkpoint path."),
              hkmr_dataset: Optional[Path] = typer.Option(None, help="Pose dataset (.npz) for the HKMR rows (its validation subjects)."),
              hkmr_samples: Optional[int] = number(None, 1, MAX_TEST_FRAMES, help="HKMR test frames per condition (library default)."),
              setting: list[str] = typer.Option([], "--set", help="Override a protocol setting, NAME=VALUE (repeatable)."),
              threads: int = number(1, 1, MAX_THREADS, help="Torch CPU threads.")) -> None:
    """Benchmark the priors side by side on held-out subjects (protocol: posefield/bench/protocol.py)."""
    import torch
    from posefield.jobs.bench import bench_to_file
    from posefield.bench.protocol import FULL, QUICK, with_overrides
    from posefield.io.outputs import check_output
    torch.set_num_threads(threads)
    try:
        protocol = with_overrides(QUICK if quick else FULL, setting)
    except ValueError as exc:
        fail(f"--set: {exc}")
    if not data.is_dir():
        fail(f"--data {data}: no such folder")
    check_output(output, [], (".md",), "report")
    held_out = {s.strip() for s in subjects.split(",") if s.strip()}
    bench_to_file(data, held_out, protocol, {"ndf": ndf, "vae": vae, "gmm": gmm, "none": "none"}, output,
                  " ".join(["posefield", *sys.argv[1:]]), hkmr_dataset, log=typer.echo, **given(hkmr_samples=hkmr_samples))
    typer.echo(f"wrote {output}")


# --- Pose-NDF: train, evaluate, project, score (posefield/prior) ---

NDF_PRIOR_HELP = ("Prior: a shipped name (cmu-asf, daz-bvh; on another rig through a rig mapping), 'ndf' (the shipped "
                  "prior of the motion's rig, else the best-matching one through a mapping) or a checkpoint path.")
RIG_MAP_HELP = "Mapping file (lines 'prior_joint = motion_joint') completing or overriding the automatic joint match."


def note(message: str) -> None:
    """A one-line note on stderr (e.g. that a rig mapping is used)."""
    typer.echo(message, err=True)


@prior_app.command("train")
@friendly_errors
def prior_train_cmd(dataset: Path = typer.Argument(..., help="Pose dataset (.npz) from 'posefield dataset build'."),
                    output: Path = typer.Option(..., "-o", "--output", help="Checkpoint (.pt), rewritten after every epoch."),
                    epochs: Optional[int] = number(None, 1, MAX_STEPS, help="Train until this epoch (library default)."),
                    batch_size: Optional[int] = number(None, 1, MAX_BATCH, help="Pairs per step and process (library default)."),
                    lr_decay: Optional[float] = number(None, 0.0, 1.0, above=True, help="Learning-rate factor per epoch (library default)."),
                    seed: int = number(0, 0, MAX_SEED, help="Seed of initialisation, pairs and batch order."),
                    resume: bool = typer.Option(False, "--resume", help="Continue from the checkpoint at --output."),
                    device: str = typer.Option("cpu", help="'cpu' or 'cuda' (under torchrun: one GPU per process)."),
                    kind: str = typer.Option("ndf", help="Prior kind: 'ndf', or a baseline: 'vae' (takes --epochs, --batch-size, "
                                             "--seed, --resume, --mirror) or 'gmm' (fitted by EM; takes --seed, --mirror)."),
                    pairs: Optional[int] = number(None, 1, MAX_PAIRS, help="Labelled training pairs (library default)."),
                    mirror: Optional[bool] = typer.Option(None, "--mirror/--no-mirror", help="Add the left-right mirror image "
                                                          "of every training pose [default: when the rig is symmetric]."),
                    cache_dir: Optional[Path] = typer.Option(None, help="Labelled-pair cache (default: ~/.cache/posefield/pairs)."),
                    threads: int = number(1, 1, MAX_THREADS, help="CPU threads of torch and faiss (more only pays on idle cores)."),
                    lr: Optional[float] = number(None, 0.0, 1.0, above=True, help="Learning rate of the first epoch (library default)."),
                    mine: Optional[int] = number(None, 0, MAX_PAIRS, help="Uniformly random poses projected per epoch to mine "
                                                 "the field's false zeros as pairs (library default)."),
                    init: Optional[str] = typer.Option(None, help="Start from this Pose-NDF checkpoint or shipped prior "
                                                       "(fresh optimizer and these settings).")) -> None:
    """Train a Pose-NDF prior (CPU by default; multi-GPU: torchrun --nproc_per_node=N -m posefield.cli prior train ...)
    or, with --kind vae|gmm, a baseline prior (CPU)."""
    import torch
    from posefield.data import PoseDataset
    from posefield.data.dataset import require_splits
    from posefield.io.outputs import check_output
    from posefield.prior.ndf.train import train, train_config
    check_output(output, [dataset])
    torch.set_num_threads(threads)
    if kind != "ndf" and (init is not None or mine is not None or lr is not None):
        fail("--init, --mine and --lr apply to --kind ndf only")
    if kind == "vae":
        from posefield.prior.baselines.vae import VAETrainConfig, train_vae
        sizes = {name: value for name, value in (("epochs", epochs), ("batch_size", batch_size)) if value is not None}
        train_vae(require_splits(PoseDataset.load(dataset), dataset, training=True), output,
                  VAETrainConfig(seed=seed, mirror=mirror, **sizes), resume=resume, log=typer.echo)
        return
    if kind == "gmm":
        from posefield.prior.baselines.gmm import GMMFitConfig, train_gmm
        if resume:
            fail("--resume does not apply to --kind gmm (EM fits in one go)")
        train_gmm(require_splits(PoseDataset.load(dataset), dataset, training=True), output,
                  GMMFitConfig(seed=seed, mirror=mirror), log=typer.echo)
        return
    config = train_config(epochs=epochs, batch_size=batch_size, seed=seed, kind=kind, num_train=pairs, lr_decay=lr_decay,
                          mirror=mirror, lr=lr, mine=mine)
    train(require_splits(PoseDataset.load(dataset), dataset, training=True), output, config, resume=resume,
          device=device, cache_dir=cache_dir, log=typer.echo, init=init)


@prior_app.command("eval")
@friendly_errors
def prior_eval_cmd(prior: str = typer.Argument(..., help="Checkpoint path or shipped prior name."),
                   dataset: Path = typer.Argument(..., help="Pose dataset (.npz); its validation split is used."),
                   output: Optional[Path] = typer.Option(None, "-o", "--output", help="Markdown file to put the results in."),
                   title: Optional[str] = typer.Option(None, help="Section title [default: prior and dataset names]."),
                   poses: Optional[int] = number(None, 1, MAX_TEST_FRAMES, help="Held-out poses to evaluate on (library default)."),
                   far_poses: Optional[int] = number(None, 0, MAX_TEST_FRAMES, help="Uniformly random poses projected to "
                                                     "count false zeros; 0 skips the far field (library default)."),
                   threads: int = number(1, 1, MAX_THREADS, help="CPU threads of torch and faiss.")) -> None:
    """Evaluate a prior on held-out subjects: AUC vs noise, correlation, projection error and speed, and the far
    field (accuracy per distance bin out to uniformly random poses, false zeros)."""
    import torch
    from posefield.data import PoseDataset
    from posefield.data.dataset import require_splits
    from posefield.io.outputs import check_output
    from posefield.prior.checkpoint import load_prior
    from posefield.prior.evaluation.evaluate import EvalConfig, evaluate, report_markdown, write_report
    if output is not None:
        check_output(output, [dataset, Path(prior)])
    torch.set_num_threads(threads)
    config = EvalConfig(**given(num_poses=poses, far_poses=far_poses))
    title = title or f"{Path(prior).stem} on {dataset.name}"
    poses = require_splits(PoseDataset.load(dataset), dataset, training=True, validation=True)
    model = load_prior(prior)
    if model.name != "ndf":
        fail(f"{prior}: a {model.name!r} prior; 'prior eval' evaluates Pose-NDF priors (all kinds: 'posefield bench')")
    section = report_markdown(title, evaluate(model, poses, config), config)
    typer.echo(section)
    if output is not None:
        write_report(output, title, section)
        typer.echo(f"wrote {output}")


@app.command("project")
@friendly_errors
def project_cmd(src: Path = typer.Argument(..., help="Motion (.amc/.bvh/.npz)."),
                output: Path = typer.Option(..., "-o", "--output", help="Projected motion; format by extension (none: the input's)."),
                prior: str = typer.Option("ndf", help=NDF_PRIOR_HELP),
                asf: Optional[Path] = typer.Option(None, help="Skeleton of an .amc input."),
                rig_map: Optional[Path] = typer.Option(None, help=RIG_MAP_HELP)) -> None:
    """Project every frame onto the pose manifold (the prior's joints only; same skeleton out)."""
    from posefield.jobs.fit import project_file
    files, frames, distance, steps = project_file(src, output, prior, asf, rig_map, note=note)
    typer.echo(f"{frames} frames: mean distance {distance:.4f} rad after {steps:.1f} steps on average")
    echo_written(files)


@app.command("score")
@friendly_errors
def score_cmd(src: Path = typer.Argument(..., help="Motion (.amc/.bvh/.npz)."),
              output: Optional[Path] = typer.Option(None, "-o", "--output", help="CSV of frame,distance [default: stdout]."),
              prior: str = typer.Option("ndf", help=NDF_PRIOR_HELP),
              asf: Optional[Path] = typer.Option(None, help="Skeleton of an .amc input."),
              rig_map: Optional[Path] = typer.Option(None, help=RIG_MAP_HELP)) -> None:
    """Score every frame with the prior (distance to the pose manifold, radians)."""
    from posefield.jobs.fit import score_file
    from posefield.prior.motions.apply import scores_csv, write_scores
    scores = score_file(src, prior, asf, rig_map, note=note, out=output)
    if output is None:
        typer.echo(scores_csv(scores), nl=False)
        return
    write_scores(output, scores)
    typer.echo(f"wrote {output} ({len(scores)} frames, mean distance {scores.mean():.4f} rad)")


@app.command("rig")
@friendly_errors
def rig_cmd(src: Path = typer.Argument(..., help="Motion (.amc/.bvh/.npz) or skeleton (.asf)."),
            prior: str = typer.Option("ndf", help=NDF_PRIOR_HELP),
            asf: Optional[Path] = typer.Option(None, help="Skeleton of an .amc input."),
            rig_map: Optional[Path] = typer.Option(None, help=RIG_MAP_HELP)) -> None:
    """Show how a motion's rig maps onto a prior's: the joint pairs, the unpaired joints, the alignment."""
    from posefield.jobs.fit import rig_report
    typer.echo(rig_report(src, prior, asf, rig_map))


@app.command()
@friendly_errors
def demo(output: Path = typer.Option(Path("posefield-demo"), "-o", "--output", help="Folder for the demo's files."),
         prior: str = typer.Option("ndf", help="Prior: ndf (shipped), vae, gmm, none, or a checkpoint path."),
         noise: Optional[float] = number(None, 0.0, MAX_NOISE_DEG, help="Gaussian noise (degrees) added to every non-root "
                                         "rotation channel (library default)."),
         seed: Optional[int] = number(None, 0, MAX_SEED, help="Seed of the noise (library default).")) -> None:
    """The main job: denoise a noisy shipped clip with the shipped prior and draw the result."""
    from posefield.jobs.demo import run_demo
    r = run_demo(output, prior, **given(noise_deg=noise, seed=seed))
    typer.echo(f"CMU 13_11 ({r.frames} frames, subject held out of the prior's training), {r.noise_deg:g}° noise:")
    typer.echo(f"  root-aligned joint error: noisy {r.error_noisy_mm:.1f} mm -> denoised {r.error_denoised_mm:.1f} mm "
               f"(no prior, same settings: {r.error_no_prior_mm:.1f} mm)")
    typer.echo(f"  mean prior distance: clean {r.distance_clean:.3f}, noisy {r.distance_noisy:.3f}, "
               f"denoised {r.distance_denoised:.3f} rad")
    typer.echo(f"  denoising took {r.seconds_denoise:.1f} s ({r.frames / r.seconds_denoise:.0f} frames/s)")
    for path in r.files:
        typer.echo(f"wrote {path}")


# --- pictures, viewer and photos (posefield/viz, posefield/mesh, posefield/image) ---

MESH_HELP = "Body: 'auto' (Anny on CMU ASF skeletons when installed, else capsules), 'anny' or 'capsules'."


def split_list(text: Optional[str]) -> list[str]:
    """``"a,b"`` -> ``["a", "b"]`` (``None`` -> ``[]``)."""
    return [item.strip() for item in (text or "").split(",") if item.strip()]


def read_inputs(paths: list[Path], labels: Optional[str], asf: Optional[Path]):
    """The motions of ``paths`` (each with frames to show) and their labels (``--labels`` or the file stems)."""
    from posefield.io.files import read_motion
    from posefield.jobs.fit import with_frames
    names = split_list(labels) or [p.stem for p in paths]
    if len(names) != len(paths):
        fail(f"--labels names {len(names)} inputs but {len(paths)} were given")
    amc = [p.suffix.lower() == ".amc" for p in paths]
    if asf is not None and not any(amc):
        fail(f"--asf {asf} applies to .amc inputs only, and none was given")
    return [with_frames(read_motion(p, asf if is_amc else None), p, "show") for p, is_amc in zip(paths, amc)], names


@app.command("render")
@friendly_errors
def render_cmd(inputs: list[Path] = typer.Argument(..., help="Motions to overlay (.amc/.bvh/.npz); the first is drawn grey."),
               output: Path = typer.Option(..., "-o", "--output", help="Picture (.png) or animation (.gif, .mp4)."),
               mesh: bool = typer.Option(False, "--mesh", help="Draw body meshes instead of skeletons."),
               body: str = typer.Option("auto", help=MESH_HELP),
               views: str = typer.Option("front,side", help="Comma list: front, side, left, right, back or degrees."),
               labels: Optional[str] = typer.Option(None, help="Comma list of legend entries (default: file names)."),
               frames: Optional[str] = typer.Option(None, help="Comma list of frames for a .png (default: 4 evenly spaced)."),
               fps: Optional[float] = number(None, 0.0, MAX_FPS, above=True,
                                             help="Frame rate of an animation (default: the motion's, at most 30; "
                                                  "a GIF plays at most 50)."),
               asf: Optional[Path] = typer.Option(None, help="Skeleton of .amc inputs.")) -> None:
    """Draw motions (skeletons or body meshes) from several views, overlaid, as a picture or animation."""
    from posefield.io.outputs import check_output
    from posefield.viz.camera import view_azimuth
    from posefield.viz.render import render_motions
    from posefield.viz.video import ANIMATION_SUFFIXES, GIF_MIN_FPS, PICTURE_SUFFIXES
    if fps is not None and fps < GIF_MIN_FPS and output.suffix.lower() == ".gif":
        fail(f"--fps must be at least {GIF_MIN_FPS:g} for a GIF (a frame shows at most 655 s), got {fps!r}")
    try:
        chosen = [int(f) for f in split_list(frames)] or None
    except ValueError:
        fail(f"--frames {frames!r}: expected a comma list of frame numbers")
    chosen_views = split_list(views)
    try:
        for view in chosen_views or [""]:
            view_azimuth(view)
    except ValueError as exc:
        fail(f"--views: {exc}")
    check_output(output, inputs, PICTURE_SUFFIXES + ANIMATION_SUFFIXES, "picture")
    motions, names = read_inputs(inputs, labels, asf)
    typer.echo(f"wrote {render_motions(motions, names, output, chosen_views, body if mesh else None, chosen, fps)}")


@app.command("view")
@friendly_errors
def view_cmd(inputs: list[Path] = typer.Argument(..., help="Motions to show (.amc/.bvh/.npz)."),
             mesh: bool = typer.Option(False, "--mesh", help="Also show body meshes."),
             body: str = typer.Option("auto", help=MESH_HELP),
             labels: Optional[str] = typer.Option(None, help="Comma list of names (default: file names)."),
             port: Optional[int] = number(None, 1, 65535, help="Web viewer port (default: a free one)."),
             browser: bool = typer.Option(True, help="Open a browser on the viewer."),
             seconds: Optional[float] = number(None, 0.0, MAX_SECONDS, help="Serve this long, then exit (default: until Ctrl-C)."),
             asf: Optional[Path] = typer.Option(None, help="Skeleton of .amc inputs.")) -> None:
    """Open an interactive 3D viewer in the browser, with a timeline (play, pause, frame slider)."""
    import time

    from posefield.viz.viewer import start_viewer
    motions, names = read_inputs(inputs, labels, asf)
    recording, address = start_viewer(motions, names, body if mesh else None, web_port=port, open_browser=browser)
    typer.echo(f"viewer at {address.url} (Ctrl-C to stop)")
    try:
        deadline = None if seconds is None else time.monotonic() + seconds
        while deadline is None or time.monotonic() < deadline:
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    recording.disconnect()


@app.command("image")
@friendly_errors
def image_cmd(photo: Path = typer.Argument(..., help="Photo of a person (.jpg, .png ...)."),
              output: Path = typer.Option(..., "-o", "--output", help="Body as a motion (.amc/.bvh/.npz) or an overlay picture (.png)."),
              overlay: Optional[Path] = typer.Option(None, help="Also write the overlay picture here (.png)."),
              mesh: bool = typer.Option(True, help="Draw the body mesh in the overlay (else the skeleton only)."),
              body: str = typer.Option("auto", help=MESH_HELP),
              method: str = typer.Option("auto", help="'hkmr' (regressor + refinement), 'fit2d', or 'auto'."),
              skeleton: Optional[Path] = typer.Option(None, help="Skeleton to fit (.asf/.bvh; fit2d)."),
              prior: str = typer.Option("ndf", help="'ndf' (the shipped prior), 'none', or a checkpoint path.")) -> None:
    """Recover a 3D body from a photo: 2D keypoints (MediaPipe), then HKMR or fit2d, and an overlay."""
    from posefield.image.recover import RECOVERY_METHODS
    from posefield.jobs.image import image_file
    if method not in RECOVERY_METHODS:
        fail(f"--method must be one of {', '.join(RECOVERY_METHODS)}, got {method!r}")
    for written in image_file(photo, output, overlay, body if mesh else None, method, skeleton, prior,
                              notify=lambda message: typer.echo(message, err=True)):
        typer.echo(f"wrote {written}")


@app.command()
@friendly_errors
def info(path: Path = typer.Argument(..., help="Motion (.amc/.bvh/.npz), skeleton (.asf), pose dataset or keypoint file (.npz)."),
         asf: Optional[Path] = typer.Option(None, help="Skeleton of an .amc file.")) -> None:
    """Summarise a motion, skeleton, pose dataset or keypoint file."""
    from posefield.jobs.describe import describe
    typer.echo(describe(path, asf=asf))


@app.command()
@friendly_errors
def convert(src: Path = typer.Argument(..., help="Input motion (.amc/.bvh/.npz)."),
            dst: Path = typer.Argument(..., help="Output motion; the format follows the extension."),
            asf: Optional[Path] = typer.Option(None, help="Skeleton of an .amc input."),
            fps: Optional[float] = number(None, 0.0, MAX_FPS, above=True, help="Resample to this frame rate."),
            source_fps: Optional[float] = number(None, 0.0, MAX_FPS, above=True, help="Override the frame rate the input claims.")) -> None:
    """Convert between AMC+ASF, BVH and npz (an .amc output also writes its .asf)."""
    from posefield.jobs.convert import convert_file
    echo_written(convert_file(src, dst, asf, fps, source_fps))


@dataset_app.command("build")
@friendly_errors
def dataset_build(sources: list[Path] = typer.Argument(..., help="Motion files or folders (.amc/.bvh/.npz), one rig."),
                  output: Path = typer.Option(..., "-o", "--output", help="Dataset file to write (.npz)."),
                  fps: Optional[float] = number(None, 0.0, MAX_FPS, above=True, help="Target frame rate (library default)."),
                  dedup: Optional[float] = number(None, 0.0, math.pi, help="Drop poses closer than this (weighted geodesic, rad) "
                                                  "to a kept one (library default)."),
                  val: list[str] = typer.Option([], "--val", help="Validation subject (or file stem with --split-by file); repeat."),
                  val_fraction: Optional[float] = number(None, 0.0, 1.0, help="Share of frames held out when --val is not "
                                                         "given (library default)."),
                  split_by: Optional[str] = typer.Option(None, help="'subject' or 'file' [default: the library's, subject]."),
                  drop_frames: Optional[int] = number(None, 0, MAX_FRAMES, help="Frames dropped at the start of every file "
                                                      "(library default)."),
                  source_fps: list[str] = typer.Option([], "--source-fps", help="GLOB=FPS: files matching GLOB really run at FPS; repeat."),
                  asf: Optional[Path] = typer.Option(None, help="Skeleton for .amc sources (default: NN.asf beside them)."),
                  seed: Optional[int] = number(None, 0, MAX_SEED, help="Seed of the validation draw (library default).")) -> None:
    """Build a pose dataset (unit quaternions of the rotating non-root joints) with a train/val split."""
    from posefield.data.build import SPLIT_BY, BuildConfig, build_dataset
    from posefield.io.outputs import check_output
    if split_by is not None and split_by not in SPLIT_BY:
        fail(f"--split-by must be one of {', '.join(SPLIT_BY)}, got {split_by!r}")
    if output.suffix.lower() != ".npz":
        fail(f"{output}: dataset output must end in .npz")
    check_output(output, sources)
    overrides = []
    for item in source_fps:
        pattern, _, value = item.rpartition("=")
        try:
            rate = float(value)
        except ValueError:
            rate = math.nan
        if not (pattern and 0 < rate <= MAX_FPS):
            fail(f"--source-fps {item!r}: expected GLOB=FPS with 0 < FPS <= {MAX_FPS:g}")
        overrides.append((pattern, rate))
    config = BuildConfig(val_subjects=tuple(val), source_fps=tuple(overrides), asf=asf,
                         **given(fps=fps, dedup_distance=dedup, val_fraction=val_fraction, split_by=split_by,
                                 drop_frames=drop_frames, seed=seed))
    dataset, summary = build_dataset(sources, config)
    dataset.save(output)
    typer.echo(f"{summary.files} files, {summary.frames_read} frames read, {summary.frames_resampled} at {config.fps:g} fps; "
               f"kept {summary.train_poses} train + {summary.val_poses} val poses of {summary.joints} joints "
               f"in {summary.seconds:.1f} s")
    typer.echo(f"train: {', '.join(summary.train_groups)}")
    typer.echo(f"val:   {', '.join(summary.val_groups) or '(none)'}")
    typer.echo(f"wrote {output}")


# --- applications of a prior (posefield/fit) ---

PRIOR_HELP = ("'ndf' (the shipped prior of the motion's rig, else the best-matching one through a rig mapping), "
              "'none', a shipped prior's name or a checkpoint path.")
OUTPUT_HELP = "Output motion; the format follows the extension (none: the input's format)."


def echo_written(paths: list[Path]) -> None:
    for written in paths:
        typer.echo(f"wrote {written}")


@app.command("denoise")
@friendly_errors
def denoise_cmd(src: Path = typer.Argument(..., help="Noisy motion (.amc/.bvh/.npz)."),
                output: Path = typer.Option(..., "-o", "--output", help=OUTPUT_HELP),
                asf: Optional[Path] = typer.Option(None, help="Skeleton of an .amc input."),
                prior: str = typer.Option("ndf", help=PRIOR_HELP),
                rig_map: Optional[Path] = typer.Option(None, help=RIG_MAP_HELP)) -> None:
    """Denoise a motion: stay near its joints, move smoothly, keep poses plausible."""
    from posefield.jobs.fit import denoise_file
    echo_written(denoise_file(src, output, prior, asf, log=typer.echo, rig_map=rig_map, note=note))


@app.command("complete")
@friendly_errors
def complete_cmd(src: Path = typer.Argument(..., help="Motion with unobserved joints (.amc/.bvh/.npz)."),
                 output: Path = typer.Option(..., "-o", "--output", help=OUTPUT_HELP),
                 missing: str = typer.Option(..., help="Unobserved group (left_leg, left_arm_hand, "
                                             "right_shoulder_upper_arm, mirrors) or comma list of bones."),
                 asf: Optional[Path] = typer.Option(None, help="Skeleton of an .amc input."),
                 prior: str = typer.Option("ndf", help=PRIOR_HELP),
                 floor: str = typer.Option("none", help="Keep the filled-in points above the floor: 'auto' (the "
                                           "lowest height the observed legs reach), a height along Y in "
                                           "metres, or 'none'."),
                 rig_map: Optional[Path] = typer.Option(None, help=RIG_MAP_HELP)) -> None:
    """Recover occluded body parts: the prior fills in the joints of --missing."""
    import math

    from posefield.fit.complete import AUTO_FLOOR
    from posefield.jobs.fit import complete_file
    height: str | float | None = None if floor == "none" else floor
    if floor not in ("none", AUTO_FLOOR):
        try:
            height = float(floor)
        except ValueError:
            height = math.nan
        if not math.isfinite(height):
            fail(f"--floor must be 'auto', 'none' or a height in metres, got {floor!r}")
    echo_written(complete_file(src, output, missing, prior, asf, height, log=typer.echo, rig_map=rig_map, note=note))


@app.command("fit2d")
@friendly_errors
def fit2d_cmd(keypoints: Path = typer.Argument(..., help="2D keypoints (.npz: keypoints, joint_names, K)."),
              output: Path = typer.Option(..., "-o", "--output", help="Output motion (camera frame); format by extension."),
              asf: Optional[Path] = typer.Option(None, help="Skeleton to fit (.asf)."),
              skeleton: Optional[Path] = typer.Option(None, help="Skeleton to fit (.asf or .bvh)."),
              prior: str = typer.Option("ndf", help=PRIOR_HELP)) -> None:
    """Fit a 3D pose sequence to 2D keypoints seen by a pinhole camera."""
    from posefield.jobs.fit import fit2d_file
    if (asf is None) == (skeleton is None):
        fail("fit2d needs exactly one of --asf and --skeleton")
    echo_written(fit2d_file(keypoints, output, asf or skeleton, prior))


@app.command("keypoints")
@friendly_errors
def keypoints_cmd(src: Path = typer.Argument(..., help="Motion (.amc/.bvh/.npz) with Y up (ASF/AMC, BVH)."),
                  output: Path = typer.Option(..., "-o", "--output", help="Keypoint file to write (.npz)."),
                  asf: Optional[Path] = typer.Option(None, help="Skeleton of an .amc input."),
                  points: Optional[str] = typer.Option(None, help="Comma list of points (see '2D keypoint files' in "
                                                       "the README; default: every point of the rig)."),
                  depth: Optional[float] = number(None, 0.0, MAX_DEPTH_M, above=True, help="Camera distance from "
                                                  "the motion's mean position, metres (library default)."),
                  yaw: Optional[float] = number(None, -360.0, 360.0, help="Camera turn about the vertical, degrees "
                                                "(library default)."),
                  focal: Optional[float] = number(None, 0.0, MAX_PIXELS, above=True, help="Focal length, pixels "
                                                  "(library default)."),
                  width: Optional[int] = number(None, 1, MAX_PIXELS, help="Image width, pixels (library default)."),
                  height: Optional[int] = number(None, 1, MAX_PIXELS, help="Image height, pixels (library default)."),
                  noise: Optional[float] = number(None, 0.0, MAX_PIXELS, help="Gaussian pixel noise, standard deviation "
                                                  "in pixels (library default)."),
                  seed: Optional[int] = number(None, 0, MAX_SEED, help="Seed of the noise (library default).")) -> None:
    """Make a 2D keypoint file from a motion filmed by a pinhole camera (for regress and fit2d)."""
    import dataclasses

    from posefield.jobs.fit import keypoints_file
    from posefield.fit.keypoints import ViewSettings
    given = {"depth": depth, "yaw_deg": yaw, "focal": focal, "width": width, "height": height, "pixel_noise": noise,
             "seed": seed}
    view = dataclasses.replace(ViewSettings(), **{k: v for k, v in given.items() if v is not None})
    echo_written(keypoints_file(src, output, asf, split_list(points) or None, view))


@app.command("sample")
@friendly_errors
def sample_cmd(num: int = number(..., 1, MAX_SAMPLES, "-n", help="Number of poses (frames)."),
               output: Path = typer.Option(..., "-o", "--output", help="Output motion; format by extension."),
               prior: str = typer.Option("ndf", help=PRIOR_HELP),
               skeleton: Optional[Path] = typer.Option(None, help="Rig to pose (.asf/.bvh); default: the prior's."),
               reference: Optional[Path] = typer.Option(None, help="Pose dataset (.npz) to measure realism against "
                                                         "[default: the training poses stored with the rig's shipped prior]."),
               seed: int = number(0, 0, MAX_SEED, help="Random seed."),
               rig_map: Optional[Path] = typer.Option(None, help=RIG_MAP_HELP),
               starts: str = typer.Option("mix", help="Pose-NDF: project per-limb mixtures of neighbouring exemplars ('mix') "
                                          "or uniformly random rotations ('random', the paper's).")) -> None:
    """Generate poses from the prior (Pose-NDF: projected onto its manifold; vae, gmm: their own
    samplers); report their diversity (APD) and realism against real poses."""
    from posefield.jobs.fit import sample_file
    from posefield.fit.sample import NDF_STARTS
    if starts not in NDF_STARTS:
        fail(f"--starts must be one of {', '.join(NDF_STARTS)}, got {starts!r}")
    report = sample_file(num, output, prior, skeleton, reference, seed, rig_map, note=note, starts=starts)
    echo_written(report.files)
    typer.echo(f"APD {report.apd_cm:.2f} cm; " + ("no real poses of this rig to measure realism against (--reference)"
               if report.reference is None else f"realism against {report.reference}: nearest pose "
               f"{report.realism_rad:.4f} rad (weighted geodesic), bone directions {report.realism_deg:.1f}° RMS"))


@app.command("interpolate")
@friendly_errors
def interpolate_cmd(a: Path = typer.Argument(..., help="Motion holding the start pose."),
                    b: Path = typer.Argument(..., help="Motion holding the end pose."),
                    frames: int = number(..., 2, MAX_FRAMES, "--frames", help="Frames of the result, ends included."),
                    output: Path = typer.Option(..., "-o", "--output", help=OUTPUT_HELP),
                    method: str = typer.Option("ndf", help="'ndf' (projected steps), 'latent' (the VAE's latent line) or 'slerp'."),
                    frame_a: int = number(0, -MAX_FRAMES, MAX_FRAMES - 1, help="Frame of A to start from."),
                    frame_b: int = number(0, -MAX_FRAMES, MAX_FRAMES - 1, help="Frame of B to end at."),
                    asf: Optional[Path] = typer.Option(None, help="Skeleton of .amc inputs."),
                    prior: str = typer.Option("ndf", help=PRIOR_HELP)) -> None:
    """Interpolate between two poses along the pose manifold (or by slerp)."""
    from posefield.fit.interpolate import INTERPOLATION_METHODS
    from posefield.jobs.fit import interpolate_files
    if method not in INTERPOLATION_METHODS:
        fail(f"--method must be one of {', '.join(INTERPOLATION_METHODS)}, got {method!r}")
    echo_written(interpolate_files(a, b, frames, output, method, prior, frame_a, frame_b, asf))


# --- 3D pose from 2D keypoints by regression (posefield/regress) ---


@app.command("regress")
@friendly_errors
def regress_cmd(keypoints: Path = typer.Argument(..., help="2D keypoints (.npz: keypoints, joint_names, K)."),
                output: Path = typer.Option(..., "-o", "--output", help="Output motion (camera frame); an .amc also "
                                            "writes its .asf with the regressed proportions."),
                model: str = typer.Option("hkmr", help="'hkmr', 'flat', a shipped model's name or a checkpoint path."),
                refine: bool = typer.Option(False, "--refine", help="Refine by prior-based 2D fitting (HKMR_MF)."),
                prior: str = typer.Option("ndf", help=PRIOR_HELP)) -> None:
    """Regress 3D poses and body proportions from 2D keypoints (HKMR or the flat baseline)."""
    from posefield.jobs.regress import regress_file
    echo_written(regress_file(keypoints, output, model, refine, prior))


@app.command("regress-train")
@friendly_errors
def regress_train_cmd(dataset: Path = typer.Argument(..., help="Pose dataset (.npz) with validation subjects."),
                      output: Path = typer.Option(..., "-o", "--output", help="Checkpoint to write (.pt)."),
                      model: str = typer.Option("hkmr", help="'hkmr' or 'flat'."),
                      steps: Optional[int] = number(None, 1, MAX_STEPS, help="Optimiser steps (library default)."),
                      batch_size: Optional[int] = number(None, 1, MAX_BATCH, help="Synthetic scenes per step (under "
                                                         "torchrun: shared evenly by the processes; library default)."),
                      lr: Optional[float] = number(None, 0.0, 1.0, above=True, help="Initial learning rate (library default)."),
                      hidden: Optional[int] = number(None, 1, MAX_WIDTH, help="Width of each HKMR chain MLP (flat: matched; "
                                                     "library default)."),
                      iterations: Optional[int] = number(None, 1, MAX_ITERATIONS, help="Outer iterations T (library default)."),
                      inner_iterations: Optional[int] = number(None, 1, MAX_ITERATIONS, help="HKMR chain iterations per "
                                                               "outer one (library default)."),
                      feedback: Optional[bool] = typer.Option(None, "--feedback/--no-feedback",
                                                              help="Feed the regressors the keypoints' reprojection "
                                                              "residuals (HKMR: before every chain iteration, flat: every "
                                                              "outer iteration) [default: the library's, on]."),
                      seed: Optional[int] = number(None, 0, MAX_SEED, help="Random seed (library default)."),
                      prior: str = typer.Option("ndf", help="Prior of the loss's prior term; 'ndf' falls back "
                                                "to none when no Pose-NDF prior fits the rig."),
                      max_minutes: Optional[float] = number(None, 0.0, MAX_SECONDS / 60, help="Stop after this much training time (0: after the first step)."),
                      threads: Optional[int] = number(None, 1, MAX_THREADS, help="Torch CPU threads."),
                      device: str = typer.Option("cpu", help="'cpu' or 'cuda' (one GPU; scenes are drawn on the "
                                                 "CPU either way)."),
                      resume: bool = typer.Option(False, "--resume", help="Go on with the interrupted run saved in "
                                                  "--output (its own settings; only --max-minutes, --threads and "
                                                  "--device apply).")) -> None:
    """Train a keypoint regressor (HKMR or flat) on synthetic views of a pose dataset; the
    checkpoint is saved at every validation, and --resume goes on after an interruption."""
    from posefield.devices import Distributed
    from posefield.jobs.regress import train_file
    from posefield.regress.regressor import RegressorConfig
    from posefield.regress.train import RegressTrainConfig
    from posefield.io.outputs import check_output
    if model not in ("hkmr", "flat"):
        fail(f"--model must be 'hkmr' or 'flat', got {model!r}")
    check_output(output, [dataset])
    if threads:
        import torch
        torch.set_num_threads(threads)
    architecture = RegressorConfig(kind=model, **given(iterations=iterations, inner_iterations=inner_iterations,
                                                       hidden=hidden, feedback=feedback))
    config = RegressTrainConfig(max_minutes=max_minutes, **given(steps=steps, batch_size=batch_size, lr=lr, seed=seed))
    record = train_file(dataset, output, architecture, config, prior, command=" ".join(["posefield", *sys.argv[1:]]),
                        notify=typer.echo, device=device, resume=resume)
    if Distributed.from_env().rank == 0:
        typer.echo(f"trained {record['steps_done']} steps in {record['seconds'] / 60:.1f} min; wrote {output}")


@app.command("bench-regress")
@friendly_errors
def bench_regress_cmd(dataset: Path = typer.Argument(..., help="Pose dataset (.npz); its validation subjects are tested."),
                      output: Path = typer.Option(..., "-o", "--output", help="Report (.md) to write."),
                      hkmr: str = typer.Option("hkmr", help="HKMR model: 'hkmr' (shipped) or a checkpoint path."),
                      flat: str = typer.Option("flat", help="Flat model: 'flat' (shipped) or a checkpoint path."),
                      samples: Optional[int] = number(None, 1, MAX_TEST_FRAMES, help="Test frames per condition "
                                                      "(library default)."),
                      clip_length: Optional[int] = number(None, 1, MAX_FRAMES, help="Frames per person and camera "
                                                          "(library default)."),
                      seed: Optional[int] = number(None, 0, MAX_SEED, help="Seed of the test scenes (library default)."),
                      prior: str = typer.Option("ndf", help="Prior of HKMR_MF's fitting."),
                      refine: bool = typer.Option(True, "--refine/--no-refine", help="Also run HKMR_MF.")) -> None:
    """MPJPE / PA-MPJPE of flat, HKMR and HKMR_MF without and with occluders (markdown report)."""
    from posefield.jobs.regress import bench_file
    from posefield.regress.bench import BenchConfig
    config = BenchConfig(**given(samples=samples, clip_length=clip_length, seed=seed))
    if config.samples % config.clip_length:
        fail(f"--samples ({config.samples}) must be a multiple of --clip-length ({config.clip_length})")
    typer.echo(bench_file(dataset, output, hkmr, flat, prior, refine, config, " ".join(["posefield", *sys.argv[1:]]),
                          notify=typer.echo))
    typer.echo(f"wrote {output}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
