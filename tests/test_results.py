"""Run ids, atomic records and the resumable data stream."""

import errno
import json
import os

import numpy as np
import pytest
from omegaconf import OmegaConf

from vae_study.data.dsprites import DSprites
from vae_study.data.stream import BatchStream
from vae_study.results import RecordError, RunRecord, run_id


def config(**changes):
    base = {
        "seed": 0,
        "model": {"beta": 4.0, "strengths": [1, 4], "picked": "${model.strengths.1}"},
        "logger": {"name": "csv"},
        "trainer": {"devices": 1, "precision": "32-true"},
    }
    cfg = OmegaConf.create(base)
    for key, value in changes.items():
        OmegaConf.update(cfg, key, value)
    return cfg


def test_run_id_is_stable_and_ignores_only_the_listed_keys():
    ignore = ["logger", "trainer.devices"]
    reference = run_id(config(), ignore)
    assert len(reference) == 12 and reference == run_id(config(), ignore)
    assert run_id(config(**{"logger.name": "wandb", "trainer.devices": 4}), ignore) == reference
    assert run_id(config(seed=1), ignore) != reference
    assert run_id(config(**{"trainer.precision": "bf16-mixed"}), ignore) != reference
    assert run_id(config(**{"model.strengths": [1, 8]}), ignore) != reference  # via interpolation


def test_a_record_round_trips_and_is_written_atomically(tmp_path, monkeypatch):
    record = RunRecord(run_id="abc", study="s", config={"seed": 0}, metrics={"mig": float("nan")})
    path = record.write(tmp_path / "run")
    again = RunRecord.read(path.parent)
    assert again.run_id == "abc" and np.isnan(again.metrics["mig"])
    assert {"python", "torch", "scikit-learn"} <= set(again.versions)

    def disk_full(descriptor):
        raise OSError(errno.ENOSPC, "No space left on device")

    record.status = "done"
    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match=f"cannot write {path}: No space left on device"):
        record.write(path.parent)
    assert RunRecord.read(path).status == "running"  # the old record is intact
    assert [p.name for p in path.parent.iterdir()] == ["record.json"]  # no temporary left


def test_records_are_readable_by_the_group_and_their_fields_typed(tmp_path):
    path = RunRecord(run_id="abc", study="s", config={}).write(tmp_path)
    assert path.stat().st_mode & 0o777 == 0o666 & ~current_umask()
    for change, message in [
        ({"status": "finished"}, "status must be one of"),
        ({"metrics": {"mig": "high"}}, "metrics must be numbers"),
        ({"train": []}, "train must be"),
        ({"extra": 1}, "unknown fields"),
    ]:
        data = json.loads(path.read_text()) | change
        (tmp_path / "bad.json").write_text(json.dumps(data))
        with pytest.raises(RecordError, match=message):
            RunRecord.read(tmp_path / "bad.json")


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_the_stream_restarts_at_any_step_with_the_same_batches():
    stream = BatchStream(DSprites(), batch_size=8, seed=3)
    first = [batch.numpy() for _, batch in zip(range(5), stream, strict=False)]
    restarted = BatchStream(DSprites(), batch_size=8, seed=3, start=3)
    later = [batch.numpy() for _, batch in zip(range(2), restarted, strict=False)]
    np.testing.assert_array_equal(first[3], later[0])
    np.testing.assert_array_equal(first[4], later[1])
    assert not np.array_equal(first[0], first[1])
    other_seed = next(iter(BatchStream(DSprites(), batch_size=8, seed=4)))
    assert not np.array_equal(first[0], other_seed.numpy())
