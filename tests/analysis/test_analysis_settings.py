"""The analysis settings: conf/analysis/default.yaml, overridden per command, range-checked."""

from __future__ import annotations

import pytest
from omegaconf import OmegaConf

from vae_study.analysis.settings import SETTINGS_FILE, load_settings


def test_the_settings_file_holds_every_default():
    file = OmegaConf.load(SETTINGS_FILE)
    settings = load_settings()
    assert (settings.resamples, settings.level, settings.seed, settings.interval) == (
        file.bootstrap.resamples, file.bootstrap.level, file.bootstrap.seed,
        file.bootstrap.interval,
    )  # fmt: skip
    assert settings.target_half_width == file.target_half_width


def test_overrides_replace_values_and_none_keeps_the_files():
    settings = load_settings(resamples=50, seed=None, interval="percentile")
    assert (settings.resamples, settings.interval) == (50, "percentile")
    assert settings.seed == load_settings().seed


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"resamples": 1}, "bootstrap.resamples: 1"),
        ({"level": 0.0}, "bootstrap.level: 0.0"),
        ({"interval": "basic"}, "bootstrap.interval: 'basic' (one of percentile, bca)"),
        ({"target_half_width": -0.1}, "target_half_width: -0.1"),
    ],
)
def test_out_of_range_settings_name_the_key(override, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_settings(**override)
