"""Codes and factors for the metrics: i.i.d. draws shared across metrics, and interventions.

disentanglement_lib samples afresh for every metric (``evaluation/metrics/utils.py``,
``generate_batch_factor_code``: i.i.d. ``sample`` calls in batches of 16, each batch encoded on
its own). The i.i.d. metrics here (MIG, DCI, modularity, SAP, downstream, unsupervised, and the
FactorVAE score's variance estimate) take their points from a :class:`SharedSample` instead: two
lazily extended i.i.d. streams, ``train`` and ``test``, from which each metric takes slices.
Every observation is rendered and encoded once, however many metrics use it.

Why the values stay correct:

* each stream is i.i.d. from the data distribution, so any slice of it is distributed exactly
  like a fresh draw of that size, which is what the reference draws;
* inside one metric, sets the reference draws independently (train and test, one fresh test set
  per downstream size) are disjoint slices, hence independent;
* a stream grows in fixed chunks from its own generator, so the points at positions
  ``start:stop`` depend only on the sample's seed: not on which metrics ran, nor in what order.

Metrics do share points with each other (the reference's metrics are independent given the
model), so the sampling noise of two metrics of one model is correlated; pass
``share_samples=False`` to :func:`vae_study.metrics.evaluate` to draw per metric instead.
Results derived from the shared points (classifier fits) can be memoised on the sample with
:meth:`SharedSample.memo`; classifiers fitted on shared points take ``estimator_seed`` as their
``random_state``, so the same fit asked for by two metrics is one model.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, NamedTuple, TypeVar

import numpy as np

from vae_study.data.ground_truth import GroundTruthData
from vae_study.metrics.checks import check_codes, check_count, check_factors

Represent = Callable[[np.ndarray], np.ndarray]
T = TypeVar("T")

CHUNK_SIZE = 500  # points per stream extension: one `sample` and one `represent` call
STREAMS = ("train", "test")


class NotApplicableError(Exception):
    """The metric cannot be computed on this data set (for example, it cannot intervene)."""


class Draw(NamedTuple):
    """Codes (n, D) and the factors (n, K) int64 that generated them."""

    codes: np.ndarray
    factors: np.ndarray


def encode(
    represent: Represent, observations: np.ndarray, num_codes: int | None = None
) -> np.ndarray:
    """``represent(observations)``, checked: shape (n, D), finite, floating, D as expected."""
    n = len(observations)
    codes = np.asarray(represent(observations))
    if codes.ndim != 2 or codes.shape[0] != n:
        raise ValueError(
            f"represent must map {n} observations to an array of shape ({n}, D), "
            f"got shape {codes.shape}"
        )
    if num_codes is not None and codes.shape[1] != num_codes:
        raise ValueError(
            f"represent returned {codes.shape[1]} codes, earlier calls returned {num_codes}"
        )
    return check_codes(codes, "the representation's codes")


def observe(data: GroundTruthData, factors: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Observations of chosen factors, or NotApplicableError if ``data`` cannot intervene.

    A data set whose factors are not a full grid either lacks ``sample_observations_from_factors``
    or raises NotImplementedError from it (ARCHITECTURE.md, ground-truth data contract).
    """
    render = getattr(data, "sample_observations_from_factors", None)
    if not callable(render):
        raise NotApplicableError(f"{type(data).__name__} lacks sample_observations_from_factors")
    try:
        return render(factors, rng)
    except NotImplementedError as error:
        raise NotApplicableError(
            f"{type(data).__name__} cannot render chosen factors: {error or 'not implemented'}"
        ) from error


def check_interventions(data: GroundTruthData) -> None:
    """NotApplicableError unless ``data`` renders chosen factors (probes one observation with a
    throwaway generator, so no caller's randomness is used)."""
    probe = np.random.default_rng(0)
    observe(data, data.sample_factors(1, probe), probe)


class SharedSample:
    """Two i.i.d. streams of (codes, factors), ``train`` and ``test``, extended on demand.

    ``rng`` is used once, to seed the streams and ``estimator_seed``; after that the content of
    every position is fixed. ``num_encoded`` counts the observations encoded so far.
    """

    def __init__(
        self,
        data: GroundTruthData,
        represent: Represent,
        rng: np.random.Generator,
        *,
        chunk_size: int = CHUNK_SIZE,
    ) -> None:
        self._data = data
        self._represent = represent
        self._chunk_size = check_count("chunk_size", chunk_size, 1)
        entropy = int(rng.integers(2**63))
        self._rngs = {name: np.random.default_rng([entropy, i]) for i, name in enumerate(STREAMS)}
        self.estimator_seed = int(
            np.random.default_rng([entropy, len(STREAMS)]).integers(2**31 - 1)
        )
        self._chunks: dict[str, list[Draw]] = {name: [] for name in STREAMS}
        self._joined: dict[str, Draw | None] = dict.fromkeys(STREAMS)
        self._memo: dict[Hashable, Any] = {}
        self.num_codes: int | None = None
        self.num_encoded = 0

    def train(self, stop: int, start: int = 0) -> Draw:
        """Points ``start:stop`` of the train stream."""
        return self._take("train", start, stop)

    def test(self, stop: int, start: int = 0) -> Draw:
        """Points ``start:stop`` of the test stream."""
        return self._take("test", start, stop)

    def memo(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()`` the first time ``key`` is asked for, the stored result afterwards."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def _take(self, stream: str, start: int, stop: int) -> Draw:
        if not 0 <= start < stop:
            raise ValueError(f"need 0 <= start < stop, got start={start}, stop={stop}")
        chunks = self._chunks[stream]
        grown = False
        while len(chunks) * self._chunk_size < stop:
            chunks.append(self._draw_chunk(self._rngs[stream]))
            grown = True
        joined = self._joined[stream]
        if grown or joined is None:
            joined = Draw(
                np.concatenate([c.codes for c in chunks]),
                np.concatenate([c.factors for c in chunks]),
            )
            for array in joined:  # shared by every metric: no metric may change it
                array.flags.writeable = False
            self._joined[stream] = joined
        return Draw(joined.codes[start:stop], joined.factors[start:stop])

    def _draw_chunk(self, rng: np.random.Generator) -> Draw:
        factors, observations = self._data.sample(self._chunk_size, rng)
        factors = check_factors(factors, self._chunk_size, "factors returned by data.sample")
        codes = encode(self._represent, observations, self.num_codes)
        self.num_codes = codes.shape[1]
        self.num_encoded += len(codes)
        return Draw(codes, factors)
