"""posefield: learned human pose priors and what people do with them."""
from posefield.errors import PosefieldError
from posefield.motion import Motion
from posefield.skeleton import Skeleton, forward_kinematics

__version__ = "0.1.0"
__all__ = ["Motion", "Skeleton", "forward_kinematics", "PosefieldError", "__version__"]
