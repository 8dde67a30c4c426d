"""Sizes posefield refuses to go beyond, shared by the library and the command line's option
ranges (this module imports nothing, so the command line names them without loading torch)."""

MAX_FRAMES = 1_000_000
"""The most frames of a motion posefield makes, drops or picks (about 2.3 hours at 120 fps, 1 GB of rotations)."""
