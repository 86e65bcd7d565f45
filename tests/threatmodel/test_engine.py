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


def test_likelihood_starts_at_the_hardest_step_of_the_attack_path():
    base = {
        "name": "x",
        "deployment": {
            "exposure": "public",
            "outputs": ["label"],
            "query_limits": {"rate_limited": True},
        },
        "model": {"ip_value": "medium"},
    }
    quiet = threat_model(profile_from_dict(base)).get("model_stealing")
    loud = dict(
        base,
        deployment={
            "exposure": "public",
            "outputs": ["scores"],
            "query_limits": {"rate_limited": False},
        },
    )
    noisy = threat_model(profile_from_dict(loud)).get("model_stealing")
    assert quiet.inherent and noisy.inherent
    # Labels make the signal step moderate (3), the weakest link, and the rate limit takes
    # one off; with scores the hardest step is training the copy (easy, 4).
    assert [s.ease for s in quiet.path] == [5, 3, 4]
    assert quiet.inherent.likelihood == 2
    assert [s.ease for s in noisy.path] == [5, 5, 4]
    assert noisy.inherent.likelihood == 4
    start = noisy.likelihood_factors[0]
    assert start.source == "path" and "train a working copy" in start.reason
    assert all(s.source for s in noisy.path)


def test_assumed_facts_are_listed_and_marked():
    model = threat_model(profile_from_dict({"name": "bare"}))
    assert model.assumed_facts["deployment.exposure"] == "public"
    mode = model.get("membership_inference")
    assert mode.applicable and mode.confidence.value == "assumed"
    assert "deployment.exposure" in mode.assumptions
    assert mode.could_be and "deployment.exposure = public" in mode.could_be


def test_a_guess_never_outranks_a_stated_risk():
    # Only the exposure is stated; model stealing's query access rests on it, while
    # poisoning rests on assumed training-data sources and feedback loops.
    model = threat_model(profile_from_dict({"name": "api", "deployment": {"exposure": "public"}}))
    stealing, poisoning = model.get("model_stealing"), model.get("poisoning_attack")
    assert poisoning.potential is not None and stealing.inherent is not None
    # With every default assumed, poisoning would be the bigger risk …
    assert poisoning.potential.score > stealing.inherent.score
    # … but it ranks below, on what the owner actually said.
    order = [m.id for m in model.applicable]
    assert order.index("model_stealing") < order.index("poisoning_attack")
    assert poisoning.inherent is not None and poisoning.inherent.likelihood == 1
    assert "training_data.sources" in poisoning.assumptions
    for m in model.applicable:
        assert m.inherent is not None
        assert m.potential is None or m.potential.score > m.inherent.score
    # Ranked: never a lower stated score above a higher one.
    scores = [m.inherent.score for m in model.applicable if m.inherent]
    assert scores == sorted(scores, reverse=True)


def test_key_facts_say_what_stating_them_would_change():
    model = threat_model(profile_from_dict({"name": "bare"}))
    assert len(model.key_facts) == 3
    shifts = [k.shift for k in model.key_facts]
    assert shifts == sorted(shifts, reverse=True) and shifts[0] > 0
    first = model.key_facts[0]
    # State that one fact at its assumed value: the scores move by exactly the shift claimed.
    section, _, field = first.fact.rpartition(".")
    data: dict[str, object] = {"name": "bare"}
    node = data
    for part in section.split("."):
        node = node.setdefault(part, {})  # type: ignore[assignment]
    node[field] = first.assumed  # type: ignore[index]
    after = threat_model(profile_from_dict(data))

    def score(m):
        return m.inherent.score if m.applicable and m.inherent else 0

    moved = sum(abs(score(after.get(m.id)) - score(m)) for m in model.modes)
    assert moved == first.shift
    assert first.fact not in after.assumed_facts


def test_an_overlay_changes_one_step_of_a_path(tmp_path):
    # Contoso serves labels from a private network only: its policy says query access to
    # a model on it is hard, whatever the exposure says.
    overlay = write(
        tmp_path,
        {
            "name": "contoso",
            "override": {
                "model_stealing": {
                    "likelihood": {
                        "path": [
                            {
                                "id": "query_access",
                                "need": "access",
                                "summary": "Query the model at volume.",
                                "routes": [
                                    {
                                        "ease": 2,
                                        "reason": "Every caller is a vetted partner.",
                                        "source": "Contoso guideline 4",
                                    }
                                ],
                            }
                        ]
                    }
                }
            },
        },
        "contoso.yaml",
    )
    profile = load_profile(FRAUD)
    mode = threat_model(profile, load_catalog([overlay])).get("model_stealing")
    assert [s.id for s in mode.path] == ["query_access", "signal", "copy"]
    assert mode.path[0].ease == 2 and mode.path[0].source == "Contoso guideline 4"
    assert mode.inherent is not None and mode.inherent.likelihood == 2
    assert threat_model(profile).get("model_stealing").inherent.likelihood == 4


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
