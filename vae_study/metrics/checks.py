"""Argument checks shared by the metrics: sample counts and (codes, factors) arrays."""

from __future__ import annotations

import numpy as np


def check_count(name: str, value: object, minimum: int = 2) -> int:
    """Return ``value`` as an int, or raise ValueError unless it is an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_codes(codes: np.ndarray, name: str = "codes") -> np.ndarray:
    """A finite floating (n, D) array; integer codes are cast to float64."""
    codes = np.asarray(codes)
    if codes.ndim != 2 or codes.shape[1] == 0:
        raise ValueError(f"{name} must have shape (n, D) with D >= 1, got shape {codes.shape}")
    if not np.issubdtype(codes.dtype, np.floating):
        if not np.issubdtype(codes.dtype, np.number) or np.issubdtype(
            codes.dtype, np.complexfloating
        ):
            raise ValueError(f"{name} must be real numbers, got dtype {codes.dtype}")
        codes = codes.astype(np.float64)
    if not np.isfinite(codes).all():
        raise ValueError(f"{name} contain NaN or infinite values")
    return codes


def check_factors(factors: np.ndarray, n: int, name: str = "factors") -> np.ndarray:
    """An integer (n, K) array of factor values for ``n`` points."""
    factors = np.asarray(factors)
    if factors.ndim != 2 or factors.shape[0] != n or factors.shape[1] == 0:
        raise ValueError(f"{name} must have shape ({n}, K) with K >= 1, got shape {factors.shape}")
    if not np.issubdtype(factors.dtype, np.integer):
        raise ValueError(f"{name} must be integer factor values, got dtype {factors.dtype}")
    return factors.astype(np.int64, copy=False)


def check_pair(
    codes: np.ndarray, factors: np.ndarray, minimum: int = 2, split: str = "train"
) -> tuple[np.ndarray, np.ndarray]:
    """Checked (codes, factors) of one split, with at least ``minimum`` points."""
    codes = check_codes(codes, f"codes ({split})")
    check_count(f"number of {split} points", codes.shape[0], minimum)
    return codes, check_factors(factors, codes.shape[0], f"factors ({split})")


def check_splits(
    train: tuple[np.ndarray, np.ndarray], test: tuple[np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Checked train and test (codes, factors) with matching numbers of codes and factors."""
    codes_train, factors_train = check_pair(*train, split="train")
    codes_test, factors_test = check_pair(*test, minimum=1, split="test")
    if codes_test.shape[1] != codes_train.shape[1]:
        raise ValueError(
            f"train and test codes differ in dimension: {codes_train.shape[1]} vs "
            f"{codes_test.shape[1]}"
        )
    if factors_test.shape[1] != factors_train.shape[1]:
        raise ValueError(
            f"train and test factors differ in number: {factors_train.shape[1]} vs "
            f"{factors_test.shape[1]}"
        )
    return codes_train, factors_train, codes_test, factors_test
