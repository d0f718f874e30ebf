"""Process-wide settings of a training job: torch threads, glibc's memory retention, and the
libraries' console noise."""

from __future__ import annotations

import logging
import os
import warnings

import torch
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from vae_study.host_memory import retain_freed_memory

log = logging.getLogger(__name__)


def torch_threads(configured: int | None) -> int | None:
    """Torch threads for this job: ``train.threads`` if set, else the job's share of the cores.

    Under Slurm the share is ``SLURM_CPUS_PER_TASK``; under the local parallel launcher
    (``hydra/launcher=local``, joblib) it is cores // n_jobs, so parallel jobs never
    oversubscribe the machine. Otherwise None: torch's default, every core.
    """
    if configured is not None:
        return configured
    if "SLURM_CPUS_PER_TASK" in os.environ:
        return int(os.environ["SLURM_CPUS_PER_TASK"])
    cores = os.cpu_count() or 1
    if HydraConfig.initialized():
        n_jobs = HydraConfig.get().launcher.get("n_jobs")
        if n_jobs:
            return max(1, cores // (cores if n_jobs < 0 else n_jobs))
    return None


# Lines the libraries print on every run that say nothing about it: Lightning's device
# summary and tips, its srun hint on machines with Slurm, a deprecation inside Lightning.
QUIET_LOGGERS = ("lightning.pytorch", "lightning.fabric")
QUIET_WARNINGS = (
    r"The `srun` command is available on your system",
    r".*isinstance\(treespec, LeafSpec\)",
)


def quiet_libraries() -> None:
    """Keep the libraries' routine lines off the console (warnings and errors still show)."""
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    for message in QUIET_WARNINGS:
        warnings.filterwarnings("ignore", message=message)


def configure_host(train: DictConfig) -> None:
    """Torch threads (``train.threads``, see :func:`torch_threads`), the libraries' console
    noise (:func:`quiet_libraries`) and, with ``train.retain_host_memory``, glibc keeping freed
    memory for reuse (:mod:`vae_study.host_memory`), which removes a quarter of a CPU step's
    time."""
    quiet_libraries()
    threads = torch_threads(train.threads)
    if threads is not None:
        torch.set_num_threads(threads)
    if train.retain_host_memory and not retain_freed_memory():
        log.info("train.retain_host_memory: not available with this C library; left as it is")
