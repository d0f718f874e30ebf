"""``vae-study-rerun``: train and score a finished run again from its record, to reproduce it.

``vae-study-rerun RUN [--results DIR]`` reads the run's ``record.json`` (a run folder, record path
or run id), takes its resolved config as it is (``RunRecord.trained_config``), points its paths at
``DIR`` (default ``<paths.results>/rerun``) and runs it through the same lifecycle as
``vae-study``: same seeds, data, model and metric settings. It then prints the recorded and the new
headline scores side by side. Its record's ``protocol`` is judged with the metrics group the
recorded one names (``metrics: quick``), so that a rerun of an unchanged run states the same
protocol; where some metrics were rescored with another group's params, or the protocol is
unrecorded, it lists each departing metric param instead. Use it to check one of a study's
numbers, or to get the weights of a run whose folder was shared without them (the committed
studies keep no ``model.pt``) for ``vae-study-viz``.

The new run is a run of the current code: where the record's ``versions`` differ from the
installed ones, the scores may differ too, and the comparison says which versions changed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from omegaconf import OmegaConf

from vae_study.config import default_results, register
from vae_study.errors import ConfigError
from vae_study.process_exit import skip_final_collections
from vae_study.protocol import RESCORED, recorded_metrics_group
from vae_study.results import RunRecord, find_run, package_versions, run_folder

HEADLINE = ("beta_vae", "factor_vae", "mig", "dci", "modularity", "sap")


def rerun_config(record: RunRecord, results: Path) -> OmegaConf:
    """The record's resolved config with its paths (and the curve logger's) under ``results``."""
    register()
    cfg = OmegaConf.create(record.trained_config())
    cfg.paths.results = str(results)
    cfg.paths.run_dir = "${run_dir:}"
    if cfg.get("logger") and "save_dir" in cfg.logger:
        cfg.logger.save_dir = "${paths.run_dir}"
    return cfg


def metrics_group(record: RunRecord) -> str | None:
    """The metrics group to judge the rerun's protocol with (module doc): the record's own,
    or None where its protocol is unrecorded or names rescored metrics."""
    value = record.protocol
    if value is None or (isinstance(value, dict) and any(k.startswith(RESCORED) for k in value)):
        return None
    return recorded_metrics_group(value)


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point (``vae-study-rerun``)."""
    skip_final_collections()
    parser = argparse.ArgumentParser(prog="vae-study-rerun", description=__doc__.splitlines()[0])
    parser.add_argument("run", help="run folder, record.json path or run id")
    parser.add_argument("--results", type=Path, default=default_results() / "rerun",
                        help="where the new run goes (default: paths.results/rerun)")  # fmt: skip
    parser.add_argument("--lookup", type=Path, default=default_results(),
                        help="where a run id is looked up (default: paths.results)")  # fmt: skip
    args = parser.parse_args(argv)
    try:
        recorded = RunRecord.read(find_run(args.run, args.lookup))
    except (OSError, ValueError) as error:
        print(f"vae-study-rerun: {error}", file=sys.stderr)
        return 2
    from vae_study.lifecycle import run_job  # the training stack, once the record is found

    cfg = rerun_config(recorded, args.results)
    try:
        outcome = run_job(cfg, metrics_group(recorded))
    except ConfigError as error:
        print(f"vae-study-rerun: config error: {error}", file=sys.stderr)
        return 2
    if not outcome.ok:
        for run_id, error in outcome.failed.items():
            print(f"vae-study-rerun: run {run_id} failed: {error}", file=sys.stderr)
        return 1
    [identifier] = outcome.done + outcome.skipped
    new = RunRecord.read(run_folder(args.results, cfg.study.name, identifier))
    print(f"\n{'score':<12}{'recorded':>10}{'rerun':>10}")
    for key in HEADLINE:
        if key in recorded.metrics and key in new.metrics:
            print(f"{key:<12}{recorded.metrics[key]:>10.4f}{new.metrics[key]:>10.4f}")
    changed = {
        name: f"{version} (now {package_versions().get(name)})"
        for name, version in recorded.versions.items()
        if package_versions().get(name) not in (None, version)
    }
    if changed:
        print(
            "versions that differ from the record's: "
            + ", ".join(f"{k} {v}" for k, v in changed.items())
        )
    print(f"rerun: {new.run_id} in {run_folder(args.results, cfg.study.name, identifier)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
