"""Coverage of the analysis' Spearman intervals on synthetic studies with a known correlation.

For each pair (bivariate normals at several r, a monotone non-linear pair with a non-Gaussian
copula, and the normal pair shifted by fixed model x strength cell effects;
``tests/analysis/coverage_study.py``), each design (24 runs: the mini study's
4 models x 2 strengths x 3 seeds; 300 runs: 4 x 5 x 15) and each interval method, draws
``--studies`` studies, computes the 95% interval of each with ``--resamples`` stratified
resamples, and prints how often it held the true Spearman correlation and its mean width.
``--scheme`` compares resampling schemes: ``rescaled`` (the study's: n_h - 1 draws per cell),
``plain`` (n_h draws per cell) or ``iid`` (n draws from all runs, ignoring the cells).
docs/statistics.md quotes the output.

    python benchmarks/coverage_analysis.py [--studies 1000] [--resamples 1000]
        [--methods bca percentile] [--scheme rescaled|plain|iid] [--runs 24 300]
        [--pairs NAME ...]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "analysis"))

import numpy as np
from coverage_study import (
    cell_effect_pair,
    coverage,
    iid_weights,
    normal_pair,
    uniform_sum_pair,
)

from vae_study.analysis.bootstrap import stratified_weights

PAIRS = {
    "normal r=0": lambda runs: normal_pair(0.0),
    "normal r=0.5": lambda runs: normal_pair(0.5),
    "normal r=0.9": lambda runs: normal_pair(0.9),
    "uniform sum (rho_s 0.7)": lambda runs: uniform_sum_pair(),
    "cell effects, r=0.5": lambda runs: cell_effect_pair(0.5, runs),
}
"""Each pair's draws and true Spearman correlation, for a design of ``runs`` runs."""


def plain_weights(cells: np.ndarray, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """n_h draws from each cell of n_h runs (the unrescaled stratified bootstrap)."""
    weights = np.zeros((resamples, len(cells)))
    for cell in np.unique(cells):
        members = np.flatnonzero(cells == cell)
        weights[:, members] = rng.multinomial(
            len(members), np.full(len(members), 1 / len(members)), size=resamples
        )
    return weights


SCHEMES = {"rescaled": stratified_weights, "plain": plain_weights, "iid": iid_weights}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--studies", type=int, default=1000)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--methods", nargs="+", default=["bca", "percentile"])
    parser.add_argument("--scheme", choices=list(SCHEMES), default="rescaled")
    parser.add_argument("--runs", type=int, nargs="+", default=[24, 300])
    parser.add_argument("--pairs", nargs="+", choices=list(PAIRS), default=list(PAIRS))
    args = parser.parse_args()
    print(
        f"{args.studies} studies per row, {args.resamples} resamples ({args.scheme}), 95% intervals"
    )
    print(f"{'pair':26s} {'runs':>5s} {'method':>10s} {'truth':>6s} {'coverage':>9s} {'width':>6s}")
    for seed, (name, pair) in enumerate(PAIRS.items()):
        if name not in args.pairs:
            continue
        for runs in args.runs:
            draw, truth = pair(runs)
            for method in args.methods:
                started = time.perf_counter()
                result = coverage(
                    draw, truth, runs, studies=args.studies, resamples=args.resamples,
                    method=method, seed=seed, scheme=SCHEMES[args.scheme],
                )  # fmt: skip
                print(
                    f"{name:26s} {runs:5d} {method:>10s} {truth:6.3f} {result.covered:9.3f} "
                    f"{result.width:6.3f}   ({time.perf_counter() - started:.0f} s)",
                    flush=True,
                )


if __name__ == "__main__":
    main()
