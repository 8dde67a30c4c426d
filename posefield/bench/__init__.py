"""``posefield bench``: the fixed benchmark protocol comparing the ndf, vae, gmm and none priors
side by side (see :mod:`posefield.bench.protocol`), written to ``benchmarks/results.md``."""
