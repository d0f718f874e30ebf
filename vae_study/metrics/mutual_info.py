"""Histogram discretisation and discrete mutual information, vectorised.

Follows disentanglement_lib ``evaluation/metrics/utils.py``: ``_histogram_discretize`` (per code,
``np.digitize(z, np.histogram(z, num_bins)[1][:-1])``, so bins are 1..num_bins and the maximum
falls in the last bin) and ``discrete_mutual_info`` / ``discrete_entropy``, which call
``sklearn.metrics.mutual_info_score`` once per (code, factor) pair. Here every joint histogram of
one factor against all codes is one ``np.bincount`` on combined indices; the values equal
``mutual_info_score`` (nats) to rounding, which the tests check.
"""

from __future__ import annotations

import numpy as np


def histogram_discretize(codes: np.ndarray, num_bins: int = 20) -> np.ndarray:
    """Bin each code (column) into ``num_bins`` equal-width bins; values 1..num_bins, (n, D)."""
    binned = np.empty(codes.shape, dtype=np.int64)
    for d in range(codes.shape[1]):  # one histogram per code: the reference's edges, exactly
        edges = np.histogram_bin_edges(codes[:, d], num_bins)
        binned[:, d] = np.digitize(codes[:, d], edges[:-1])
    return binned


def _dense_labels(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Relabel one column of discrete values as 0..m-1; returns (labels, m)."""
    uniques, labels = np.unique(values, return_inverse=True)
    return labels.ravel(), len(uniques)


def discrete_mutual_info(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Mutual information in nats between every column of ``x`` (n, A) and of ``y`` (n, B).

    Both hold discrete values (any integers). Returns (A, B), entry (a, b) equal to
    ``sklearn.metrics.mutual_info_score(y[:, b], x[:, a])``.
    """
    n = x.shape[0]
    x_labels = [_dense_labels(x[:, a]) for a in range(x.shape[1])]
    width = max(m for _, m in x_labels)
    # x as one index per (column, value): column a, value v -> a * width + v
    x_index = np.stack([labels + a * width for a, (labels, _) in enumerate(x_labels)], axis=1)
    x_counts = np.bincount(x_index.ravel(), minlength=x.shape[1] * width).reshape(-1, width)
    mi = np.empty((x.shape[1], y.shape[1]))
    for b in range(y.shape[1]):
        y_labels, m = _dense_labels(y[:, b])
        joint = np.bincount((x_index * m + y_labels[:, None]).ravel(), minlength=x_counts.size * m)
        joint = joint.reshape(x.shape[1], width, m)  # (A, values of x, values of y_b)
        y_counts = np.bincount(y_labels, minlength=m)
        outer = x_counts[:, :, None] * y_counts[None, None, :]
        nonzero = joint > 0
        terms = np.zeros(joint.shape)
        n_ab = joint[nonzero]
        terms[nonzero] = n_ab / n * (np.log(n_ab) + np.log(n) - np.log(outer[nonzero]))
        mi[:, b] = terms.sum(axis=(1, 2))
    return np.clip(mi, 0.0, None)


def discrete_entropy(y: np.ndarray) -> np.ndarray:
    """Entropy in nats of every column of ``y`` (n, B): ``mutual_info_score(y_b, y_b)``."""
    entropy = np.empty(y.shape[1])
    for b in range(y.shape[1]):
        labels, m = _dense_labels(y[:, b])
        p = np.bincount(labels, minlength=m) / len(labels)
        entropy[b] = -np.sum(p * np.log(p))
    return entropy
