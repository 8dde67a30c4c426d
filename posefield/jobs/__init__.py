"""Jobs that turn files into files, one module per family, between the command line
(:mod:`posefield.cli`: option parsing only) and the library: each reads its inputs, checks its
outputs before any work (:mod:`posefield.io.outputs`), runs the library and writes the result.

* :mod:`~posefield.jobs.fit`: a prior's applications (score, project, denoise, complete, fit2d,
  sample, interpolate), keypoint files and rig maps;
* :mod:`~posefield.jobs.regress`: the keypoint regressors (regress, train, benchmark);
* :mod:`~posefield.jobs.image`: a photo to a body and an overlay;
* :mod:`~posefield.jobs.convert`: motion files between formats and frame rates;
* :mod:`~posefield.jobs.bench`: the prior benchmark;
* :mod:`~posefield.jobs.demo`: the demo;
* :mod:`~posefield.jobs.describe`: ``posefield info``, a summary of any file posefield reads.
"""
