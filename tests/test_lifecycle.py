"""The run lifecycle on packs, in process: claims under the lock, failures, checks up front."""

from __future__ import annotations

import contextlib

import pytest

import vae_study.lifecycle as lifecycle
from vae_study.build import build_job
from vae_study.config import compose_config
from vae_study.errors import ConfigError
from vae_study.packed.loop import PackedTrainer
from vae_study.results import RunRecord

SMALL = [
    "experiment=demo", "arch=mlp", "arch.hidden=[32]", "train.steps=12", "train.threads=1",
    "metrics=none", "logger=none", "trainer.enable_progress_bar=false",
]  # fmt: skip


def pack_config(tmp_path, *extra: str):
    return compose_config(
        [*SMALL, "pack.size=2", "pack.seeds=[0,1]", f"paths.results={tmp_path}", *extra]
    )


def test_a_member_finished_by_another_process_between_check_and_lock_is_not_retrained(
    tmp_path, monkeypatch
):
    cfg = pack_config(tmp_path)
    plan = build_job(cfg)
    first, second = plan.members
    taken = lifecycle.exclusive

    @contextlib.contextmanager
    def finished_meanwhile(run_dir):
        if run_dir == second.run_dir:  # another process finishes this run right now
            RunRecord(run_id=second.run_id, study="demo", config={}, status="done").write(run_dir)
        with taken(run_dir) as acquired:
            yield acquired

    monkeypatch.setattr(lifecycle, "exclusive", finished_meanwhile)
    outcome = lifecycle.run_job(cfg)
    assert outcome.done == [first.run_id] and outcome.skipped == [second.run_id]
    assert RunRecord.read(second.run_dir).config == {}  # left as the other process wrote it
    assert not (second.run_dir / "model.pt").exists()
    assert RunRecord.read(first.run_dir).status == "done"


@pytest.mark.parametrize(
    ("error", "status"), [(RuntimeError("boom"), "failed"), (KeyboardInterrupt(), "interrupted")]
)
def test_an_exception_in_the_middle_of_a_pack_fails_every_member_with_the_error(
    tmp_path, monkeypatch, error, status
):
    cfg = pack_config(tmp_path)
    step = PackedTrainer.step

    def failing(self):
        if self.step_count == 5:
            raise error
        return step(self)

    monkeypatch.setattr(PackedTrainer, "step", failing)
    plan = build_job(cfg)
    if isinstance(error, KeyboardInterrupt):
        with pytest.raises(KeyboardInterrupt):
            lifecycle.run_job(cfg)
    else:
        outcome = lifecycle.run_job(cfg)
        assert sorted(outcome.failed) == sorted(m.run_id for m in plan.members)
    expected = "RuntimeError: boom" if status == "failed" else "KeyboardInterrupt"
    for member in plan.members:
        record = RunRecord.read(member.run_dir)
        assert record.status == status and record.error == expected and record.finished


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("metrics.names=[mig,nosuch]", "metrics.names"),
        ("metrics.params.dci.num_train=-5", "metrics.params.dci.num_train"),
        ("+metrics.params.mig.num_trian=5", "metrics.params.mig"),
        ("metrics.gbt_backend=gpu", "metrics.gbt_backend"),
        ("pack.mode=grouped", "pack.mode"),
        ("pack.seeds=[1,1]", "pack.seeds"),
        ("train.optimizer.betas=[2,0.999]", "train.optimizer.betas"),
        ("train.optimizer.betas=[0.9]", "train.optimizer.betas"),
        ("train.optimizer.eps=-1", "train.optimizer.eps"),
        ("seed=-1", "seed"),
        ("trainer.precision=17", "trainer.precision"),
        ("+trainer.max_steps=5", "trainer.max_steps"),
    ],
)
def test_every_setting_is_checked_before_anything_is_written(tmp_path, override, key):
    cfg = compose_config([*SMALL, "metrics=quick", f"paths.results={tmp_path}", override])
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")) as error:
        lifecycle.run_job(cfg)
    assert "\n" not in str(error.value)
    assert list(tmp_path.iterdir()) == []
