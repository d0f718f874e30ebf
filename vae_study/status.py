"""``vae-study-status``: what a study expands to, and where each of its runs stands.

``vae-study-status study=locatello [overrides]`` takes the same overrides as ``vae-study -m``,
expands the sweep exactly as ``vae-study -m`` does (:mod:`vae_study.sweep`: the study's
``hydra.sweeper.params``, then the command line, which wins for the same key), computes each
run's id and reads its record. It prints the number of planned runs and how many are done,
failed, running (another process holds the run's lock), interrupted (a record that says
running, with nobody running it: relaunching resumes it) and missing, then the failed runs'
errors. Records in the study's folder that cannot be parsed are listed and counted apart,
never as done.

Composing a config per run would take minutes for the 12,600-run study, so the config is
composed once per combination of group choices (``dataset=``, ``model=``, ...) and the plain
value overrides (``seed=``, ``model.strength=``) are applied to a copy of it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from hydra import compose, initialize_config_dir
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf, open_dict

from vae_study.config import (
    CONF_DIR,
    CONFIG_NAME,
    compose_config,
    explain_composition_error,
    group_options,
)
from vae_study.errors import ConfigError
from vae_study.process_exit import skip_final_collections
from vae_study.results import (
    RECORD_NAME,
    RunRecord,
    hash_identity,
    identity,
    lock_held,
    run_folder,
    runs_folder,
    status_now,
)
from vae_study.sweep import expand, sweep_arguments

STATES = ("done", "failed", "running", "interrupted", "missing")
_PARSER = OverridesParser.create()


@dataclass
class RunStatus:
    overrides: tuple[str, ...]
    run_id: str
    run_dir: Path
    state: str
    error: str | None = None


def expand_sweep(overrides: Sequence[str]) -> list[list[str]]:
    """The override list of every job ``vae-study -m <overrides>`` would launch."""
    fixed = [o.input_line for o in _PARSER.parse_overrides(list(overrides))
             if not o.is_sweep_override()]  # fmt: skip
    cfg = compose_config(fixed, hydra_config=True)
    return expand(sweep_arguments(cfg.hydra.sweeper.params, overrides))


@cache
def _is_group(override: str) -> bool:
    key = override.split("=", 1)[0].lstrip("+~")
    return "/" in key or (CONF_DIR / key).is_dir()


@cache
def _key_value(override: str) -> tuple[str, object]:
    parsed = _PARSER.parse_override(override)
    return parsed.key_or_group, None if parsed.is_delete() else parsed.value()


def _delete(cfg: DictConfig, key: str) -> None:
    parent, _, leaf = key.rpartition(".")
    del (OmegaConf.select(cfg, parent) if parent else cfg)[leaf]


def _with(tree: dict, dotted: str, value: object) -> dict:
    """``tree`` with one value replaced, copying only the dicts on the key's path."""
    head, _, rest = dotted.partition(".")
    return {**tree, head: _with(tree[head], rest, value) if rest else value}


def _ignored(key: str, ignore: tuple[str, ...]) -> bool:
    return any(key == i or key.startswith(f"{i}.") for i in ignore)


def _interpolations(node: object) -> str:
    """Every interpolation string in a config container, joined."""
    if isinstance(node, dict):
        return " ".join(_interpolations(v) for v in node.values())
    if isinstance(node, list):
        return " ".join(_interpolations(v) for v in node)
    return node if isinstance(node, str) and "${" in node else ""


class _Composed:
    """One composition of a combination of group choices, and what status reads from it."""

    def __init__(self, cfg: DictConfig) -> None:
        self.cfg = cfg
        self.ignore = tuple(cfg.run_id_ignore)
        container = OmegaConf.to_container(cfg, resolve=False)
        self.text = _interpolations(
            {k: v for k, v in container.items() if not _ignored(k, self.ignore)}
        )
        self._coerced: dict[tuple[str, str], object] = {}

    def interpolated(self, key: str) -> bool:
        """Whether an interpolation of the run's identity may read ``key``."""
        return key in self.text

    def coerced(self, key: str, value: object) -> object:
        """``value`` as the config stores it at ``key`` (the schema's type: ``lr=1`` is 1.0)."""
        cache_key = (key, repr(value))
        if cache_key not in self._coerced:
            probe = OmegaConf.masked_copy(self.cfg, [key.split(".", 1)[0]])  # the key's subtree
            with open_dict(probe):
                OmegaConf.update(probe, key, value, merge=False)
            node = OmegaConf.select(probe, key)
            plain = OmegaConf.to_container(node) if OmegaConf.is_config(node) else node
            self._coerced[cache_key] = plain
        return self._coerced[cache_key]


def job_run_ids(jobs: list[list[str]]) -> Iterator[tuple[list[str], str, Path]]:
    """Each job's run id and folder, as ``vae-study`` computes them: :func:`~vae_study.results.
    run_id` of the composed config and :func:`~vae_study.results.run_folder`.

    A config is composed once per combination of group choices. A value override that no
    interpolation of the run's identity mentions (``seed``) is set in the resolved identity
    directly, with the type the schema gives it; the others (``model.strength``, read by
    ``${index:...}``, and every ``+`` or ``~`` override) are applied to the composed config
    before resolving, once per distinct combination.
    """
    composed: dict[tuple[str, ...], _Composed] = {}
    resolved: dict[tuple[str, ...], tuple[DictConfig, dict]] = {}
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        for job in jobs:
            groups = tuple(o for o in job if _is_group(o))
            if groups not in composed:
                composed[groups] = _Composed(compose(CONFIG_NAME, overrides=list(groups)))
            base = composed[groups]
            values = [(o, *_key_value(o)) for o in job if not _is_group(o)]
            early = tuple(o for o, key, _ in values if o[0] in "+~" or base.interpolated(key))
            if (groups, early) not in resolved:
                variant = base.cfg.copy()
                with open_dict(variant):
                    for override, key, value in values:
                        if override in early and override.startswith("~"):
                            _delete(variant, key)
                        elif override in early:
                            OmegaConf.update(variant, key, value, merge=False)
                resolved[groups, early] = (variant, identity(variant, list(base.ignore)))
            variant, tree = resolved[groups, early]
            results = variant.paths.results
            for override, key, value in values:
                if override in early:
                    continue
                if key == "paths.results":
                    results = base.coerced(key, value)
                elif not _ignored(key, base.ignore):
                    tree = _with(tree, key, base.coerced(key, value))
            identifier = hash_identity(tree)
            yield job, identifier, run_folder(results, tree["study"]["name"], identifier)


def run_status(job: Sequence[str], identifier: str, run_dir: Path) -> RunStatus:
    status = RunStatus(tuple(job), identifier, run_dir, "missing")
    if lock_held(run_dir):
        status.state = "running"
        return status
    try:
        record = RunRecord.read(run_dir / RECORD_NAME)
    except FileNotFoundError:
        return status
    except (ValueError, TypeError) as error:
        status.state, status.error = "missing", f"unreadable record: {error}"
        return status
    status.state = status_now(run_dir, record.status)
    status.error = record.error
    return status


def unreadable_records(runs_dir: Path) -> list[tuple[Path, str]]:
    """Records in the run folders under ``runs_dir`` that cannot be parsed, with the reason."""
    bad = []
    for path in sorted(runs_dir.glob(f"*/{RECORD_NAME}")):
        try:
            RunRecord(**json.loads(path.read_text()))
        except (ValueError, TypeError) as error:
            bad.append((path, str(error).splitlines()[0]))
    return bad


def _report(statuses: Sequence[RunStatus], runs_dir: Path) -> None:
    counts = Counter(status.state for status in statuses)
    print("  ".join(f"{state}: {counts.get(state, 0)}" for state in STATES))
    for status in statuses:
        if status.state == "failed":
            where = f" [{' '.join(status.overrides)}]" if status.overrides else ""
            print(f"failed {status.run_id}{where}: {status.error}")
    for path, reason in unreadable_records(runs_dir):
        print(f"unreadable record (ignored): {path}: {reason}")


def _study_choice(overrides: Sequence[str]) -> str | None:
    choices = [o.split("=", 1)[1] for o in overrides if o.split("=", 1)[0] == "study"]
    return choices[-1] if choices else None


def folder_statuses(runs_dir: Path) -> list[RunStatus]:
    """Where each run with a folder under ``runs_dir`` stands (a study with no sweep config)."""
    folders = sorted(p for p in runs_dir.iterdir() if p.is_dir()) if runs_dir.is_dir() else []
    return [run_status((), folder.name, folder) for folder in folders]


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point (``vae-study-status``)."""
    skip_final_collections()
    parser = argparse.ArgumentParser(
        prog="vae-study-status", description=__doc__.split("\n\n")[0].strip("`")
    )
    parser.add_argument("overrides", nargs="*", help="Hydra overrides, as for vae-study -m")
    parser.add_argument("--count", action="store_true", help="only count the planned runs")
    args = parser.parse_intermixed_args(argv)
    study = _study_choice(args.overrides)
    try:
        if study is not None and study not in group_options("study"):
            rest = [o for o in args.overrides if o.split("=", 1)[0] != "study"]
            runs_dir = runs_folder(compose_config(rest).paths.results, study)
            statuses = folder_statuses(runs_dir)
            print(f"study={study} has no sweep config (conf/study/); {runs_dir} holds "
                  f"{len(statuses)} run folders")  # fmt: skip
            if not args.count:
                _report(statuses, runs_dir)
            return 0
        jobs = expand_sweep(args.overrides)
    except HydraException as error:
        print(f"vae-study-status: {explain_composition_error(error, args.overrides)}",
              file=sys.stderr)  # fmt: skip
        return 2
    except ConfigError as error:
        print(f"vae-study-status: {error}", file=sys.stderr)
        return 2
    print(f"planned: {len(jobs)} runs")
    if args.count:
        return 0
    statuses = [run_status(*job) for job in job_run_ids(jobs)]
    runs_dir = statuses[0].run_dir.parent if statuses else Path()
    _report(statuses, runs_dir)
    planned = {status.run_id for status in statuses}
    others = [p for p in runs_dir.iterdir() if p.is_dir() and p.name not in planned] if (
        runs_dir.is_dir()) else []  # fmt: skip
    if others:
        print(f"{len(others)} other run folders in {runs_dir} are not runs of this plan (the "
              "analysis reads every record there)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
