"""The baseline priors Pose-NDF is compared with: a VPoser-style VAE (vae) and a Gaussian
mixture (gmm), on what they share (baseline)."""
