"""The exact boosting backend's numba kernels, compiled (or loaded from numba's cache) once.

A process that fits its first exact tree pays the kernels' compilation (seconds in a fresh
clone) or their loading from numba's on-disk cache (about a second). :func:`compile_kernels`
pays it up front, in the test workers and in the warm process that each command forks from, so
no fork pays it again. The compiling is done under a file lock: in a fresh clone one process
compiles and writes the cache while the others wait, then load it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from filelock import FileLock

from vae_study.metrics import boosting
from vae_study.metrics.classifiers import gradient_boosting


def compile_kernels() -> None:
    """Fit and apply tiny binary and multi-class exact models, which runs every kernel."""
    cache = Path(boosting.__file__).parent / "__pycache__"
    cache.mkdir(exist_ok=True)
    rng = np.random.default_rng(0)
    x = np.round(rng.normal(size=(60, 4)), 1)
    with FileLock(cache / "compile_kernels.lock"):
        for classes in (2, 3):
            model = gradient_boosting("exact", 0).fit(x, np.arange(60) % classes)
            model.predict_proba(x[:, :]), model.predict(x[::2]), model.feature_importances_
