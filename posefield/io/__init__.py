"""Motion file readers and writers, chosen by extension.

``load_motion`` / ``save_motion`` accept ``.amc`` (with its ``.asf``), ``.bvh`` and ``.npz``
(AMASS-style). Every reader returns a :class:`posefield.motion.Motion`.
"""
from posefield.io.formats import load_motion, save_motion, load_skeleton

__all__ = ["load_motion", "save_motion", "load_skeleton"]
