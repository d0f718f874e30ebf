"""A study's jobs: the sweep a config and command line expand to, and the packs they form.

``vae-study -m`` runs the sweep of a study's ``hydra.sweeper.params`` and the command line's own
sweep overrides: their cartesian product, in order, the command line winning for a key both
name (Hydra's basic sweeper semantics, here on Hydra's public override parser). With
``pack.size=K > 1``, jobs that differ only in their seed are grouped K at a time, in the
sweep's order, into one job that trains those seeds as one pack (``pack.seeds``): a pack trains
exactly the seeds its sweep names, and a Slurm array gets one task per pack.

The launcher (``hydra_plugins.vae_study_sweeper``), ``vae-study-status`` and the tests all
expand sweeps with these functions, so they agree on what a study is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import product

from hydra.core.override_parser.overrides_parser import OverridesParser

from vae_study.errors import ConfigError

SEED_KEY = "seed"
PACK_SIZE_KEY = "pack.size"
PACK_SEEDS_KEY = "pack.seeds"


def sweep_arguments(params: Mapping[str, object] | None, arguments: Sequence[str]) -> list[str]:
    """The sweep's overrides: the config's ``hydra.sweeper.params``, then the command line."""
    return [*(f"{key}={value}" for key, value in (params or {}).items()), *arguments]


def expand(overrides: Sequence[str]) -> list[list[str]]:
    """Every job's overrides: the cartesian product of each key's values, keys in the order they
    first appear, the last override of a key winning."""
    choices: dict[str, list[str]] = {}
    for override in OverridesParser.create().parse_overrides(list(overrides)):
        key = override.get_key_element()
        if override.is_sweep_override():
            if not override.is_discrete_sweep():
                raise ConfigError(
                    f"{override.input_line}: only lists and ranges can be swept (a, b or range)"
                )
            choices[key] = [f"{key}={value}" for value in override.sweep_string_iterator()]
        else:
            choices[key] = [f"{key}={override.get_value_element_as_str()}"]
    return [list(job) for job in product(*choices.values())]


def _key(override: str) -> str:
    return override.split("=", 1)[0].lstrip("+~")


def _chunks(items: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def group_packs(jobs: Sequence[Sequence[str]], size: int) -> list[list[str]]:
    """Jobs that differ only in ``seed=`` grouped ``size`` at a time into pack jobs
    (``seed=<first>`` and ``pack.seeds=[...]``); other jobs unchanged. ``size`` 1: unchanged."""
    sizes = {o for job in jobs for o in job if _key(o) == PACK_SIZE_KEY}
    if len(sizes) > 1 or any(_key(o) == PACK_SEEDS_KEY for job in jobs for o in job):
        raise ConfigError(
            "pack.size cannot be swept and pack.seeds is the sweeper's: give pack.size one value"
        )
    if size <= 1:
        return [list(job) for job in jobs]
    groups: dict[tuple[str, ...], list[str]] = {}
    unseeded: list[list[str]] = []
    for job in jobs:
        seeds = [o.split("=", 1)[1] for o in job if _key(o) == SEED_KEY]
        if not seeds:
            unseeded.append(list(job))
            continue
        rest = tuple(o for o in job if _key(o) != SEED_KEY)
        groups.setdefault(rest, []).append(seeds[-1])
    packed = [
        [*rest, f"{SEED_KEY}={chunk[0]}", f"{PACK_SEEDS_KEY}=[{','.join(chunk)}]"]
        for rest, seeds in groups.items()
        for chunk in _chunks(seeds, size)
    ]
    return unseeded + packed
