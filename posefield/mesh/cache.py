"""Where posefield keeps what is slow to build: ``$XDG_CACHE_HOME/posefield/body`` (or
``~/.cache/posefield/body``); ``POSEFIELD_CACHE_DIR`` replaces ``.../posefield``."""
from __future__ import annotations

import os
from pathlib import Path


def body_cache_dir() -> Path:
    """The folder of cached body templates (not created here)."""
    root = os.environ.get("POSEFIELD_CACHE_DIR")
    if root:
        return Path(root) / "body"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "posefield" / "body"
