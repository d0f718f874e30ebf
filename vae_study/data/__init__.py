"""Ground-truth data sets: the protocol and the study's data sets."""

from vae_study.data.ground_truth import FactorGridData, GroundTruthData

__all__ = ["FactorGridData", "GroundTruthData"]
