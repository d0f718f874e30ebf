"""``vae-study-rescore``: score finished runs again with other metric settings, without training.

The reference study trains and evaluates in separate steps (disentanglement_lib's
``dlib_train`` and ``dlib_evaluate``), so a model can be scored again when a metric's settings
change. ``vae-study-rescore RUN... --names downstream_lr downstream_gbt --metrics study``
rebuilds each run's model from its record and its kept weights (``model.pt``), scores the named
metrics with their parameters from the metrics group ``conf/metrics/<metrics>.yaml`` (composed
with Hydra; ``--config-dir DIR`` adds ``DIR/metrics/`` for groups of your own), and writes them
into the record: the old keys of those metrics are replaced, the others kept, and the record's
``config.metrics`` (names and each metric's params) then says how every key was computed, and
its ``protocol`` names each metric scored with a group other than the record's own.

The record's own evaluation seed, gradient-boosting backend and sample sharing are kept, so the
new scores are drawn as the old ones were. The run's id (its folder) is not changed: it names the
trained model. Baselines keep no weights (they refit in seconds): run them again instead.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from pathlib import Path

import torch

from vae_study.build import evaluation_settings, is_baseline, load_trained
from vae_study.config import default_results
from vae_study.errors import ConfigError
from vae_study.metrics.settings import EvaluationSettings
from vae_study.models.module import representation_function
from vae_study.process_exit import skip_final_collections
from vae_study.protocol import REFERENCE_METRICS, rescored
from vae_study.results import RunRecord, find_run

log = logging.getLogger("vae_study")


def metric_keys(name: str, keys: Sequence[str]) -> list[str]:
    """The keys of ``keys`` that metric ``name`` wrote: ``name``, ``name.*`` and its time."""
    return [k for k in keys if k == name or k.startswith(f"{name}.") or k == f"time.{name}"]


def rescore(
    run_dir: Path,
    names: Sequence[str],
    group: EvaluationSettings,
    group_name: str,
    n_jobs: int | None = -1,
) -> RunRecord:
    """Score ``names`` on the run in ``run_dir`` with the params of ``group``, the metrics
    group named ``group_name`` (the record's own seed, backend and sampling); update and return
    its record, whose ``protocol`` then names the metrics scored with another group
    (:func:`vae_study.protocol.rescored`)."""
    record = RunRecord.read(run_dir)
    own = record.config["metrics"]
    settings = EvaluationSettings.from_config(own).replace(
        names=tuple(names),
        n_jobs=n_jobs,
        params={name: dict(group.params.get(name, {})) for name in names},
    )
    try:
        settings.plan()
    except ValueError as error:
        raise ConfigError(f"--names: {error}") from None
    if record.status != "done":
        raise ValueError(f"run {run_dir} is {record.status}, not done: nothing to score")
    if is_baseline(record.config):
        raise ValueError(
            f"run {run_dir} is a baseline ({record.config['model']['name']}): baselines keep "
            "no weights; run vae-study again with the new metrics"
        )
    run = load_trained(run_dir)
    scores = settings.evaluate(run.data, representation_function(run.module))
    for name in names:
        for key in metric_keys(name, list(record.metrics)):
            del record.metrics[key]
        own["params"][name] = dict(settings.params[name])
        if name not in own["names"]:
            own["names"].append(name)
    record.metrics.update(scores)
    record.protocol = rescored(record.protocol, names, group_name)
    record.write(run_dir)
    return record


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vae-study-rescore", description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", help="run folders, record.json paths or run ids")
    parser.add_argument("--names", nargs="+", required=True, help="the metrics to score again")
    parser.add_argument(
        "--metrics", default=REFERENCE_METRICS, help="the metrics group of the params"
    )
    parser.add_argument(
        "--config-dir", type=Path, default=None, help="a folder with metrics/<name>.yaml"
    )
    parser.add_argument(
        "--results", default=default_results(), help="where run ids are looked up (paths.results)"
    )
    parser.add_argument("--n-jobs", type=int, default=-1, help="joblib workers (-1: all cores)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    skip_final_collections()
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        group = evaluation_settings(args.metrics, config_dir=args.config_dir)
    except ConfigError as error:
        raise SystemExit(f"vae-study-rescore: {error}") from None
    failed = 0
    for run in args.runs:
        try:
            run_dir = find_run(run, args.results)
            record = rescore(run_dir, args.names, group, args.metrics, args.n_jobs)
        except (OSError, ValueError) as error:
            failed += 1
            log.error("%s: %s", run, error)
            continue
        seconds = sum(record.metrics[f"time.{name}"] for name in args.names)
        log.info("%s: %s scored in %.1f s", run_dir, ", ".join(args.names), seconds)
    if failed:
        raise SystemExit(f"{failed} of {len(args.runs)} runs were not scored")


if __name__ == "__main__":
    main()
