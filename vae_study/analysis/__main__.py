"""``python -m vae_study.analysis``: see :mod:`vae_study.analysis.cli`."""

from vae_study.analysis.cli import main

main()
