"""W&B tracking, offline: what a run logs, read back from the run's own W&B files."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from cli_runner import run_script
from wandb.proto import wandb_internal_pb2

from vae_study.config import wandb_mode
from vae_study.results import RunRecord

BLOCK = 32 * 1024  # the .wandb file is a LevelDB-style log: 32 KiB blocks of framed records
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4


def wandb_records(path: Path) -> list[wandb_internal_pb2.Record]:
    """Every record of an offline ``run-*.wandb`` file, decoded with W&B's own protobufs."""
    data = path.read_bytes()
    assert data[:4] == b":W&B"
    position, pending, out = 7, b"", []
    while position + 7 <= len(data):
        if BLOCK - position % BLOCK < 7:  # a block's tail too short for a header is padding
            position += BLOCK - position % BLOCK
            continue
        length = int.from_bytes(data[position + 4 : position + 6], "little")
        kind = data[position + 6]
        payload = data[position + 7 : position + 7 + length]
        position += 7 + length
        if kind == 0:
            continue
        pending = payload if kind in (FULL, FIRST) else pending + payload
        if kind in (FULL, LAST):
            record = wandb_internal_pb2.Record()
            record.ParseFromString(pending)
            out.append(record)
    return out


def logged(path: Path) -> dict:
    history, summary, run, exit_code, config = [], {}, None, None, {}
    for record in wandb_records(path):
        kind = record.WhichOneof("record_type")
        if kind == "history":
            history.append({i.key or "/".join(i.nested_key): json.loads(i.value_json)
                            for i in record.history.item})  # fmt: skip
        elif kind == "summary":
            for item in record.summary.update:
                summary[item.key or "/".join(item.nested_key)] = json.loads(item.value_json)
        elif kind == "run":
            run = record.run
        elif kind == "config":
            for item in record.config.update:
                config[item.key or "/".join(item.nested_key)] = json.loads(item.value_json)
        elif kind == "exit":
            exit_code = record.exit.exit_code
    return {"history": history, "summary": summary, "run": run, "exit": exit_code,
            "config": config}  # fmt: skip


def launch(results: Path, *overrides: str, silent: bool = True) -> subprocess.CompletedProcess:
    env = {"WANDB_MODE": "offline", "WANDB_SILENT": "true" if silent else None,
           "WANDB_API_KEY": None}  # fmt: skip
    return run_script(
        "vae-study", "experiment=demo", "train.steps=20", "train.threads=1", "logger=wandb",
        "trainer.log_every_n_steps=5", "trainer.enable_progress_bar=false",
        f"paths.results={results}", *overrides, env=env,
    )  # fmt: skip


def test_a_run_logs_curves_config_metrics_and_its_identity(tmp_path):
    result = launch(
        tmp_path, "metrics=quick", "metrics.names=[mig,modularity]", "metrics.n_jobs=1",
        silent=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    printed = result.stdout + result.stderr
    assert "W&B syncing is set to `offline`" in printed  # W&B's own lines are shown
    assert "anonymous setting has no effect" not in printed  # but not its note on a stale setting
    [path] = tmp_path.glob("demo/runs/*/record.json")
    record = RunRecord.read(path)
    [wandb_file] = path.parent.glob("wandb/offline-run-*/run-*.wandb")
    found = logged(wandb_file)
    assert found["run"].run_id == record.run_id and found["run"].run_group == "demo"
    assert found["run"].job_type == "beta_vae"
    assert set(found["run"].tags) >= {"dsprites", "beta_vae", "strength=2", "seed=0"}
    losses = [h["train/loss"] for h in found["history"] if "train/loss" in h]
    assert len(losses) == 4 and all(isinstance(v, float) for v in losses)
    assert any("train/kl_dim/9" in h for h in found["history"])
    assert found["summary"]["metrics/mig"] == record.metrics["mig"]
    assert found["summary"]["status"] == "done" and found["exit"] == 0
    assert found["config"]["model"]["objective"]["beta"] == 4.0
    images = {key.split("/")[1] for h in found["history"] for key in h
              if key.startswith("pictures/") and key.endswith("/_type")}  # fmt: skip
    assert images == {"reconstructions", "traversals"}
    assert len(list(wandb_file.parent.glob("files/media/images/pictures/*.png"))) == 2


def test_a_failing_run_finishes_its_wandb_run_with_the_error(tmp_path):
    result = launch(tmp_path, "metrics=none", "train.optimizer.lr=1e30",
                    "model.likelihood=gaussian")  # fmt: skip
    assert result.returncode != 0
    [wandb_file] = tmp_path.glob("demo/runs/*/wandb/offline-run-*/run-*.wandb")
    found = logged(wandb_file)
    assert found["summary"]["status"] == "failed"
    assert "diverged" in found["summary"]["error"] and found["exit"] == 1


def test_wandb_is_offline_without_a_key(monkeypatch, tmp_path):
    monkeypatch.delenv("WANDB_MODE", raising=False)
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("NETRC", str(tmp_path / ".netrc"))
    assert wandb_mode() == "offline"
    (tmp_path / ".netrc").write_text("machine api.wandb.ai login user password secret\n")
    (tmp_path / ".netrc").chmod(0o600)
    assert wandb_mode() == "online"
    monkeypatch.setenv("WANDB_MODE", "disabled")
    assert wandb_mode() == "disabled"
