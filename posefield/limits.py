"""Sizes posefield refuses to go beyond, shared by the library and the command line's option
ranges (this module imports nothing, so the command line names them without loading torch)."""

MAX_FRAMES = 1_000_000
"""The most frames of a motion posefield makes, drops or picks (about 2.3 hours at 120 fps, 1 GB of rotations)."""

FILE_FPS = (0.01, 10_000.0)
"""The frame rates (frames per second) a motion file may claim, from one frame per 100 s to
high-speed capture; a header beyond them is taken for broken (``convert --source-fps`` sets the rate)."""
