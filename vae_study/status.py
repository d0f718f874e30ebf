"""``vae-study-status``: what a study expands to, and where each of its runs stands.

``vae-study-status study=locatello [overrides]`` takes the same overrides as ``vae-study -m``,
expands the sweep exactly as Hydra's basic sweeper does (the study's ``hydra.sweeper.params``,
then the command line, which wins for the same key), computes each run's id and reads its
record. It prints the number of planned runs and how many are done, failed, running (another
process holds the run's lock), interrupted (a record that says running, with nobody running
it: relaunching resumes it) and missing, then the failed runs' errors. Records in the study's
folder that cannot be parsed are listed and counted apart, never as done.

Composing a config per run would take minutes for the 12,600-run study, so the config is
composed once per combination of group choices (``dataset=``, ``model=``, ...) and the plain
value overrides (``seed=``, ``model.strength=``) are applied to a copy of it.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from hydra import compose, initialize_config_dir
from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import DictConfig, OmegaConf, open_dict

from vae_study.results import RECORD_NAME, RunRecord, hash_identity, identity, lock_held
from vae_study.train import CONF_DIR

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
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose("train", overrides=fixed, return_hydra_config=True)
    params = [f"{key}={value}" for key, value in cfg.hydra.sweeper.params.items()]
    parsed = _PARSER.parse_overrides([*params, *overrides])
    return [job for batch in BasicSweeper.split_arguments(parsed, None) for job in batch]


@cache
def _is_group(override: str) -> bool:
    key = override.split("=", 1)[0].lstrip("+~")
    return "/" in key or (CONF_DIR / key).is_dir()


@cache
def _key_value(override: str) -> tuple[str, object]:
    key, value = override.split("=", 1)
    return key.lstrip("+"), _PARSER.parse_override(f"key={value}").value()


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


def job_run_ids(jobs: list[list[str]]) -> Iterator[tuple[list[str], str, Path]]:
    """Each job's run id and folder, as ``vae-study`` would compute them.

    A config is composed once per combination of group choices. A value override that no
    interpolation of that config mentions (``seed``) is set in the resolved config directly;
    the others (``model.strength``, read by ``${index:...}``) are applied before resolving,
    once per distinct combination.
    """
    composed: dict[tuple[str, ...], tuple[DictConfig, str]] = {}
    resolved: dict[tuple[str, ...], dict] = {}
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        for job in jobs:
            groups = tuple(o for o in job if _is_group(o))
            if groups not in composed:
                cfg = compose("train", overrides=list(groups))
                text = _interpolations(OmegaConf.to_container(cfg, resolve=False))
                composed[groups] = (cfg, text)
            cfg, text = composed[groups]
            values = [_key_value(o) for o in job if not _is_group(o)]
            early = tuple(f"{k}={v}" for k, v in values if k in text)
            if (groups, early) not in resolved:
                variant = cfg.copy()
                with open_dict(variant):
                    for key, value in values:
                        if key in text:
                            OmegaConf.update(variant, key, value, merge=False)
                resolved[groups, early] = (variant, identity(variant, list(cfg.run_id_ignore)))
            variant, base = resolved[groups, early]
            ignored = tuple(cfg.run_id_ignore)
            tree = base
            for key, value in values:
                if key not in text and not _ignored(key, ignored):
                    tree = _with(tree, key, value)
            identifier = hash_identity(tree)
            run_dir = Path(variant.paths.results) / tree["study"]["name"] / "runs" / identifier
            yield job, identifier, run_dir


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
    status.state = "interrupted" if record.status == "running" else record.status
    status.error = record.error
    return status


def unreadable_records(study_dir: Path) -> list[tuple[Path, str]]:
    """Records under ``study_dir/runs`` that cannot be parsed, with the reason."""
    bad = []
    for path in sorted(study_dir.glob(f"runs/*/{RECORD_NAME}")):
        try:
            RunRecord(**json.loads(path.read_text()))
        except (ValueError, TypeError) as error:
            bad.append((path, str(error).splitlines()[0]))
    return bad


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point (``vae-study-status``)."""
    parser = argparse.ArgumentParser(
        prog="vae-study-status", description=__doc__.split("\n\n")[0].strip("`")
    )
    parser.add_argument("overrides", nargs="*", help="Hydra overrides, as for vae-study -m")
    parser.add_argument("--count", action="store_true", help="only count the planned runs")
    args = parser.parse_args(argv)
    jobs = expand_sweep(args.overrides)
    print(f"planned: {len(jobs)} runs")
    if args.count:
        return 0
    statuses = [run_status(*job) for job in job_run_ids(jobs)]
    counts = Counter(status.state for status in statuses)
    print("  ".join(f"{state}: {counts.get(state, 0)}" for state in STATES))
    for status in statuses:
        if status.state == "failed":
            print(f"failed {status.run_id} [{' '.join(status.overrides)}]: {status.error}")
    if statuses:
        first = statuses[0]
        for path, reason in unreadable_records(first.run_dir.parent.parent):
            print(f"unreadable record (ignored): {path}: {reason}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
