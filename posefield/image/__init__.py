"""Photos in: 2D keypoints from an offline detector, a 3D body recovered from them, and an
overlay of that body on the photo."""
from posefield.image.detector import KeypointDetector, MediaPipeDetector
from posefield.image.recover import recover_body

__all__ = ["KeypointDetector", "MediaPipeDetector", "recover_body"]
