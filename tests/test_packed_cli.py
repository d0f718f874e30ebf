"""``vae-study trainer.pack=K``: one pack, K member records identical to the single runs'."""

from __future__ import annotations

import numpy as np
import pytest
from cli_runner import run_cli

from vae_study.results import RunRecord


def records(results) -> dict[str, RunRecord]:
    found = (RunRecord.read(p) for p in results.glob("*/runs/*/record.json"))
    return {record.run_id: record for record in found}


def test_a_pack_writes_each_members_single_run_record(tmp_path, tiny):
    tiny += ["metrics=quick", "metrics.names=[mig,modularity]", "metrics.n_jobs=1"]
    packed = run_cli(*tiny, "trainer.pack=2", results=tmp_path / "packed")
    assert packed.returncode == 0, packed.stderr
    member = run_cli(*tiny, "trainer.pack=2", "seed=1", results=tmp_path / "member")
    assert member.returncode == 0 and "member of the pack led by seed 0" in member.stdout
    assert not records(tmp_path / "member")
    for seed in (0, 1):
        single = run_cli(*tiny, f"seed={seed}", results=tmp_path / "single")
        assert single.returncode == 0, single.stderr
    by_pack, alone = records(tmp_path / "packed"), records(tmp_path / "single")
    assert by_pack.keys() == alone.keys() and len(alone) == 2
    for run_id, record in by_pack.items():
        assert record.status == "done" and record.train["pack"] == 2
        assert record.train["steps"] == alone[run_id].train["steps"] == 20
        for term, value in alone[run_id].train["final"].items():
            np.testing.assert_allclose(record.train["final"][term], value, rtol=1e-4)
        scores = {k: v for k, v in record.metrics.items() if not k.startswith("time.")}
        assert scores and "mig" in scores
        for key, value in scores.items():  # same metric settings and draws as the single run
            np.testing.assert_allclose(value, alone[run_id].metrics[key], rtol=1e-3, atol=1e-3)


def test_a_model_without_a_packed_form_trains_its_seeds_one_by_one(tmp_path, tiny):
    packed = run_cli(*tiny, "model=factor_vae", "trainer.pack=2", results=tmp_path / "packed")
    assert packed.returncode == 0, packed.stderr
    assert "has no packed form" in packed.stdout + packed.stderr
    single = run_cli(*tiny, "model=factor_vae", "seed=1", results=tmp_path / "single")
    assert single.returncode == 0, single.stderr
    by_pack, alone = records(tmp_path / "packed"), records(tmp_path / "single")
    assert len(by_pack) == 2 and set(alone) < set(by_pack)
    for run_id, record in alone.items():
        assert by_pack[run_id].status == "done" and "pack" not in by_pack[run_id].train
        assert by_pack[run_id].train["final"] == pytest.approx(record.train["final"], rel=1e-5)
