"""The sweeper of ``vae-study -m``: expand the study, group seeds into packs, launch, summarise.

Hydra finds sweepers only in the ``hydra_plugins`` package, so this thin shell lives here; what
a sweep is lives in :mod:`vae_study.sweep`, shared with ``vae-study-status``. The jobs are
launched by the configured launcher (sequential, ``hydra/launcher=local`` or ``slurm``). Each job
returns what became of its runs (:class:`vae_study.lifecycle.JobOutcome`); the sweep then prints
``N done, M failed, K skipped`` with every failed run's error, and exits non-zero unless every
run of the launch is done or was done.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from typing import Any

from hydra.core.utils import JobReturn, JobStatus
from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig

from vae_study.errors import ConfigError
from vae_study.sweep import expand, group_packs, sweep_arguments

log = logging.getLogger(__name__)


class PackSweeper(Sweeper):
    """Hydra's basic sweep, with ``pack.size`` seeds per job and a summary of the outcome."""

    def __init__(self, params: dict[str, Any] | None = None) -> None:
        self.params = dict(params or {})
        self.config: DictConfig | None = None
        self.launcher = None
        self.hydra_context: HydraContext | None = None

    def setup(
        self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig
    ) -> None:
        from hydra.core.plugins import Plugins

        self.config = config
        self.hydra_context = hydra_context
        self.launcher = Plugins.instance().instantiate_launcher(
            hydra_context=hydra_context, task_function=task_function, config=config
        )

    def sweep(self, arguments: list[str]) -> Sequence[JobReturn]:
        try:
            jobs = group_packs(
                expand(sweep_arguments(self.params, arguments)), int(self.config.pack.size)
            )
        except ConfigError as error:
            print(f"vae-study: config error: {error}", file=sys.stderr)
            sys.exit(2)
        log.info("launching %d jobs", len(jobs))
        results = self.launcher.launch(jobs, initial_job_idx=0)
        if code := report(results):
            sys.exit(code)
        return results


def report(results: Sequence[JobReturn]) -> int:
    """Print the sweep's summary and failed runs; the exit code (0 only when nothing failed)."""
    done = failed = skipped = 0
    errors: list[str] = []
    for result in results:
        overrides = " ".join(result.overrides or ())
        if result.status != JobStatus.COMPLETED:
            try:
                result.return_value  # noqa: B018 (raises the job's error)
            except Exception as error:
                errors.append(f"job [{overrides}]: {type(error).__name__}: {error}")
            failed += 1
            continue
        outcome = result.return_value
        if outcome.error is not None:
            errors.append(f"job [{overrides}]: {outcome.error}")
            failed += 1
            continue
        done, skipped = done + len(outcome.done), skipped + len(outcome.skipped)
        failed += len(outcome.failed)
        errors += [
            f"run {run_id} [{overrides}]: {error}" for run_id, error in outcome.failed.items()
        ]
    print(f"{done} done, {failed} failed, {skipped} skipped")
    for line in errors:
        print(f"  failed {line}")
    return 1 if failed else 0
