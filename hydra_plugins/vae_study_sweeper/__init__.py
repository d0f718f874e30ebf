"""vae-study's Hydra sweeper (``hydra/sweeper=packs``, the default of ``conf/train.yaml``)."""
