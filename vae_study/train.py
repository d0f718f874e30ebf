"""``vae-study``: one run of the study (or, with ``-m``, a sweep of them) from the command line.

The Hydra entry point: it checks that the command line composes (one line naming the key or
group option, with the nearest existing one, instead of Hydra's report), hands the config to
the run lifecycle (:func:`vae_study.lifecycle.run_job`) and maps the outcome to an exit code:

* 0 when every run is done (or was done already);
* 1 when a run failed, or a file could not be written (one line naming it);
* 2 for a config error: one line naming the key, before anything is written;
* 143 when SIGTERM stopped it, 130 for Ctrl-C: the runs it held are recorded ``interrupted``
  and a relaunch of the same command resumes them.

In a sweep each job returns its outcome to the sweeper (``hydra_plugins.vae_study_sweeper``),
which reports them all.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from vae_study.config import CONF_DIR, CONFIG_NAME, compose_command_line
from vae_study.errors import ConfigError
from vae_study.process_exit import skip_final_collections
from vae_study.signals import EXIT_INTERRUPTED, EXIT_TERMINATED, Terminated, raise_on_sigterm


def _say(message: str) -> None:
    print(f"vae-study: {message}", file=sys.stderr)


@hydra.main(version_base="1.3", config_path=str(CONF_DIR), config_name=CONFIG_NAME)
def _hydra_main(cfg: DictConfig) -> Any:
    sweeping = HydraConfig.get().mode == RunMode.MULTIRUN
    if "SLURM_JOB_ID" not in os.environ:  # under Slurm, submitit handles the signals
        raise_on_sigterm()  # a parallel job's own process records its runs interrupted too
    # Imported here, not at the top, so that `vae-study --help` loads neither scikit-learn nor
    # torch, and a config error is reported before torch and Lightning are loaded.
    from vae_study.checks import check_config

    try:
        check_config(cfg)
        from vae_study.lifecycle import run_job

        outcome = run_job(cfg)
    except (ConfigError, OSError) as error:
        kind = "config error" if isinstance(error, ConfigError) else "cannot write"
        if sweeping:
            from vae_study.lifecycle import JobOutcome

            return JobOutcome(error=f"{kind}: {error}")
        _say(f"{kind}: {error}" if kind == "config error" else str(error))
        sys.exit(2 if isinstance(error, ConfigError) else 1)
    if not sweeping and not outcome.ok:
        for run_id, error in outcome.failed.items():
            _say(f"run {run_id} failed: {error}")
        sys.exit(1)
    return outcome


def main() -> None:
    """Console entry point (``vae-study``)."""
    skip_final_collections()
    raise_on_sigterm()
    try:
        composed = compose_command_line(sys.argv[1:])
        if composed is not None:
            from vae_study.checks import check_config

            check_config(composed[0])  # before Hydra composes the run again
        if composed is not None and composed[1]:
            from vae_study.build import build_job

            build_job(composed[0])  # a sweep's mistake stops before any job starts
    except ConfigError as error:
        _say(f"config error: {error}")
        sys.exit(2)
    try:
        _hydra_main()
    except Terminated:
        _say("terminated by SIGTERM: its runs are recorded interrupted; relaunch to resume")
        sys.exit(EXIT_TERMINATED)
    except KeyboardInterrupt:
        _say("interrupted: its runs are recorded interrupted; relaunch to resume")
        sys.exit(EXIT_INTERRUPTED)


if __name__ == "__main__":
    main()
