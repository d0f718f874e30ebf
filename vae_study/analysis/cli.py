"""The analysis command line: ``collect`` writes the study table, ``figures`` also draws.

    python -m vae_study.analysis collect --study <name> --results <dir>
    python -m vae_study.analysis figures --study <name> --results <dir> [--paper <dir>]
        [--resamples R] [--level L] [--seed S] [--interval bca|percentile]
        [--target-half-width H] [--n-jobs J]

The table goes to ``<dir>/<name>/study_table.csv`` and ``.parquet``, the figures to
``<dir>/<name>/figures/``. The paper's matrices are the package's own
(``vae_study/analysis/paper_matrices/``), or those in ``--paper``. Every interval's settings
come from ``conf/analysis/default.yaml``; the flags override them for one command.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from vae_study.analysis.collect import collect, write_table
from vae_study.analysis.design import replications
from vae_study.analysis.paper import PAPER_DIR
from vae_study.analysis.settings import load_settings
from vae_study.config import default_results
from vae_study.process_exit import skip_final_collections
from vae_study.protocol import departures_of
from vae_study.results import runs_folder, study_folder


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m vae_study.analysis",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (
        ("collect", "write the study table from the run records"),
        ("figures", "write the study table, every figure and the comparison with the paper"),
    ):
        command = commands.add_parser(name, help=help_text)
        command.add_argument("--study", required=True, help="study name (a folder of --results)")
        command.add_argument(
            "--results",
            type=Path,
            default=default_results(),
            help="root of all records (default: paths.results of conf/train.yaml)",
        )
        if name == "figures":
            command.add_argument(
                "--paper",
                type=Path,
                default=None,
                help="folder of the paper's CSVs, default: the ones shipped with the package",
            )
            command.add_argument(
                "--mix-protocols",
                action="store_true",
                help="draw runs of different protocols together (refused by default)",
            )
            _interval_flags(command)
    return parser


def differing_keys(protocols: Sequence[str]) -> list[str]:
    """The keys in which the protocols of a table (:func:`vae_study.protocol.summary` lines)
    differ: departures some of them have and others do not, or have with other values."""
    departures = [departures_of(line) for line in protocols]
    keys = set().union(*departures)
    return sorted(k for k in keys if len({str(d.get(k, "absent")) for d in departures}) > 1)


def _interval_flags(command: argparse.ArgumentParser) -> None:
    """Flags that override ``conf/analysis/default.yaml`` (None: the file's value)."""
    for flag, kind, text in (
        ("--resamples", int, "bootstrap resamples"),
        ("--level", float, "confidence level of every interval"),
        ("--seed", int, "seed of the resamples"),
        ("--interval", str, "interval method: bca or percentile"),
        ("--target-half-width", float, "half-width (correlation scale) to size the study for"),
        ("--n-jobs", int, "processes that compute and draw at once"),
    ):
        command.add_argument(flag, type=kind, default=None, help=f"{text} (default: conf/analysis)")


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point (``python -m vae_study.analysis``)."""
    skip_final_collections()
    parser = _parser()
    args = parser.parse_args(argv)
    settings = None
    if args.command == "figures":
        try:
            settings = load_settings(
                resamples=args.resamples,
                level=args.level,
                seed=args.seed,
                interval=args.interval,
                target_half_width=args.target_half_width,
                n_jobs=args.n_jobs,
            )
        except ValueError as error:
            parser.error(str(error))
        print(
            f"intervals: {settings.level:.0%} {settings.interval}, {settings.resamples:,} "
            f"stratified resamples, seed {settings.seed}"
        )
    study_dir, runs_dir = (
        study_folder(args.results, args.study),
        runs_folder(args.results, args.study),
    )
    started = time.perf_counter()
    collection = collect(runs_dir)
    print(collection.summary())
    if not collection.counts and not collection.unreadable:
        print(f"no records under {runs_dir}", file=sys.stderr)
        sys.exit(1)
    for path in write_table(collection.table, study_dir):
        print(f"wrote {path}")
    print(f"collected in {time.perf_counter() - started:.1f} s")
    protocols = sorted(set(collection.table["protocol"])) if len(collection.table) else []
    if args.command == "figures" and len(protocols) > 1 and not args.mix_protocols:
        differing = differing_keys(protocols)
        if "unrecorded" in protocols:
            differing.append("records that state no protocol (unrecorded)")
        print(
            f"{runs_dir} holds runs of {len(protocols)} protocols, differing in "
            f"{', '.join(differing)}: their figures would mix unlike runs; "
            "keep one protocol per study folder, or pass --mix-protocols",
            file=sys.stderr,
        )
        sys.exit(2)
    for protocol in protocols:
        print(f"protocol: {protocol}")
    if settings is not None:
        for description, warning in replications(collection.table):
            print(f"design: {description}" + ("" if warning is None else f"\n{warning}"))
        from vae_study.analysis.figures import render_study

        started = time.perf_counter()
        paper = args.paper if args.paper is not None else PAPER_DIR
        rendered = render_study(collection.table, study_dir / "figures", paper, settings)
        for comparison in rendered.comparisons:
            print()
            print(comparison.text())
        print(
            f"\nwrote {len(rendered.paths)} files to {study_dir / 'figures'} "
            f"in {time.perf_counter() - started:.1f} s"
        )
