"""Draw skeletons of several motions over each other, at a few frames, from two views."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from posefield.io.atomic import atomic_path
from posefield.mesh.bones import bone_segments as skeleton_segments
from posefield.motion import Motion
from posefield.viz.scene import COLOURS


def segment_pairs(motion: Motion) -> list[tuple[int, int]]:
    """(near, far) index pairs into ``joint_positions(with_end_sites=True)``, one per distinct bone."""
    segments = skeleton_segments(motion.skeleton)
    return list(zip(segments.start.tolist(), segments.end.tolist()))


def plot_motions(motions: Sequence[Motion], labels: Sequence[str], path: str | Path, frames: Sequence[int] | None = None,
                 title: str = "", curves: dict[str, np.ndarray] | None = None, up_axis: int = 1) -> Path:
    """Save a PNG: front and side views of each motion's skeleton at ``frames``, overlaid
    (world-fixed axes, with per-frame curves below; :func:`posefield.viz.render.render_motions`
    draws meshes, more views and animations).

    Args:
        motions: motions of the same length and skeleton topology (e.g. noisy, denoised, clean).
        labels: a legend entry per motion.
        path: output ``.png`` (written atomically).
        frames: frame indices to draw (default: 4 evenly spaced).
        curves: optional ``label -> (T,)`` per-frame values (e.g. error in mm) plotted below.
        up_axis: index of the vertical world axis (1 for Y-up CMU data).
    """
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = motions[0].num_frames
    frames = list(frames) if frames is not None else sorted(set(np.linspace(0, n - 1, 4).astype(int).tolist()))
    positions = [m.joint_positions(with_end_sites=True) for m in motions]
    horizontal = [a for a in range(3) if a != up_axis]
    rows = 3 if curves else 2
    fig, axes = plt.subplots(rows, len(frames), figsize=(3.2 * len(frames), 3.2 * rows), squeeze=False)
    for col, f in enumerate(frames):
        for row, across in enumerate(horizontal):
            ax = axes[row, col]
            for k, (motion, pos) in enumerate(zip(motions, positions)):
                centre = pos[f, 0]
                for a, b in segment_pairs(motion):
                    ax.plot([pos[f, a, across] - centre[across], pos[f, b, across] - centre[across]],
                            [pos[f, a, up_axis], pos[f, b, up_axis]], color=COLOURS[k % len(COLOURS)],
                            lw=2.2 if k == 0 else 1.4, alpha=0.55 if k == 0 else 0.9,
                            label=labels[k] if (a, b) == segment_pairs(motion)[0] else None)
            ax.set_aspect("equal")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f"frame {f} · {'front' if row == 0 else 'side'}", fontsize=9)
    axes[0, 0].legend(fontsize=8, loc="lower left")
    if curves:
        ax = plt.subplot(rows, 1, rows)
        for k, (name, values) in enumerate(curves.items()):
            ax.plot(np.arange(len(values)) / motions[0].fps, values, label=name, color=COLOURS[(k + 1) % len(COLOURS)])
        ax.set_xlabel("time (s)")
        ax.set_ylabel("mm")
        ax.legend(fontsize=8)
        for col in range(len(frames)):
            axes[2, col].set_visible(False)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=90, format="png")
    plt.close(fig)
    return path
