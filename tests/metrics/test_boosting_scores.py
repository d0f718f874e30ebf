"""DCI and the downstream boosted trees with our exact backend against scikit-learn's estimator
(``gbt_backend="sklearn"``) on the same draws: the six synthetic codes of the metric tests on the
dSprites factor space, at small counts (fast) and at the study's counts (slow).

Both fit the same model, except where two features split a node equally well: scikit-learn
breaks such ties by its random feature order, ours by its own draw, and from there the fits
differ as much as scikit-learn's own refits with another random state do. That is most visible
at 10 and 100 training points (tiny nodes, few distinct gradients), in the training accuracy at
1,000 and in the minimum over factors; elsewhere the scores agree to 0.002
(docs/metrics_speed.md has the measured numbers).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from omegaconf import OmegaConf

from vae_study.metrics import evaluate

STUDY = OmegaConf.load(Path(__file__).resolve().parents[2] / "conf" / "metrics" / "study.yaml")
DSPRITES_SIZES = (3, 6, 40, 32, 32)
NAMES = ["dci", "downstream_gbt"]
REPRESENTATIONS = ["identity", "noise", "rotated", "duplicated", "permuted", "rescaled"]


def _represent(kit, name: str, num_factors: int):
    """A fresh representation: the noise code's generator restarts, so both runs see one code."""
    factories = {
        "identity": lambda: kit.identity,
        "noise": lambda: kit.noise(10),
        "rotated": lambda: kit.rotated(num_factors),
        "duplicated": lambda: kit.duplicated,
        "permuted": lambda: kit.permuted(num_factors),
        "rescaled": lambda: kit.rescaled(num_factors),
    }
    return factories[name]()


def _study_tolerance(key: str) -> float:
    """0.002, or 0.02 for the scores that ties move as much as a refit of scikit-learn does."""
    tie_driven = any(
        part in key for part in (".10.", ".100.", ".min_", ".1000.train")
    ) or key.endswith("efficiency")
    return 0.02 if tie_driven else 0.002


def _compare(kit, name: str, sizes: tuple[int, ...], params: dict, tolerance) -> None:
    data = kit.FactorValueData(sizes)
    scores = {
        backend: evaluate(
            data,
            _represent(kit, name, len(sizes)),
            NAMES,
            0,
            gbt_backend=backend,
            n_jobs=-1,
            **params,
        )
        for backend in ("exact", "sklearn")
    }
    exact, reference = scores["exact"], scores["sklearn"]
    keys = [key for key in reference if not key.startswith("time.")]
    moved = {key: exact[key] - reference[key] for key in keys if exact[key] != reference[key]}
    print(f"{name}: " + ", ".join(f"{key} {change:+.4f}" for key, change in moved.items()))
    for key in keys:
        assert exact[key] == pytest.approx(reference[key], abs=tolerance(key)), key


@pytest.mark.parametrize("name", ["noise", "rotated", "duplicated"])
def test_scores_are_scikit_learns_at_small_counts(kit, name):
    """On a small grid with 300 points every score is at the level ties move it (the codes
    whose trees tie most; the study-count version runs all six)."""
    small = {
        "dci": {"num_train": 300, "num_test": 300},
        "downstream_gbt": {
            "num_train": [30, 300],
            "num_test": 300,
            "efficiency_sizes": [30, 300],
        },
    }
    _compare(kit, name, (3, 4, 6), small, lambda key: 0.03)


@pytest.mark.slow
@pytest.mark.parametrize("name", REPRESENTATIONS)
def test_scores_are_scikit_learns_at_study_counts(kit, name):
    study = {key: STUDY.params[key] for key in NAMES}
    _compare(kit, name, DSPRITES_SIZES, study, _study_tolerance)
