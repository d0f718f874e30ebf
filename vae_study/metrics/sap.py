"""Separated Attribute Predictability (Kumar et al. 2018, "Variational Inference of Disentangled
Latent Concepts from Unlabeled Observations", Section 3).

As disentanglement_lib ``evaluation/metrics/sap_score.py`` with ``continuous_factors=False`` (the
study's setting, the only one implemented): for each (code j, factor k) a
``LinearSVC(C=0.01, class_weight="balanced")`` (0.20 settings, classifiers.py) on code j alone,
scored by test accuracy; SAP = mean_k (best - second best accuracy over codes).
"""

from __future__ import annotations

import numpy as np
from joblib import Parallel, delayed

from vae_study.data.ground_truth import GroundTruthData
from vae_study.metrics.checks import check_count, check_splits
from vae_study.metrics.classifiers import fit_quietly, linear_svc, single_threaded
from vae_study.metrics.sampling import Represent, SharedSample

KEYS = ("sap",)


def sap_from_score_matrix(score_matrix: np.ndarray) -> float:
    """SAP from the accuracies of single-code classifiers, shape (D codes, K factors)."""
    if score_matrix.shape[0] < 2:
        raise ValueError(f"SAP needs at least 2 codes, got {score_matrix.shape[0]}")
    top = np.sort(score_matrix, axis=0)
    return float(np.mean(top[-1] - top[-2]))


@single_threaded
def _accuracy(
    random_state: int,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
) -> float:
    model = fit_quietly(linear_svc(random_state), x_train[:, None], y_train)
    return float(np.mean(model.predict(x_test[:, None]) == y_test))


def sap_score_matrix(
    codes_train: np.ndarray,
    factors_train: np.ndarray,
    codes_test: np.ndarray,
    factors_test: np.ndarray,
    *,
    n_jobs: int | None = -1,
    random_state: int = 0,
) -> np.ndarray:
    """Test accuracy of a linear SVM on each single code for each factor, shape (D, K)."""
    codes_train, factors_train, codes_test, factors_test = check_splits(
        (codes_train, factors_train), (codes_test, factors_test)
    )
    num_codes, num_factors = codes_train.shape[1], factors_train.shape[1]
    pairs = [(j, k) for j in range(num_codes) for k in range(num_factors)]
    accuracies = Parallel(n_jobs=n_jobs)(
        delayed(_accuracy)(
            random_state,
            codes_train[:, j],
            factors_train[:, k],
            codes_test[:, j],
            factors_test[:, k],
        )
        for j, k in pairs
    )
    return np.array(accuracies).reshape(num_codes, num_factors)


def compute_sap(
    data: GroundTruthData,
    represent: Represent,
    rng: np.random.Generator,
    *,
    num_train: int = 10_000,
    num_test: int = 5_000,
    n_jobs: int | None = -1,
    sample: SharedSample | None = None,
) -> dict[str, float]:
    """SAP on train[0:num_train] and test[0:num_test] of ``sample`` (drawn with ``rng`` when no
    sample is given)."""
    num_train = check_count("num_train", num_train)
    num_test = check_count("num_test", num_test)
    sample = sample if sample is not None else SharedSample(data, represent, rng)
    matrix = sap_score_matrix(
        *sample.train(num_train),
        *sample.test(num_test),
        n_jobs=n_jobs,
        random_state=sample.estimator_seed,
    )
    return {"sap": sap_from_score_matrix(matrix)}
