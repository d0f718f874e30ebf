"""Every shipped metrics config states every parameter of every metric: the keyword defaults of
the metric functions (the reference's own, which :func:`vae_study.metrics.evaluate` falls back
on for a parameter a config leaves out) never decide a shipped config's scores."""

from __future__ import annotations

import inspect

import pytest
from omegaconf import OmegaConf

from vae_study.config import CONF_DIR
from vae_study.metrics import METRICS

GLOBAL_OPTIONS = ("gbt_backend", "n_jobs")  # the config's top-level keys every metric takes
GROUPS = sorted(path.stem for path in (CONF_DIR / "metrics").glob("*.yaml"))


def parameters(name: str) -> set[str]:
    signature = inspect.signature(METRICS[name].compute).parameters
    return {
        key
        for key, p in signature.items()
        if p.kind is inspect.Parameter.KEYWORD_ONLY and key not in ("sample", *GLOBAL_OPTIONS)
    }


@pytest.mark.parametrize("group", GROUPS)
def test_every_metric_a_config_names_has_every_parameter_stated(group):
    config = OmegaConf.load(CONF_DIR / "metrics" / f"{group}.yaml")
    assert {"seed", "gbt_backend", "n_jobs", "share_samples"} <= set(config), group
    for name in config.names:
        stated = set(config.params.get(name, {}))
        assert stated == parameters(name), (group, name, parameters(name) - stated)
