"""Wall time and scores of ``vae_study.metrics`` at the study's sample counts.

Data: the dSprites factor space (factor sizes 3, 6, 40, 32, 32), each observation its factor
values scaled to [0, 1], so no renderer or model is needed. Representations:

* ``identity``: the observation itself (5 codes), the perfect code;
* ``rotated``: a fixed random rotation of the centred identity code (5 codes);
* ``random``: 10 codes of Gaussian noise, independent of the factors (the size of the study's
  representations, so its times are the ones to quote).

Runs every metric of the metrics group ``<config>`` (``conf/metrics/<config>.yaml``, composed
with Hydra into :class:`vae_study.metrics.settings.EvaluationSettings`, as a run scores) on each
with the group's ``gbt_backend``
(the study's: ``exact``, our implementation) and again with ``gbt_backend=sklearn``
(scikit-learn's estimator of the same model), on the same draws, and prints the scores, how the
sklearn path's differ, and the wall time per metric of both (after a warm-up that starts the
joblib workers); then it repeats the gradient-boosting metrics with ``gbt_backend=hist`` (there
the random codes are redrawn, so its differences include resampling noise). ``--baseline``
also times the random representation with one job and no shared draws or fits, as the
reference runs.

    python benchmarks/bench_metrics.py [--config study|quick] [--n-jobs N] [--baseline]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from vae_study.build import evaluation_settings
from vae_study.data.factor_values import FactorValueData
from vae_study.metrics.settings import EvaluationSettings

GBT_METRICS = ("dci", "downstream_gbt")


# dSprites' factor grid; an observation is its factor values scaled to [0, 1]
DSPRITES_FACTORS = FactorValueData(
    (3, 6, 40, 32, 32), ("shape", "scale", "orientation", "pos_x", "pos_y")
)


class Counted:
    """A representation that counts the observations it encodes."""

    def __init__(self, represent) -> None:
        self.represent = represent
        self.encoded = 0

    def __call__(self, observations: np.ndarray) -> np.ndarray:
        self.encoded += len(observations)
        return self.represent(observations)


def representations() -> dict[str, object]:
    rotation, _ = np.linalg.qr(np.random.default_rng(1).normal(size=(5, 5)))
    noise = np.random.default_rng(2)
    return {
        "identity": lambda x: x,
        "rotated": lambda x: (x - 0.5) @ rotation,
        "random": lambda x: noise.normal(size=(len(x), 10)).astype(np.float32),
    }


def run(represent, settings: EvaluationSettings) -> tuple[dict[str, float], int, float]:
    counted = Counted(represent)
    started = time.perf_counter()
    scores = settings.evaluate(DSPRITES_FACTORS, counted)
    return scores, counted.encoded, time.perf_counter() - started


def warm_up(settings: EvaluationSettings) -> None:
    """Start the joblib workers and load the compiled kernels before anything is timed: a
    study process pays this once, whatever the number of models it scores."""
    small = {
        "dci": {"num_train": 200, "num_test": 100},
        "downstream_gbt": {"num_train": [10, 100], "num_test": 100, "efficiency_sizes": [10, 100]},
    }
    for backend in dict.fromkeys((settings.gbt_backend, "sklearn", "hist")):
        tiny = settings.replace(names=tuple(small), params=small, gbt_backend=backend)
        tiny.evaluate(DSPRITES_FACTORS, lambda x: x)


def table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join([lines[0], "  ".join("-" * w for w in widths), *lines[1:]])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="study", choices=("study", "quick"))
    parser.add_argument("--n-jobs", type=int, default=None, help="default: the config's")
    parser.add_argument("--baseline", action="store_true")
    args = parser.parse_args()
    cfg = evaluation_settings(args.config)
    if args.n_jobs is not None:
        cfg = cfg.replace(n_jobs=args.n_jobs)
    names = list(cfg.names)
    print(
        f"conf/metrics/{args.config}.yaml, n_jobs={cfg.n_jobs}, share_samples={cfg.share_samples},"
        f" {os.cpu_count()} CPUs\n"
    )

    warm_up(cfg)
    runs: dict[str, dict[str, tuple[dict[str, float], int, float]]] = {}
    for backend in dict.fromkeys((cfg.gbt_backend, "sklearn")):
        runs[backend] = {}
        for rep, represent in representations().items():
            runs[backend][rep] = run(represent, cfg.replace(gbt_backend=backend))
            scored = runs[backend][rep]
            print(
                f"{rep} ({backend}): {scored[2]:.1f} s, {scored[1]} observations encoded",
                flush=True,
            )
    if "hist" not in runs:
        runs["hist"] = {}
        for rep, represent in representations().items():
            gbt_names = tuple(n for n in names if n in GBT_METRICS)
            runs["hist"][rep] = run(represent, cfg.replace(names=gbt_names, gbt_backend="hist"))
            seconds = runs["hist"][rep][2]
            print(f"{rep} (hist, {', '.join(GBT_METRICS)}): {seconds:.1f} s", flush=True)

    exact = runs[cfg.gbt_backend]
    others = [b for b in runs if b != cfg.gbt_backend]
    reps = list(exact)
    score_keys = [k for k in exact[reps[0]][0] if not k.startswith("time.")]
    rows = [["score", *reps, *(f"{b}-{cfg.gbt_backend} {r}" for b in others for r in reps)]]
    for key in score_keys:
        row = [key, *(f"{exact[r][0][key]:.4f}" for r in reps)]
        for backend in others:
            if key in runs[backend][reps[0]][0]:
                row += [f"{runs[backend][r][0][key] - exact[r][0][key]:+.4f}" for r in reps]
            else:
                row += [""] * len(reps)
        rows.append(row)
    print("\n" + table(rows))

    rows = [["wall seconds", *(f"{b} {r}" for b in runs for r in reps)]]
    for name in names:
        row = []
        for backend in runs:
            ran = f"time.{name}" in runs[backend][reps[0]][0]
            row += [f"{runs[backend][r][0][f'time.{name}']:.1f}" if ran else "" for r in reps]
        rows.append([name, *row])
    rows.append(["total", *(f"{runs[b][r][2]:.1f}" for b in runs for r in reps)])
    print("\n" + table(rows))

    if cfg.gbt_backend != "sklearn":
        print_speed_up(runs, cfg.gbt_backend, [n for n in names if n in GBT_METRICS])
    print_baseline(args, cfg, names, exact)


def print_speed_up(runs, backend: str, gbt_names: list[str]) -> None:
    def seconds(which: str, rep: str) -> float:
        return sum(runs[which][rep][0][f"time.{name}"] for name in gbt_names)

    print(f"\n{', '.join(gbt_names)}: wall time of sklearn / {backend}")
    for rep in runs[backend]:
        ours, theirs = seconds(backend, rep), seconds("sklearn", rep)
        print(f"  {rep}: {theirs:.1f} s / {ours:.1f} s = {theirs / ours:.1f}x")
    ours = sum(seconds(backend, r) for r in runs[backend])
    theirs = sum(seconds("sklearn", r) for r in runs[backend])
    print(f"  all three: {theirs:.1f} s / {ours:.1f} s = {theirs / ours:.1f}x")


def print_baseline(args, cfg, names, exact) -> None:
    if args.baseline:
        _, encoded, seconds = run(
            representations()["random"], cfg.replace(n_jobs=1, share_samples=False)
        )
        print(
            f"\nrandom without the levers (n_jobs=1, share_samples=False): {seconds:.1f} s, "
            f"{encoded} observations encoded (with them: {exact['random'][2]:.1f} s, "
            f"{exact['random'][1]})"
        )


if __name__ == "__main__":
    main()
