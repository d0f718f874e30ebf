"""The study table: records to one tidy table, unreadable and unfinished records reported."""

from __future__ import annotations

import pandas as pd
from synthetic_study import KEYS, synthetic_record, write_records, write_study

from vae_study.analysis.collect import ID_COLUMNS, collect, write_table
from vae_study.results import RECORD_NAME, exclusive


def test_collect_keeps_done_runs_counts_the_rest_and_reports_corrupt_records(tmp_path):
    runs = tmp_path / "runs"
    done = [synthetic_record("s", "dsprites", m, 1, seed) for m in ("factor_vae", "beta_vae")
            for seed in (1, 0)]  # fmt: skip
    failed = synthetic_record("s", "dsprites", "beta_vae", 2, 0, status="failed")
    running = synthetic_record("s", "dsprites", "beta_vae", 3, 0, status="running")
    abandoned = synthetic_record("s", "dsprites", "beta_vae", 4, 0, status="running")
    write_records(runs, [*done, failed, running, abandoned])
    (runs / "corrupt").mkdir()
    (runs / "corrupt" / RECORD_NAME).write_text('{"run_id": "corrupt", "status": "do')
    (runs / "no_record").mkdir()

    with exclusive(runs / running["run_id"]) as held:  # a process running it holds its lock
        assert held
        collection = collect(runs)

    table = collection.table
    assert len(table) == 4 and set(table["run_id"]) == {r["run_id"] for r in done}
    # the record nobody is running was left by a killed process: interrupted, as status says
    assert collection.counts == {"done": 4, "failed": 1, "running": 1, "interrupted": 1}
    assert sorted(p.parent.name for p, _ in collection.unreadable) == ["corrupt", "no_record"]
    assert (
        "not a JSON record" in dict((p.parent.name, r) for p, r in collection.unreadable)["corrupt"]
    )
    assert "1 failed, 1 running, 1 interrupted, 2 unreadable" in collection.summary()
    # identifiers first, then every metric key, then the training summaries; sorted rows
    expected = [c for c in ID_COLUMNS if c != "model_num"]
    assert list(table.columns[: len(expected)]) == expected
    assert set(KEYS) <= set(table.columns)
    assert {"train.steps", "train.seconds", "train.final.loss"} <= set(table.columns)
    assert list(table["model"]) == ["beta_vae", "beta_vae", "factor_vae", "factor_vae"]
    assert list(table["seed"]) == [0, 1, 0, 1]
    assert list(table["strength_value"]) == [2.0, 2.0, 20.0, 20.0]


def test_a_done_record_without_its_config_is_unreadable_not_fatal(tmp_path):
    broken = synthetic_record("s", "dsprites", "beta_vae", 0, 0)
    del broken["config"]["model"]["strengths"]
    write_records(tmp_path, [broken, synthetic_record("s", "dsprites", "beta_vae", 0, 1)])
    collection = collect(tmp_path)
    assert len(collection.table) == 1 and collection.counts == {"done": 1}
    [(path, reason)] = collection.unreadable
    assert path.parent.name == broken["run_id"] and "strengths" in reason


def test_model_num_is_a_column_when_records_carry_it(tmp_path):
    with_number = synthetic_record("s", "dsprites", "beta_vae", 0, 7)
    with_number["model_num"] = 7
    write_records(tmp_path, [with_number, synthetic_record("s", "dsprites", "beta_vae", 0, 8)])
    table = collect(tmp_path).table
    assert list(table.columns[: len(ID_COLUMNS)]) == list(ID_COLUMNS)
    assert table["model_num"].tolist() == [7, pd.NA]


def test_a_real_record_reads(trained_run):
    table = collect(trained_run.parent).table
    row = table.iloc[0]
    assert (row["dataset"], row["model"], row["strength"], row["seed"]) == (
        "dsprites",
        "beta_vae",
        2,
        3,
    )
    assert row["strength_value"] == 4.0 and row["mig"] == 0.1 and row["train.steps"] == 3


def test_the_table_is_written_as_csv_and_parquet(tmp_path):
    write_study(tmp_path, "s", {"dsprites": 2}, models=("beta_vae",), strengths=(0, 1))
    table = collect(tmp_path / "s" / "runs").table
    written = write_table(table, tmp_path / "out")
    assert [path.name for path in written] == ["study_table.csv", "study_table.parquet"]
    pd.testing.assert_frame_equal(pd.read_csv(written[0]), table, check_dtype=False)
    pd.testing.assert_frame_equal(pd.read_parquet(written[1]), table)


def test_two_thousand_records_of_seven_data_sets_collect_into_one_row_each(tmp_path):
    datasets = {name: 16 for name in ("dsprites", "noisy_dsprites", "color_dsprites", "cars3d",
                                      "smallnorb", "shapes3d", "scream_dsprites")}  # fmt: skip
    write_study(tmp_path, "s", datasets)
    collection = collect(tmp_path / "s" / "runs")
    assert collection.counts == {"done": 2016} and collection.table.shape[0] == 2016
    assert collection.table["run_id"].is_unique
