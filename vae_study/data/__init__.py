"""Ground-truth data sets: the protocol and the study's data sets.

The file-backed loaders (``mnist``, ``celeba``, ``shapes3d``, ``smallnorb``, ``cars3d``, ``mpi3d``)
are imported from their modules, so importing the protocol does not load h5py or scipy.
"""

from vae_study.data.dsprites import ColorDSprites, DSprites, NoisyDSprites, ScreamDSprites
from vae_study.data.ground_truth import FactorGridData, GroundTruthData

__all__ = [
    "ColorDSprites",
    "DSprites",
    "FactorGridData",
    "GroundTruthData",
    "NoisyDSprites",
    "ScreamDSprites",
]
