"""``vae-study``: one run of the study (or, with ``-m``, a sweep of them) from the command line.

The Hydra entry point: it composes the config (``conf/``), hands it to the run lifecycle
(:func:`vae_study.lifecycle.run_job`) and maps the outcome to an exit code: 0 when every run is
done (or was done), 1 when a run failed, 2 for a config error, which is one line naming the key
and stops before anything is written. In a sweep each job returns its outcome to the sweeper
(``hydra_plugins.vae_study_sweeper``), which reports them all.
"""

from __future__ import annotations

import sys
from typing import Any

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from vae_study.checks import check_config
from vae_study.config import CONF_DIR, CONFIG_NAME
from vae_study.errors import ConfigError


@hydra.main(version_base="1.3", config_path=str(CONF_DIR), config_name=CONFIG_NAME)
def _hydra_main(cfg: DictConfig) -> Any:
    sweeping = HydraConfig.get().mode == RunMode.MULTIRUN
    try:
        check_config(cfg)
        # Imported only now: `vae-study --help` and config errors never wait for torch.
        from vae_study.lifecycle import run_job

        outcome = run_job(cfg)
    except ConfigError as error:
        if sweeping:
            from vae_study.lifecycle import JobOutcome

            return JobOutcome(error=f"config error: {error}")
        print(f"vae-study: config error: {error}", file=sys.stderr)
        sys.exit(2)
    if not sweeping and not outcome.ok:
        sys.exit(1)
    return outcome


def main() -> None:
    """Console entry point (``vae-study``)."""
    _hydra_main()


if __name__ == "__main__":
    main()
