"""The three contrasting examples rank the failure modes the way an expert expects."""

from __future__ import annotations

import pytest

from failmodes import load_profile, threat_model
from failmodes.catalog.schema import RISK_ORDER, RiskLevel
from tests.conftest import EXAMPLES

HIGH = RISK_ORDER.index(RiskLevel.HIGH)


@pytest.fixture(scope="module")
def models():
    return {
        name: threat_model(load_profile(EXAMPLES / f"{name}.yaml"))
        for name in ("shelf-product-recognition", "recommender", "fraud-detection")
    }


def top(model, n):
    return [m.id for m in model.applicable[:n]]


def at_least_high(model, mode_id):
    mode = model.get(mode_id)
    return mode.applicable and RISK_ORDER.index(mode.inherent.risk) >= HIGH


def test_camera_system(models):
    model = models["shelf-product-recognition"]
    # Cameras watch aisles anyone can walk into (a printed patch), the backbone was
    # fine-tuned from a downloaded model kept in torch pickles (a swapped file runs code),
    # and glare, blur and dirt are certain in stores.
    assert top(model, 3) == [
        "physical_adversarial_example",
        "supply_chain_attack",
        "common_corruption",
    ]
    for expected in top(model, 3):
        assert at_least_high(model, expected), expected
    # Internal, camera-fed, no personal data: the privacy and query attacks do not apply.
    for absent in (
        "membership_inference",
        "model_stealing",
        "reward_hacking",
        "perturbation_attack",
    ):
        assert not model.get(absent).applicable, absent


def test_recommender(models):
    model = models["recommender"]
    # It learns every hour from clicks anyone can fake, it optimises engagement as a proxy
    # for what people value, and its users and catalogue change every day.
    assert top(model, 3) == ["poisoning_attack", "reward_hacking", "distributional_shift"]
    for expected in top(model, 3):
        assert at_least_high(model, expected), expected
    assert not model.get("physical_adversarial_example").applicable
    assert not model.get("common_corruption").applicable


def test_fraud(models):
    model = models["fraud-detection"]
    # Fraudsters shape the transactions they send and merchants read back scores; chargeback
    # labels and a vendor feed flow into weekly retraining; any merchant account can query
    # the scoring API at volume.
    assert top(model, 3) == ["perturbation_attack", "poisoning_attack", "model_stealing"]
    for expected in top(model, 3):
        assert at_least_high(model, expected), expected
    assert not model.get("physical_adversarial_example").applicable
    assert not model.get("reward_hacking").applicable


def test_the_three_differ(models):
    tops = {name: tuple(top(m, 3)) for name, m in models.items()}
    assert len(set(tops.values())) == 3
    fives = [set(top(m, 5)) for m in models.values()]
    # Each top five holds a mode that is in neither of the others, and each leads differently.
    for i, five in enumerate(fives):
        others = set().union(*(f for j, f in enumerate(fives) if j != i))
        assert five - others, five
    assert len({m.applicable[0].id for m in models.values()}) == 3


def test_fully_stated_examples_rest_on_no_assumption(models):
    for model in models.values():
        assert not model.assumed_facts and not model.key_facts
        assert {m.confidence.value for m in model.applicable} == {"stated"}


def test_reasons_name_the_facts(models):
    mode = models["shelf-product-recognition"].get("physical_adversarial_example")
    facts = {r.fact for r in mode.reasons}
    assert "deployment.inputs_from" in facts
    not_applicable = models["fraud-detection"].get("physical_adversarial_example")
    assert any("physical_world_sensors" in r.text for r in not_applicable.reasons)


def test_decision_lowers_residual_and_stays_visible(models):
    mode = models["fraud-detection"].get("membership_inference")
    assert mode.decision is not None and mode.decision.decision.value == "mitigate"
    assert mode.residual is not None and mode.inherent is not None
    # Two mitigations in place lower likelihood by two.
    assert mode.residual.likelihood == max(1, mode.inherent.likelihood - 2)
    assert mode.residual.impact == mode.inherent.impact
    assert mode.applicable and not mode.needs_decision
