"""The BetaVAE score (Higgins et al. 2017, "beta-VAE: Learning Basic Visual Concepts with a
Constrained Variational Framework").

As disentanglement_lib ``evaluation/metrics/beta_vae.py`` (``compute_beta_vae_sklearn``) with
``beta_vae_sklearn.gin``: each point picks a factor k uniformly, draws two batches of 64 factor
vectors that agree on factor k, and has the feature mean_batch |z1 - z2| and the label k. A
``LogisticRegression()`` (0.20 settings: liblinear, one-vs-rest; classifiers.py) is trained on
10000 points and scored on 5000 fresh ones.

Points are generated in groups (``OBSERVATIONS_PER_CALL`` observations per ``represent`` call),
drawing per group the labels, then the first and second factor batches; the distribution of
the points is the reference's, the order of draws from the generator is not.
"""

from __future__ import annotations

import numpy as np

from vae_study.data.ground_truth import GroundTruthData
from vae_study.metrics.checks import check_codes, check_count, check_factors
from vae_study.metrics.classifiers import fit_quietly, logistic_regression, single_threaded
from vae_study.metrics.sampling import Represent, check_interventions, encode, observe

KEYS = ("beta_vae", "beta_vae.train_accuracy", "beta_vae.eval_accuracy")
OBSERVATIONS_PER_CALL = 1024


def beta_vae_points(
    data: GroundTruthData,
    represent: Represent,
    rng: np.random.Generator,
    num_points: int,
    batch_size: int,
) -> tuple[np.ndarray, np.ndarray]:
    """``num_points`` BetaVAE points: features (num_points, D) and factor labels (num_points,)."""
    num_factors = len(data.factor_sizes)
    group = max(1, OBSERVATIONS_PER_CALL // (2 * batch_size))
    features, labels = [], []
    num_codes = None
    for start in range(0, num_points, group):
        g = min(group, num_points - start)
        fixed = rng.integers(num_factors, size=g)
        batches = [
            check_factors(data.sample_factors(g * batch_size, rng), g * batch_size).reshape(
                g, batch_size, num_factors
            )
            for _ in range(2)
        ]
        rows = np.arange(g)
        batches[1][rows, :, fixed] = batches[0][rows, :, fixed]  # share factor `fixed[i]`
        observations = observe(data, np.concatenate(batches).reshape(-1, num_factors), rng)
        codes = encode(represent, observations, num_codes)
        num_codes = codes.shape[1]
        z = codes.reshape(2, g, batch_size, num_codes)  # (pair member, point, batch, code)
        features.append(np.mean(np.abs(z[0] - z[1]), axis=1))
        labels.append(fixed)
    return np.concatenate(features), np.concatenate(labels)


@single_threaded
def beta_vae_accuracy(
    train_features: np.ndarray,
    train_labels: np.ndarray,
    eval_features: np.ndarray,
    eval_labels: np.ndarray,
    random_state: int = 0,
) -> tuple[float, float]:
    """Train and evaluation accuracy of the logistic regression predicting the fixed factor."""
    train_features = check_codes(train_features, "train features")
    eval_features = check_codes(eval_features, "evaluation features")
    model = fit_quietly(logistic_regression(random_state), train_features, train_labels)
    return (
        float(np.mean(model.predict(train_features) == train_labels)),
        float(np.mean(model.predict(eval_features) == eval_labels)),
    )


def compute_beta_vae(
    data: GroundTruthData,
    represent: Represent,
    rng: np.random.Generator,
    *,
    batch_size: int = 64,
    num_train: int = 10_000,
    num_eval: int = 5_000,
) -> dict[str, float]:
    """The BetaVAE score; NotApplicableError where ``data`` cannot render chosen factors.

    ``rng`` draws the classifier's ``random_state``, then the training points, then the
    evaluation points.
    """
    batch_size = check_count("batch_size", batch_size)
    num_train = check_count("num_train", num_train)
    num_eval = check_count("num_eval", num_eval)
    check_interventions(data)
    random_state = int(rng.integers(2**31 - 1))
    train = beta_vae_points(data, represent, rng, num_train, batch_size)
    evaluation = beta_vae_points(data, represent, rng, num_eval, batch_size)
    train_accuracy, eval_accuracy = beta_vae_accuracy(*train, *evaluation, random_state)
    return {
        "beta_vae": eval_accuracy,
        "beta_vae.train_accuracy": train_accuracy,
        "beta_vae.eval_accuracy": eval_accuracy,
    }
