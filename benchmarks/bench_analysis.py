"""Wall time of the analysis stage on a synthetic study the size of the paper's.

Writes ``--datasets`` x 6 models x 6 strengths x ``--seeds`` synthetic run records (7 x 6 x 6 x
50 = 12,600 by default, the paper's study; ``tests/analysis/synthetic_study.py``) into a
temporary folder, then times, within one process, each stage of ``python -m vae_study.analysis
figures`` with the settings of ``conf/analysis/default.yaml`` (``--resamples`` overrides):
reading the records, the correlations with their intervals, the variance split, the
strength comparison, and the whole command (the table, every statistic again, every figure and
the comparison with the paper). docs/statistics.md quotes the output.

    python benchmarks/bench_analysis.py [--datasets 7] [--seeds 50] [--resamples 1000]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "analysis"))

from synthetic_study import GRIDS, write_study

from vae_study.analysis import cli
from vae_study.analysis.collect import collect
from vae_study.analysis.correlations import METRICS, per_dataset, present, study_correlations
from vae_study.analysis.settings import load_settings
from vae_study.analysis.variance import bad_strength_beats_good, variance_split

ROOT = Path(__file__).resolve().parents[1]
DATASETS = (
    "dsprites", "color_dsprites", "noisy_dsprites", "scream_dsprites", "smallnorb", "cars3d",
    "shapes3d",
)  # fmt: skip


def timed(label: str, call):
    started = time.perf_counter()
    result = call()
    print(f"{label:58s} {time.perf_counter() - started:7.1f} s", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", type=int, default=len(DATASETS))
    parser.add_argument("--seeds", type=int, default=50)
    parser.add_argument("--resamples", type=int, default=None)
    args = parser.parse_args()
    settings = load_settings(resamples=args.resamples)
    with tempfile.TemporaryDirectory() as folder:
        results = Path(folder)
        datasets = {name: args.seeds for name in DATASETS[: args.datasets]}
        write_study(results, "bench", datasets, models=tuple(GRIDS))
        table = timed("read the records (collect)", lambda: collect(results / "bench" / "runs"))
        table = table.table
        print(
            f"{len(table):,} runs, {table['dataset'].nunique()} data sets; "
            f"{settings.level:.0%} {settings.interval} intervals, "
            f"{settings.resamples:,} resamples"
        )
        metrics = present(table, METRICS)
        timed(
            "correlations (metrics and downstream scores, all pairs; one process)",
            lambda: per_dataset(table, lambda runs: study_correlations(runs, settings)),
        )
        timed("variance split", lambda: variance_split(table, metrics, settings))
        timed(
            "worst strength beats best", lambda: bad_strength_beats_good(table, metrics, settings)
        )
        command = ["figures", "--study", "bench", "--results", str(results)]
        if args.resamples is not None:
            command += ["--resamples", str(args.resamples)]
        printed = io.StringIO()
        started = time.perf_counter()
        with contextlib.redirect_stdout(printed):
            cli.main(command)
        print(f"{'the whole figures command':58s} {time.perf_counter() - started:7.1f} s")
        for line in printed.getvalue().splitlines():
            if line.startswith("collected in") or " files to " in line:
                print(f"  the command: {line.strip()}")


if __name__ == "__main__":
    main()
