"""The ``posefield`` command line: a thin layer over the library.

Every command turns a :class:`posefield.errors.PosefieldError` into a one-line message on
stderr and exit code 2.
"""
from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Callable, Optional

import typer

from posefield.errors import PosefieldError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Learned human pose priors on open motion capture.")
dataset_app = typer.Typer(no_args_is_help=True, help="Build pose datasets from motion files.")
prior_app = typer.Typer(no_args_is_help=True, help="Train and evaluate pose priors.")
app.add_typer(dataset_app, name="dataset")
app.add_typer(prior_app, name="prior")


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
        except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
            fail(f"{exc.filename}: {exc.strerror}")
    return wrapper


# --- commands -------------------------------------------------------------------------------
# (each command: @app.command() / @dataset_app.command() / @prior_app.command(), then @friendly_errors)


@app.command()
@friendly_errors
def info(path: Path = typer.Argument(..., help="Motion (.amc/.bvh/.npz), skeleton (.asf) or pose dataset (.npz)."),
         asf: Optional[Path] = typer.Option(None, help="Skeleton of an .amc file.")) -> None:
    """Summarise a motion, skeleton or pose dataset."""
    from posefield.io.describe import describe
    typer.echo(describe(path, asf=asf))


@app.command()
@friendly_errors
def convert(src: Path = typer.Argument(..., help="Input motion (.amc/.bvh/.npz)."),
            dst: Path = typer.Argument(..., help="Output motion; the format follows the extension."),
            asf: Optional[Path] = typer.Option(None, help="Skeleton of an .amc input."),
            fps: Optional[float] = typer.Option(None, help="Resample to this frame rate."),
            source_fps: Optional[float] = typer.Option(None, help="Override the frame rate the input claims.")) -> None:
    """Convert between AMC+ASF, BVH and npz (an .amc output also writes its .asf)."""
    import dataclasses

    from posefield.data.resample import resample
    from posefield.io import load_motion, save_motion
    if dst.resolve() == src.resolve():
        fail(f"{dst}: refusing to overwrite the input file")
    motion = load_motion(src, asf=asf) if src.suffix.lower() == ".amc" else load_motion(src)
    if source_fps:
        motion = dataclasses.replace(motion, fps=source_fps)
    if fps:
        motion = resample(motion, fps)
    for written in save_motion(motion, dst):
        typer.echo(f"wrote {written}")


@dataset_app.command("build")
@friendly_errors
def dataset_build(sources: list[Path] = typer.Argument(..., help="Motion files or folders (.amc/.bvh/.npz), one rig."),
                  output: Path = typer.Option(..., "-o", "--output", help="Dataset file to write (.npz)."),
                  fps: float = typer.Option(30.0, help="Target frame rate."),
                  dedup: float = typer.Option(0.02, help="Drop poses closer than this (weighted geodesic, rad) to a kept one."),
                  val: list[str] = typer.Option([], "--val", help="Validation subject (or file stem with --split-by file); repeat."),
                  val_fraction: float = typer.Option(0.2, help="Share of frames held out when --val is not given."),
                  split_by: str = typer.Option("subject", help="'subject' or 'file'."),
                  drop_frames: int = typer.Option(0, help="Frames dropped at the start of every file."),
                  source_fps: list[str] = typer.Option([], "--source-fps", help="GLOB=FPS: files matching GLOB really run at FPS; repeat."),
                  asf: Optional[Path] = typer.Option(None, help="Skeleton for .amc sources (default: NN.asf beside them)."),
                  seed: int = typer.Option(0, help="Seed of the validation draw.")) -> None:
    """Build a pose dataset (unit quaternions of the rotating non-root joints) with a train/val split."""
    from posefield.data.build import BuildConfig, build_dataset
    if output.suffix.lower() != ".npz":
        fail(f"{output}: dataset output must end in .npz")
    overrides = []
    for item in source_fps:
        pattern, _, value = item.rpartition("=")
        try:
            overrides.append((pattern, float(value)))
        except ValueError:
            fail(f"--source-fps {item!r}: expected GLOB=FPS")
    config = BuildConfig(fps=fps, dedup_distance=dedup, val_subjects=tuple(val), val_fraction=val_fraction,
                         split_by=split_by, drop_frames=drop_frames, source_fps=tuple(overrides), asf=asf, seed=seed)
    dataset, summary = build_dataset(sources, config)
    dataset.save(output)
    typer.echo(f"{summary.files} files, {summary.frames_read} frames read, {summary.frames_resampled} at {fps:g} fps; "
               f"kept {summary.train_poses} train + {summary.val_poses} val poses of {summary.joints} joints "
               f"in {summary.seconds:.1f} s")
    typer.echo(f"train: {', '.join(summary.train_groups)}")
    typer.echo(f"val:   {', '.join(summary.val_groups) or '(none)'}")
    typer.echo(f"wrote {output}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
