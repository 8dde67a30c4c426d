"""Choosing a prior from a command-line spec (``--prior``): ``none``, ``ndf``, ``vae``, ``gmm``, a shipped name or a path.

Other prior families register themselves in :data:`PRIOR_FACTORIES` (name -> function of the
skeleton). Heavy modules are imported only when their prior is asked for.
"""
from __future__ import annotations

import functools
from typing import Callable

from posefield.errors import CheckpointError, SkeletonMismatchError
from posefield.prior.base import NoPrior, PosePrior
from posefield.skeleton import Skeleton


def check_compatible(prior: PosePrior, skeleton: Skeleton, label: str | None = None) -> None:
    """Raise :class:`SkeletonMismatchError` (one line) unless ``prior`` models ``skeleton``'s rig;
    the message calls the prior ``label`` (default: its family name)."""
    if prior.skeleton is not None and prior.skeleton.signature() != skeleton.signature():
        raise SkeletonMismatchError(
            f"the {label or prior.name!r} prior was trained on a {prior.skeleton.rig!r} skeleton ({prior.skeleton.num_joints} "
            f"joints, root {prior.skeleton.names[0]!r}) but the motion's skeleton is {skeleton.rig!r} "
            f"({skeleton.num_joints} joints, root {skeleton.names[0]!r}); use a prior trained on this rig")
    if any(not 0 <= j < skeleton.num_joints for j in prior.joint_index):
        raise SkeletonMismatchError(f"the {label or prior.name!r} prior models joints the skeleton does not have")


def no_prior(skeleton: Skeleton | None) -> PosePrior:
    """The ``none`` prior over the skeleton's rotating non-root joints."""
    if skeleton is None:
        raise SkeletonMismatchError("the 'none' prior needs a skeleton to pose (give one, e.g. --skeleton FILE)")
    return NoPrior(skeleton, skeleton.rotation_joints())


SHIPPED_SUFFIX = {"ndf": "", "vae": "-vae", "gmm": "-gmm"}  # shipped name = rig + suffix (cmu-asf, cmu-asf-vae)


def shipped_prior(kind: str, skeleton: Skeleton | None) -> PosePrior:
    """The shipped prior of ``kind`` (``ndf``, ``vae``, ``gmm``) for ``skeleton``'s rig: the one
    named after ``skeleton.rig`` (plus the kind's suffix) if shipped, otherwise the first shipped
    prior of that kind whose skeleton has the same joint tree; without a skeleton, the default rig's."""
    from posefield.prior.checkpoint import DEFAULT_PRIOR, load_prior, shipped_priors

    if skeleton is None:
        return load_prior(DEFAULT_PRIOR + SHIPPED_SUFFIX[kind])
    names = shipped_priors()
    own = skeleton.rig + SHIPPED_SUFFIX[kind]
    ordered = [own] * (own in names) + [n for n in names if n != own]
    for name in ordered:
        prior = load_prior(name)
        if prior.name == kind and prior.skeleton.signature() == skeleton.signature():
            return prior
    raise SkeletonMismatchError(
        f"no shipped {kind!r} prior fits this {skeleton.rig!r} skeleton ({skeleton.num_joints} joints, root "
        f"{skeleton.names[0]!r}; shipped: {', '.join(names) or 'none'}); pass --prior PATH to a prior trained on it")


PRIOR_FACTORIES: dict[str, Callable[[Skeleton | None], PosePrior]] = {
    "none": no_prior, **{kind: functools.partial(shipped_prior, kind) for kind in SHIPPED_SUFFIX}}


def get_prior(spec: str, skeleton: Skeleton | None = None) -> PosePrior:
    """The prior ``spec`` names, checked against ``skeleton``.

    Args:
        spec: a key of :data:`PRIOR_FACTORIES` (``none``, ``ndf``, ``vae``, ``gmm``), a shipped prior's name
            (``cmu-asf``, ``daz-bvh``) or a checkpoint path.
        skeleton: the skeleton the prior will be used on (``None``: the prior's own, where it has
            one); its rig-specific parts (Pose-NDF's reachable rotations) follow this skeleton.
    Raises:
        CheckpointError: unknown name, missing or corrupt checkpoint.
        SkeletonMismatchError: the prior models another rig.
    """
    if spec in PRIOR_FACTORIES:
        prior = PRIOR_FACTORIES[spec](skeleton)
    else:
        from posefield.prior.checkpoint import load_prior

        prior = load_prior(spec)
    if skeleton is not None:
        check_compatible(prior, skeleton, spec)
        prior.use_rig(skeleton)
    return prior


def prior_or_none(spec: str, skeleton: Skeleton, notify: Callable[[str], None]) -> PosePrior:
    """:func:`get_prior`, except that ``spec`` ``ndf`` falls back to the ``none`` prior (with a
    note to ``notify``) when no shipped Pose-NDF prior fits ``skeleton``'s rig."""
    try:
        return get_prior(spec, skeleton)
    except (CheckpointError, SkeletonMismatchError) as exc:
        if spec != "ndf":
            raise
        notify(f"no Pose-NDF prior available ({exc}); using no prior")
        return no_prior(skeleton)
