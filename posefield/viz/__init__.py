"""Pictures of poses and motions (matplotlib, headless)."""
from posefield.viz.skeleton_plot import plot_motions

__all__ = ["plot_motions"]
