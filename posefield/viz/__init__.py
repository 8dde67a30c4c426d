"""Pictures of poses and motions (matplotlib, headless), animations, and a 3D browser viewer."""
from posefield.viz.render import render_motions
from posefield.viz.skeleton_plot import plot_motions

__all__ = ["plot_motions", "render_motions"]
