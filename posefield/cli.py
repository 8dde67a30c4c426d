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


def main() -> None:
    app()


if __name__ == "__main__":
    main()
