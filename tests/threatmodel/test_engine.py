"""The engine: rules, factors, decisions, overlays acting on the threat model."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from failmodes import load_catalog, load_profile, profile_from_dict, threat_model
from failmodes.errors import CatalogError, UnknownIdError
from failmodes.findings import Finding, Status
from tests.conftest import EXAMPLES

FRAUD = EXAMPLES / "fraud-detection.yaml"


def write(tmp_path: Path, data: object, name: str) -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def custom_mode() -> dict:
    return {
        "id": "score_leakage_via_logs",
        "name": "Score leakage through merchant logs",
        "kind": "intentional",
        "summary": "Merchants keep raw fraud scores in logs that third parties can read.",
        "example": "A payment processor's debug logs expose every score with the card number.",
        "violates": ["confidentiality"],
        "breaks_access_control": True,
        "attacker": {
            "access": ["software_stack"],
            "knowledge": ["black_box"],
            "summary": "Read access to a merchant's log pipeline.",
        },
        "lifecycle": ["deployment"],
        "impacts": ["Scores reveal which cards the model distrusts."],
        "indicators": [
            {
                "id": "scores_in_logs",
                "name": "Scores in logs",
                "description": "Log lines that hold a score.",
            }
        ],
        "mitigations": [{"id": "strip_scores", "summary": "Strip scores before logging."}],
        "references": [
            {
                "title": "Internal guideline 7",
                "authors": "Contoso security",
                "venue": "Contoso",
                "year": 2026,
            }
        ],
        "severity": {"default": "important", "rationale": "Contoso rates data exposure important."},
        "applicability": {"fact": "deployment.outputs", "any_of": ["scores"]},
        "likelihood": {"base": 4},
    }


def test_overlay_adds_retires_and_changes_the_matrix(tmp_path):
    profile = load_profile(FRAUD)
    before = threat_model(profile)
    overlay = write(
        tmp_path,
        {
            "name": "contoso",
            "add": [custom_mode()],
            "retire": [{"id": "model_stealing", "reason": "Scores never leave our network."}],
            "risk": {
                "matrix": [["low"] * 5] * 4 + [["low", "low", "low", "medium", "medium"]],
                "tolerance": "low",
            },
        },
        "contoso.yaml",
    )
    after = threat_model(profile, load_catalog([overlay]))

    added = after.get("score_leakage_via_logs")
    assert added.applicable and added.mode.source == "contoso"
    assert added.inherent is not None and added.inherent.likelihood == 4

    retired = after.get("model_stealing")
    assert before.get("model_stealing").applicable
    assert not retired.applicable and retired.retired == "Scores never leave our network."
    assert "Retired by contoso" in retired.reasons[0].text

    # The new matrix rates everything below likelihood 5 low.
    assert {m.inherent.risk.value for m in after.applicable if m.inherent.likelihood < 5} == {"low"}
    assert any(m.inherent.risk.value in ("high", "critical") for m in before.applicable)
    assert after.risk_policy.tolerance.value == "low"
    assert len(after.modes) == len(before.modes) + 1


def test_overlay_rule_with_unknown_fact_is_refused(tmp_path):
    bad = custom_mode()
    bad["applicability"] = {"fact": "deployment.exposur", "in": ["public"]}
    catalog = load_catalog([write(tmp_path, {"name": "bad", "add": [bad]}, "bad.yaml")])
    with pytest.raises(CatalogError, match="deployment.exposur"):
        threat_model(load_profile(FRAUD), catalog)


def test_overlay_rule_with_impossible_value_is_refused(tmp_path):
    bad = custom_mode()
    bad["applicability"] = {"fact": "deployment.exposure", "in": ["pubic"]}
    catalog = load_catalog([write(tmp_path, {"name": "bad", "add": [bad]}, "bad.yaml")])
    with pytest.raises(CatalogError, match="cannot be 'pubic'"):
        threat_model(load_profile(FRAUD), catalog)


def test_likelihood_factors_follow_the_facts():
    base = {
        "name": "x",
        "training_data": {"personal_data": True},
        "deployment": {
            "exposure": "public",
            "outputs": ["label"],
            "query_limits": {"rate_limited": True},
        },
    }
    quiet = threat_model(profile_from_dict(base)).get("membership_inference")
    loud = dict(
        base,
        deployment={
            "exposure": "public",
            "outputs": ["scores"],
            "query_limits": {"rate_limited": False},
        },
    )
    noisy = threat_model(profile_from_dict(loud)).get("membership_inference")
    assert quiet.inherent and noisy.inherent
    # Scores add one and a missing rate limit removes the −1.
    assert noisy.inherent.likelihood == quiet.inherent.likelihood + 2
    reasons = [f.reason for f in noisy.likelihood_factors]
    assert any("scores" in r for r in reasons)


def test_assumed_facts_are_listed_and_marked():
    model = threat_model(profile_from_dict({"name": "bare"}))
    assert model.assumed_facts["deployment.exposure"] == "public"
    mode = model.get("membership_inference")
    assert mode.applicable and "deployment.exposure" in mode.assumed_facts


def test_accepted_risk_stays_visible_with_its_reason():
    data = {
        "name": "x",
        "decisions": {
            "model_stealing": {
                "decision": "accept",
                "owner": "cto",
                "rationale": "The model is cheap to rebuild.",
            }
        },
    }
    mode = threat_model(profile_from_dict(data)).get("model_stealing")
    assert mode.applicable and mode.decision is not None
    assert mode.decision.rationale == "The model is cheap to rebuild."
    assert mode.residual == mode.inherent and not mode.needs_decision


def test_not_applicable_decision_sorts_last_among_applicable():
    data = {
        "name": "x",
        "decisions": {
            "poisoning_attack": {
                "decision": "not_applicable",
                "owner": "ml lead",
                "rationale": "Frozen model, no retraining.",
            }
        },
    }
    model = threat_model(profile_from_dict(data))
    mode = model.get("poisoning_attack")
    assert mode.residual is None and mode.decision is not None
    assert model.applicable[-1].id == "poisoning_attack"


def test_unknown_decision_id_is_an_error():
    with pytest.raises(UnknownIdError, match="model_stealin"):
        threat_model(
            profile_from_dict(
                {
                    "name": "x",
                    "decisions": {
                        "model_stealin": {"decision": "accept", "owner": "a", "rationale": "b"}
                    },
                }
            )
        )


def test_needs_decision_above_tolerance():
    model = threat_model(load_profile(FRAUD))
    open_high = [m for m in model.applicable if m.needs_decision]
    assert open_high and all(m.decision is None for m in open_high)
    assert all(m.inherent.risk.value in ("high", "critical") for m in open_high)


def test_profile_can_set_its_own_tolerance():
    model = threat_model(profile_from_dict({"name": "x", "risk": {"tolerance": "critical"}}))
    assert model.risk_policy.tolerance.value == "critical"
    assert not any(m.needs_decision for m in model.modes)


def _finding(status: Status, value: float) -> Finding:
    return Finding(
        failure_mode="membership_inference",
        probe="membership_inference",
        metric="mia_auc",
        value=value,
        status=status,
    )


def test_measured_evidence_moves_likelihood():
    profile = load_profile(EXAMPLES / "recommender.yaml")
    paper = threat_model(profile).get("membership_inference")
    leaked = threat_model(profile, findings=[_finding(Status.FAIL, 0.8)]).get(
        "membership_inference"
    )
    safe = threat_model(profile, findings=[_finding(Status.PASS, 0.5)]).get("membership_inference")
    assert paper.inherent and leaked.inherent and safe.inherent
    assert leaked.inherent.likelihood == min(5, paper.inherent.likelihood + 1)
    assert safe.inherent.likelihood == max(1, paper.inherent.likelihood - 1)
    assert leaked.tested and not paper.tested
    assert leaked.likelihood_factors[-1].source == "evidence"
    assert "mia_auc=0.8" in leaked.likelihood_factors[-1].reason


def test_same_inputs_same_threat_model():
    profile = load_profile(FRAUD)
    assert threat_model(profile).model_dump() == threat_model(profile).model_dump()
