"""The fixed benchmark protocol comparing the ndf, vae, gmm and none priors side by side (see
:mod:`posefield.bench.protocol`); ``posefield bench`` runs it (:mod:`posefield.jobs.bench`) and
writes the report where the user says."""
