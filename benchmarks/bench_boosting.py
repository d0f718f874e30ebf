"""Fit time of one gradient-boosted classifier per factor size: ours (``gbt_backend=exact``)
against scikit-learn's ``GradientBoostingClassifier`` (``gbt_backend=sklearn``), same data.

One model per size K (dSprites' 3, 6, 32 and 40 classes), on 10,000 points of 10 codes of
Gaussian noise (the study's code size; noise grows the deepest trees, so it is the slowest
input) with labels drawn uniformly, one thread each (as ``fit_factors`` runs them), ours first
after a warm-up fit that loads its compiled kernels. Both fits use the study's settings
(``classifiers.gradient_boosting``).

    python benchmarks/bench_boosting.py [--classes 3 6 32 40] [--samples 10000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from threadpoolctl import threadpool_limits

from vae_study.metrics.classifiers import gradient_boosting


def fit_seconds(backend: str, x: np.ndarray, y: np.ndarray) -> float:
    model = gradient_boosting(backend, random_state=0)
    with threadpool_limits(limits=1):
        started = time.perf_counter()
        model.fit(x, y)
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--classes", type=int, nargs="+", default=[3, 6, 32, 40])
    parser.add_argument("--samples", type=int, default=10_000)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(args.samples, 10)).astype(np.float32)
    fit_seconds("exact", x[:100], rng.integers(0, 3, 100))
    print(f"{args.samples} points, 10 codes of noise, one thread\n")
    print("classes  ours (s)  sklearn (s)  speed-up")
    for num_classes in args.classes:
        y = rng.integers(0, num_classes, args.samples)
        ours, theirs = fit_seconds("exact", x, y), fit_seconds("sklearn", x, y)
        print(f"{num_classes:7d}  {ours:8.2f}  {theirs:11.1f}  {theirs / ours:7.1f}x", flush=True)


if __name__ == "__main__":
    main()
