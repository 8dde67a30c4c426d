"""Rig mapping files: ``prior_joint = motion_joint`` lines."""
import pytest

from posefield.errors import MotionFormatError
from posefield.io.rigmap import read_rig_map


def test_pairs_comments_and_unpairing(tmp_path):
    path = tmp_path / "map.txt"
    path.write_text("# prior = motion\n\nlfemur = thigh_l   # the left thigh\r\nhead=-\n  ltoes =  ball_l\n")
    assert read_rig_map(path) == [(3, "lfemur", "thigh_l"), (4, "head", None), (5, "ltoes", "ball_l")]


@pytest.mark.parametrize("text, line, words", [
    ("lfemur thigh_l\n", 1, "expected 'prior_joint = motion_joint'"),
    ("lfemur = thigh l\n", 1, "expected"),
    ("= thigh_l\n", 1, "expected"),
    ("lfemur = thigh_l\nlfemur = thigh_r\n", 2, "paired twice (first on line 1)"),
    ("# nothing\n", None, "pairs no joints"),
])
def test_bad_files_give_one_line_errors_naming_file_and_line(tmp_path, text, line, words):
    path = tmp_path / "bad.map"
    path.write_text(text)
    with pytest.raises(MotionFormatError) as exc:
        read_rig_map(path)
    message = str(exc.value)
    assert "\n" not in message and words in message
    assert message.startswith(f"{path}:{line}:" if line else f"{path}:")


def test_unreadable_files(tmp_path):
    (tmp_path / "latin1.map").write_bytes("lfemur = cuisse_gauche\xe9\n".encode("latin-1"))
    with pytest.raises(MotionFormatError, match="not UTF-8"):
        read_rig_map(tmp_path / "latin1.map")
    with pytest.raises(MotionFormatError, match="cannot read"):
        read_rig_map(tmp_path / "missing.map")
