"""DCI under scikit-learn 0.20's and 0.19's gradient-boosting importances, on the same fits.

scikit-learn 0.20 (PR #11176) made ``GradientBoostingClassifier.feature_importances_`` every
tree's unnormalised impurity decrease, summed per feature and normalised once; 0.19 averaged each
tree's own normalised importances (``sum(tree.feature_importances_ for tree in stage) /
len(stage)``, averaged over the stages). The study's numbers assume the first (it ran
scikit-learn of about 0.20); this script fits ``GradientBoostingClassifier()`` once per factor
and scores D and C (:mod:`vae_study.metrics.dci`) with both definitions.
docs/reference_protocol.md quotes the output.

    python benchmarks/dci_importance_versions.py [--points 3000] [--seed 0]
"""

from __future__ import annotations

import argparse

import numpy as np
from sklearn.ensemble import GradientBoostingClassifier

from vae_study.metrics.dci import completeness, disentanglement

FACTOR_SIZES = (3, 6, 10, 8, 8)


def summed_importances(model: GradientBoostingClassifier) -> np.ndarray:
    """scikit-learn 0.20 and later: unnormalised decreases summed over trees, normalised once."""
    return model.feature_importances_


def averaged_importances(model: GradientBoostingClassifier) -> np.ndarray:
    """scikit-learn 0.19: each tree's normalised importances, averaged per stage, then over
    stages (a tree without a split contributes zeros)."""
    stages = []
    for stage in model.estimators_:
        trees = []
        for tree in stage:
            raw = tree.tree_.compute_feature_importances(normalize=False)
            trees.append(raw / raw.sum() if raw.sum() > 0 else raw)
        stages.append(np.mean(trees, axis=0))
    return np.mean(stages, axis=0)


def codes(factors: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    scaled = factors / (np.array(FACTOR_SIZES) - 1.0)
    noisy = np.c_[scaled + 0.05 * rng.normal(size=scaled.shape), rng.normal(size=scaled.shape)]
    rotation = np.linalg.qr(rng.normal(size=(len(FACTOR_SIZES),) * 2))[0]
    return {
        "the factors plus small noise, and 5 noise codes": noisy,
        "a random rotation of the factors": (scaled - scaled.mean(0)) @ rotation,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    factors = np.stack([rng.integers(size, size=args.points) for size in FACTOR_SIZES], axis=1)
    print(f"{args.points} points, factor sizes {FACTOR_SIZES}, GradientBoostingClassifier()")
    print("| code | 0.20 (summed) D / C | 0.19 (averaged) D / C |\n|---|---|---|")
    for name, code in codes(factors, rng).items():
        models = [
            GradientBoostingClassifier(random_state=args.seed).fit(code, factors[:, k])
            for k in range(len(FACTOR_SIZES))
        ]
        cells = []
        for importances in (summed_importances, averaged_importances):
            matrix = np.abs(np.stack([importances(m) for m in models], axis=1))
            cells.append(f"{disentanglement(matrix):.3f} / {completeness(matrix):.3f}")
        print(f"| {name} | {cells[0]} | {cells[1]} |", flush=True)


if __name__ == "__main__":
    main()
