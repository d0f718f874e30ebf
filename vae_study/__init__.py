"""vae-study: reproduce and scale the disentanglement study of Locatello et al. 2019."""

__version__ = "0.1.0"
