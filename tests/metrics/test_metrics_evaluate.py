"""evaluate(): keys, configs, seeds, shared draws and fits, failures, and invariances."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest
from omegaconf import OmegaConf
from once_per_session import once_per_session

import vae_study.metrics as metrics
from vae_study.metrics import METRICS, evaluate, output_keys

CONF = Path(__file__).resolve().parents[2] / "conf" / "metrics"
# Small counts on the (3, 4, 6) grid: every metric in a few seconds.
TINY = {
    "beta_vae": {"batch_size": 16, "num_train": 200, "num_eval": 100},
    "factor_vae": {
        "batch_size": 16,
        "num_train": 200,
        "num_eval": 100,
        "num_variance_estimate": 1000,
    },
    "mig": {"num_train": 1000},
    "dci": {"num_train": 400, "num_test": 200},
    "modularity": {"num_train": 1000, "num_test": 500},
    "sap": {"num_train": 400, "num_test": 200},
    "downstream_lr": {"num_train": [10, 100], "num_test": 200, "efficiency_sizes": [10, 100]},
    "downstream_gbt": {"num_train": [10, 400], "num_test": 200, "efficiency_sizes": [10, 400]},
    "unsupervised": {"num_train": 1000},
}
ALL = list(METRICS)


def _run(kit, represent, names=ALL, seed=0, data=None, **options):
    options.setdefault("n_jobs", 1)
    return evaluate(data or kit.FactorValueData(), represent, names, seed, **options, **TINY)


@pytest.fixture(scope="session")
def perfect(kit, tmp_path_factory, worker_id) -> dict[str, float]:
    """Every score of the perfect code, computed once for all the session's workers."""

    def score(folder: Path) -> None:
        (folder / "scores.json").write_text(json.dumps(_run(kit, kit.identity)))

    folder = once_per_session(tmp_path_factory, worker_id, "perfect_scores", score)
    return json.loads((folder / "scores.json").read_text())


def test_keys_and_times(perfect):
    scores = perfect
    assert list(scores) == output_keys(ALL, **TINY)
    assert all(isinstance(v, float) and np.isfinite(v) for v in scores.values())
    assert all(scores[f"time.{name}"] >= 0 for name in ALL)
    for name in ("beta_vae", "factor_vae", "mig", "dci", "modularity"):
        assert scores[name] > 0.9, name
    accuracies = [
        v for k, v in scores.items() if k.endswith("accuracy") or k.startswith("explicit")
    ]
    assert all(0.0 <= v <= 1.0 for v in accuracies)
    assert 0.0 < scores["downstream_lr.efficiency"] and 0.0 < scores["downstream_gbt.efficiency"]


@pytest.mark.parametrize("config", ["study", "quick"])
def test_configs_map_onto_evaluate(config):
    m = OmegaConf.load(CONF / f"{config}.yaml")
    keys = output_keys(list(m.names), gbt_backend=m.gbt_backend, n_jobs=m.n_jobs, **m.params)
    assert set(m.names) == set(METRICS)
    assert {"mig", "dci", "sap", "beta_vae", "factor_vae", "modularity"} <= set(keys)
    assert m.share_samples is (config == "quick")  # the study draws per metric, as the reference


def test_quick_config_runs_on_plain_vectors(kit):
    m = OmegaConf.load(CONF / "quick.yaml")
    names = ["mig", "dci", "downstream_gbt"]
    scores = evaluate(
        kit.FactorValueData(),
        kit.identity,
        names,
        3,
        gbt_backend=m.gbt_backend,
        n_jobs=1,
        share_samples=m.share_samples,
        **m.params,
    )
    assert scores["mig"] > 0.9 and scores["dci"] > 0.9


def test_each_metric_has_its_own_seed(kit):
    alone = _run(kit, kit.identity, ["mig", "beta_vae"], seed=5)
    among = _run(kit, kit.identity, ["sap", "beta_vae", "unsupervised", "mig"], seed=5)
    assert alone["mig"] == among["mig"] and alone["beta_vae"] == among["beta_vae"]
    assert (
        _run(kit, kit.identity, ["mig"], seed=6)["mig"]
        != _run(kit, kit.identity, ["mig"], seed=7)["mig"]
    )
    assert metrics.metric_rng(5, "mig").integers(1000) == metrics.metric_rng(5, "mig").integers(
        1000
    )
    assert metrics.metric_rng(5, "mig").random() != metrics.metric_rng(5, "sap").random()


def test_iid_metrics_encode_each_observation_once(kit):
    encoded = []

    def counting(x):
        encoded.append(len(x))
        return kit.identity(x)

    options = {"mig": {"num_train": 1000}, "unsupervised": {"num_train": 1000},
               "sap": {"num_train": 1000, "num_test": 500}}  # fmt: skip
    evaluate(
        kit.FactorValueData(), counting, ["mig", "unsupervised", "sap"], 0, n_jobs=1, **options
    )
    assert sum(encoded) == 1500  # train[0:1000] once, test[0:500]
    encoded.clear()
    evaluate(
        kit.FactorValueData(),
        counting,
        ["mig", "unsupervised", "sap"],
        0,
        n_jobs=1,
        share_samples=False,
        **options,
    )
    assert sum(encoded) == 1000 + 1000 + 1500


def test_dci_and_downstream_gbt_share_one_fit(kit, monkeypatch):
    from vae_study.metrics import classifiers

    calls = []
    fit_factors = classifiers.fit_factors
    monkeypatch.setattr(
        classifiers, "fit_factors", lambda *a, **k: calls.append(1) or fit_factors(*a, **k)
    )
    scores = _run(kit, kit.rotated(3), ["dci", "downstream_gbt"])
    assert len(calls) == 2  # sizes 10 and 400; DCI's 400-point fit is the downstream one
    assert scores["dci.informativeness_test"] == scores["downstream_gbt.400.test_accuracy"]


def test_unshared_samples_agree_up_to_sampling_noise(kit):
    shared = _run(kit, kit.identity, ["mig", "dci", "unsupervised"])
    separate = _run(kit, kit.identity, ["mig", "dci", "unsupervised"], share_samples=False)
    assert shared["mig"] != separate["mig"]
    for key in ("mig", "dci", "unsupervised.mutual_info_score"):
        assert separate[key] == pytest.approx(shared[key], abs=0.05), key


def test_not_applicable_metrics_are_nan_and_the_others_run(kit, caplog):
    with caplog.at_level(logging.WARNING):
        scores = _run(kit, kit.identity, ["beta_vae", "factor_vae", "mig"], data=kit.NoRenderData())
    for key in ("beta_vae", "beta_vae.train_accuracy", "factor_vae", "factor_vae.num_active_dims"):
        assert np.isnan(scores[key])
    assert scores["mig"] > 0.9 and "time.beta_vae" in scores
    assert "beta_vae does not apply" in caplog.text and "factor_vae does not apply" in caplog.text


def test_a_failing_metric_loses_only_its_own_keys(kit, caplog, monkeypatch):
    def broken(data, represent, rng, *, num_train=10, num_test=10, n_jobs=1, sample=None):
        raise RuntimeError("boom")

    monkeypatch.setitem(METRICS, "sap", metrics.Metric(broken, lambda p: ("sap",)))
    with caplog.at_level(logging.ERROR):
        scores = _run(kit, kit.identity, ["sap", "mig"])
    assert np.isnan(scores["sap"]) and scores["mig"] > 0.9
    assert "metric sap failed" in caplog.text and "boom" in caplog.text
    nan_codes = _run(kit, lambda x: np.full((len(x), 3), np.nan), ["mig", "unsupervised"])
    assert all(np.isnan(v) for k, v in nan_codes.items() if not k.startswith("time."))


@pytest.mark.parametrize(
    ("names", "options", "match"),
    [
        (["mgi"], {}, "unknown metrics"),
        (["mig"], {"dci_typo": {}}, "unknown metrics"),
        (["mig"], {"mig": {"num_trian": 10}}, "no parameters"),
        (["mig"], {"mig": {"num_train": 1}}, "mig.num_train"),
        (["mig"], {"downstream_lr": {"num_train": [0, 10]}}, "downstream_lr.num_train"),
        (["dci"], {"gbt_backend": "gpu"}, "gbt_backend"),
        (["mig", "mig"], {}, "repeat"),
        ("mig", {}, "list of metric names"),
        (["mig"], {"mig": 1000}, "mapping"),
    ],
)
def test_bad_arguments_raise_before_running(kit, names, options, match):
    def never(x):
        raise AssertionError("nothing should be encoded")

    with pytest.raises(ValueError, match=match):
        evaluate(kit.FactorValueData(), never, names, 0, **options)


def test_bad_seed(kit):
    with pytest.raises(ValueError, match="seed"):
        evaluate(kit.FactorValueData(), kit.identity, ["mig"], -1)


def _tolerance(key):
    # Downstream accuracies from 10 or 100 points are the noisiest numbers: a handful of points
    # decide them, through ties between features (GBT) and the discrete grid of C (LR).
    return 0.1 if key.startswith("downstream") else 0.03


@pytest.mark.long
def test_permuting_codes_changes_no_score(kit, perfect):
    moved = _run(kit, kit.permuted(3))
    for key, value in perfect.items():
        if not key.startswith("time."):
            assert moved[key] == pytest.approx(value, abs=_tolerance(key)), key


@pytest.mark.long
def test_rescaling_codes_changes_only_the_scale_dependent_scores(kit, perfect):
    moved = _run(kit, kit.rescaled(3))
    # By construction: the Wasserstein scores are in the units of the codes' variance, and
    # SAP's LinearSVC(C=0.01) sees unstandardised single codes.
    scale_dependent = {
        "sap",
        "unsupervised.gaussian_wasserstein_correlation",
        "unsupervised.gaussian_wasserstein_correlation_norm",
    }
    for key, value in perfect.items():
        if not key.startswith("time.") and key not in scale_dependent:
            assert moved[key] == pytest.approx(value, abs=_tolerance(key)), key
    assert moved["sap"] == pytest.approx(perfect["sap"], abs=0.1)


def test_rotation_lowers_the_disentanglement_scores(kit):
    perfect = _run(kit, kit.identity, ["mig", "dci", "sap"])
    mixed = _run(kit, kit.rotated(3), ["mig", "dci", "sap"])
    for key in ("mig", "dci", "sap"):
        assert mixed[key] < perfect[key] - 0.05, key
