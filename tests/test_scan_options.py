"""Probe options: one flat dict from the command line, namespaced per probe."""

from __future__ import annotations

import pytest

from failmodes.assessment.scan import options_for
from failmodes.cli.scan import parse_option
from failmodes.errors import InputError


def test_plain_keys_reach_every_probe_and_namespaced_keys_one():
    options = {
        "epsilon": 0.2,
        "membership_inference.shadow_models": 4,
        "poisoning_attack.epsilon": 9,
    }
    assert options_for("membership_inference", options) == {"epsilon": 0.2, "shadow_models": 4}
    assert options_for("poisoning_attack", options) == {"epsilon": 9}
    assert options_for("model_stealing", options) == {"epsilon": 0.2}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("shadow_models=16", ("shadow_models", 16)),
        ("perturbation_attack.epsilon=0.25", ("perturbation_attack.epsilon", 0.25)),
        ("model_stealing.query_source=synthetic", ("model_stealing.query_source", "synthetic")),
        ("flag=true", ("flag", True)),
    ],
)
def test_values_are_typed_scalars(text, expected):
    assert parse_option(text) == expected


@pytest.mark.parametrize("text", ["novalue", "=3", "bad key=1", "x=[1, 2]", "a..b=1"])
def test_malformed_options_are_input_errors(text):
    with pytest.raises(InputError, match="--option"):
        parse_option(text)
