"""Pose-NDF: the neural distance field over per-joint unit quaternions (model, losses), its
training data (noise, labels, pairs, mined false zeros), training (train) and projection
onto the pose manifold."""
