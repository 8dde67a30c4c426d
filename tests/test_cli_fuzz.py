"""Fuzz the command line's options, the way ``tests/io/test_fuzz.py`` fuzzes the readers.

Every command is found by walking the ``posefield`` command tree, so a new command or option
is fuzzed too. Whatever the value, a run ends with exit 0 or with one line
``posefield: error: ...`` and exit 2 — never a traceback — and changes no input. A value
outside an option's range (stated in its help) is refused naming the option.
"""
import math
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.main import get_command
from typer.testing import CliRunner

from posefield.cli import app
from posefield.io import load_motion
from posefield.viz.camera import VIEW_AZIMUTHS

FIXTURES = Path(__file__).resolve().parent / "fixtures"
runner = CliRunner()


def commands(group=None, path=()):
    """(command words, click command) of every leaf command."""
    group = group or get_command(app)
    for name, command in sorted(group.commands.items()):
        if hasattr(command, "commands"):
            yield from commands(command, (*path, name))
        else:
            yield (*path, name), command


def kind(param) -> type | None:
    annotation = param.type_descriptor.annotation
    return annotation if annotation in (int, float) and not param.is_flag else None


NUMERIC = [(words, command, param) for words, command in commands() for param in command.params if kind(param)]


def stated_range(param) -> tuple[float, float, bool]:
    """(low, high, low excluded) from the ``Range [a, b].`` / ``Range (a, b].`` of the help."""
    found = re.search(r"Range ([\[(])(-?[\d.e+]+), (-?[\d.e+]+)\]\.", param.help or "")
    assert found, f"{param.opts}: numeric option without a stated range: {param.help!r}"
    return float(found.group(2)), float(found.group(3)), found.group(1) == "("


def test_every_numeric_option_states_and_checks_a_range():
    assert len(NUMERIC) > 30
    for _, _, param in NUMERIC:
        stated_range(param)
        assert param.callback is not None, param.opts


def placeholder_args(command, skip, missing: Path) -> list[str]:
    """Values for the required parameters and the ``-o`` of ``command`` (but ``skip``) that make
    it stop before any work: inputs that do not exist, outputs in a folder that does not exist."""
    args = []
    for param in command.params:
        output = "-o" in param.opts  # given even where optional, so no run writes anything
        if not (param.required or output) or param is skip:
            continue
        annotation = param.type_descriptor.annotation
        if kind(param):
            value = str(max(2, int(stated_range(param)[0])))
        elif annotation is str:
            value = "left_leg"
        else:
            value = str(missing / f"{param.name}.amc")
        args += [value] if param.param_type_name == "argument" else [param.opts[0], value]
    return args


NUMBER_TEXT = st.one_of(
    st.integers(-10**12, 10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["nan", "inf", "-inf", "1e999", "-0", "0", "1e9", "", " ", "abc", "0x10", "1,5", "--help"]),
    st.text(max_size=6),
)


def inside(text: str, param) -> bool | None:
    """Whether ``text`` is a number of the option's type inside its stated range (``None``: not
    a plain decimal number, whose fate is not predicted)."""
    if not re.fullmatch(r"-?\d+" if kind(param) is int else r"-?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?", text):
        return None
    value = float(text)
    low, high, open_low = stated_range(param)
    return math.isfinite(value) and (value > low if open_low else value >= low) and value <= high


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    """A folder holding real inputs (which must stay as they are), and a path under a missing folder."""
    root = tmp_path_factory.mktemp("fuzz")
    for name in ("05.asf", "05_17.amc"):
        shutil.copy(FIXTURES / "cmu" / name, root / name)
    return root


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def assert_clean_end(result, option: str | None = None) -> None:
    """Exit 0, or one ``posefield: error:`` line with exit 2 (naming ``option`` if given)."""
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 2:
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("posefield: error:"), result.output
        if option is not None:
            assert option in lines[0], lines[0]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(choice=st.sampled_from(NUMERIC), text=NUMBER_TEXT)
def test_fuzzed_numeric_options_end_in_one_line_or_success(sandbox, choice, text):
    words, command, param = choice
    before = snapshot(sandbox)
    args = [*words, *placeholder_args(command, param, sandbox / "missing"), param.opts[0], text]
    result = runner.invoke(app, args)
    assert_clean_end(result)
    verdict = inside(text, param)
    named = any(f"'{opt}'" in result.output for opt in param.opts)
    if verdict is False:
        assert result.exit_code == 2 and named, (args, result.output)
    elif verdict:
        assert not named, (args, result.output)
    assert snapshot(sandbox) == before


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fps=st.one_of(st.floats(0.5, 480).map(repr), NUMBER_TEXT),
       source_fps=st.one_of(st.none(), st.floats(30, 240).map(repr), NUMBER_TEXT),  # clip of at most 2 s
       suffix=st.sampled_from([".bvh", ".amc", ".npz"]))
def test_fuzzed_convert_of_a_real_clip(sandbox, tmp_path_factory, fps, source_fps, suffix):
    """A conversion either fails in one line, writing nothing, or keeps the clip's rate and
    duration (its last frame within one new frame of the old one's time)."""
    out = tmp_path_factory.mktemp("out") / f"clip{suffix}"
    before = snapshot(sandbox)
    args = ["convert", sandbox / "05_17.amc", out, "--fps", fps] + ([] if source_fps is None else
                                                                   ["--source-fps", source_fps])
    result = runner.invoke(app, [str(a) for a in args])
    assert_clean_end(result)
    assert out.exists() == (result.exit_code == 0)
    if result.exit_code == 0:
        clip, back = load_motion(sandbox / "05_17.amc"), load_motion(out)
        span = (clip.num_frames - 1) / (clip.fps if source_fps is None else float(source_fps))
        assert back.fps == pytest.approx(float(fps), rel=1e-9)
        assert span - 1 / back.fps < (back.num_frames - 1) / back.fps <= span + 1e-9  # first to last frame
    assert snapshot(sandbox) == before


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(views=st.one_of(st.text(max_size=8), st.lists(st.sampled_from(["front", "side", "nan", "inf", "-30", "x", ""]),
                                                     max_size=3).map(",".join)),
       frames=st.one_of(st.text(max_size=6), st.lists(st.integers(-5, 10**6).map(str), max_size=3).map(",".join)))
@example(views="\r", frames="")  # whitespace alone names no view (once expected to pass)
@example(views="front", frames="1_0")  # Python's int() reads 1_0 as 10
def test_fuzzed_views_and_frames_are_refused_before_drawing(sandbox, views, frames):
    """A bad ``--views`` or ``--frames`` is refused naming it, before the clip is read or drawn
    (the picture goes into a missing folder, so valid values stop at that check)."""
    before = snapshot(sandbox)
    result = runner.invoke(app, ["render", str(sandbox / "05_17.amc"), "-o", str(sandbox / "missing" / "r.png"),
                                 f"--views={views}", f"--frames={frames}"])
    assert_clean_end(result)
    assert result.exit_code == 2
    named_views = items(views)
    if not all(integer(v) for v in items(frames)):
        assert "--frames" in result.output, result.output
    elif not named_views or not all(v in VIEW_AZIMUTHS or finite(v) for v in named_views):
        assert "--views" in result.output, result.output
    else:
        assert "folder does not exist" in result.output, result.output
    assert snapshot(sandbox) == before


def items(text: str) -> list[str]:
    """The entries of a comma list, without surrounding whitespace (``\\r`` and tabs included); blank ones dropped."""
    return [v.strip() for v in text.split(",") if v.strip()]


def integer(text: str) -> bool:
    try:
        int(text)
        return True
    except ValueError:
        return False


def finite(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False
