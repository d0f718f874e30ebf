"""Ground-truth data sets: the protocol and the study's data sets."""

from vae_study.data.dsprites import ColorDSprites, DSprites, NoisyDSprites
from vae_study.data.ground_truth import FactorGridData, GroundTruthData

__all__ = ["ColorDSprites", "DSprites", "FactorGridData", "GroundTruthData", "NoisyDSprites"]
