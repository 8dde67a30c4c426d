"""Priors applied to motion clips: the energy and projection of every frame (apply), and a prior
of one rig used on another rig's motions (mapping)."""
