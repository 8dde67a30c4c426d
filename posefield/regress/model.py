"""A regression model: a regressor with the body it poses and the keypoints it reads."""
from __future__ import annotations

import dataclasses

import torch

from posefield.fit.keypoints import keypoint_points
from posefield.regress.body import Body
from posefield.regress.chains import kinematic_chains
from posefield.regress.encoder import KeypointEncoder
from posefield.regress.feedback import ReprojectionFeedback
from posefield.regress.flat import FlatRegressor
from posefield.regress.hkmr import HKMR
from posefield.regress.params import ParamLayout
from posefield.regress.regressor import Regressor, RegressorConfig
from posefield.skeleton import Skeleton

REGRESSORS: dict[str, type[Regressor]] = {"hkmr": HKMR, "flat": FlatRegressor}


@dataclasses.dataclass(eq=False)
class RegressionModel:
    """Attributes:
        regressor: the network (keypoint encoder and HKMR or flat regressor).
        body: the reference body of the rig (skeleton, chains, regressed joints).
        keypoint_names: (P,) names of the keypoints it reads, in input order.
        keypoints: (P,) long rows of those points among the body's joints and end sites.
    """

    regressor: Regressor
    body: Body
    keypoint_names: list[str]
    keypoints: torch.Tensor

    @property
    def kind(self) -> str:
        return self.regressor.config.kind


def build_model(skeleton: Skeleton, keypoint_names: list[str], config: RegressorConfig) -> RegressionModel:
    """A freshly initialised model of ``config.kind`` for ``skeleton`` reading ``keypoint_names``.

    Raises:
        ValueError: unknown kind.
        MotionFormatError: a keypoint name the skeleton does not have.
    """
    if config.kind not in REGRESSORS:
        raise ValueError(f"unknown regressor kind {config.kind!r} (expected one of {', '.join(REGRESSORS)})")
    chains = kinematic_chains(skeleton)
    body = Body.of(skeleton, chains)
    rows = torch.as_tensor(keypoint_points(skeleton, keypoint_names))
    encoder = KeypointEncoder(len(keypoint_names), config.encoder_width, config.feature_dim)
    feedback = ReprojectionFeedback(body, rows) if config.feedback else None
    regressor = REGRESSORS[config.kind](encoder, ParamLayout.of(body), chains, config, feedback)
    return RegressionModel(regressor, body, list(keypoint_names), rows)
