"""A picture of generated poses: one row of samples per prior (``benchmarks/samples.png``).

    python benchmarks/samples.py --prior ndf --prior vae --prior gmm --prior none -o benchmarks/samples.png

Each row shows the first ``--count`` poses that ``posefield sample`` draws with seed ``--seed``
(the same function, :func:`posefield.fit.sample.sample_poses`), seen from the front, on the
rig of the first prior.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from posefield.fit.sample import sample_poses
from posefield.prior.registry import get_prior
from posefield.viz.render import render_grid
from posefield.viz.video import save_png


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prior", action="append", required=True, help="ndf, vae, gmm, none or a checkpoint")
    parser.add_argument("--count", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("-o", "--output", type=Path, default=Path("samples.png"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    skeleton = get_prior(args.prior[0]).skeleton
    rows = []
    for spec in args.prior:
        motion = sample_poses(get_prior(spec, skeleton), skeleton, args.count, seed=args.seed)
        rows.append(render_grid([motion], [spec], frames=range(args.count), views=("front",)))
    width = max(row.shape[1] for row in rows)
    padded = [np.pad(row, ((0, 0), (0, width - row.shape[1]), (0, 0)), constant_values=255) for row in rows]
    print(f"wrote {save_png(np.concatenate(padded), args.output)}")


if __name__ == "__main__":
    main()
