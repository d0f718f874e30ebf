"""The training stream: i.i.d. observations drawn from a ground-truth data set, batch by batch.

As in the reference (``methods/unsupervised/train.py``), training sees an endless stream of fresh
samples rather than epochs over a fixed array. Batch ``t`` is drawn with a generator seeded by
``(seed, t)``, so the stream can restart at any step and give exactly the batches an
uninterrupted run would have seen: resuming needs no data-loader state.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch
from torch.utils.data import IterableDataset, get_worker_info

from vae_study.data.ground_truth import GroundTruthData


def data_seed(seed: int) -> int:
    """The seed of run ``seed``'s training stream (and of a baseline's fit sample), derived from
    the run's seed so that it differs from the seed of the initialisation."""
    return int(np.random.SeedSequence(seed).generate_state(1)[0])


class BatchStream(IterableDataset):
    """Yields float32 observation batches (batch_size, C, H, W) from step ``start`` on, forever.

    With several data-loader workers, worker ``w`` draws the steps ``t`` with ``t % W == w``;
    the loader's round-robin order then yields steps in order.
    """

    def __init__(self, data: GroundTruthData, batch_size: int, seed: int, start: int = 0) -> None:
        super().__init__()
        self.data = data
        self.batch_size = batch_size
        self.seed = seed
        self.start = start

    def batch(self, step: int) -> np.ndarray:
        rng = np.random.default_rng([self.seed, step])
        _, observations = self.data.sample(self.batch_size, rng)
        return observations

    def __iter__(self) -> Iterator[torch.Tensor]:
        worker = get_worker_info()
        offset, stride = (0, 1) if worker is None else (worker.id, worker.num_workers)
        step = self.start + offset
        while True:
            yield torch.from_numpy(self.batch(step))
            step += stride
