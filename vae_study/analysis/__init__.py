"""The analysis stage: the study table and the paper's figures, from a study's run records.

``python -m vae_study.analysis figures --study <name> --results <dir>`` reads every record of
``<dir>/<name>/runs/`` (:mod:`~vae_study.analysis.collect`), writes the table to
``<dir>/<name>/study_table.csv`` and every figure to ``<dir>/<name>/figures/``
(:mod:`~vae_study.analysis.figures`), and prints the comparison with the paper
(:mod:`~vae_study.analysis.paper`). ``vae-study-viz --run <run_id or path>`` draws one model
(:mod:`~vae_study.analysis.visualize`).
"""
