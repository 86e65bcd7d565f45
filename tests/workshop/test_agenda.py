"""The agenda: the applicable modes in a stable risk order, each with why it applies, what to
watch, the evidence of the latest assessment and the questions that matter for it."""

from __future__ import annotations

import pytest

from failmodes.findings import Status
from failmodes.profile.schema import Decision
from failmodes.store import RegisterDecision
from failmodes.threatmodel import threat_model
from failmodes.workshop import build_agenda


def test_the_agenda_is_the_applicable_modes_by_inherent_risk(register, fraud):
    agenda = build_agenda(register, fraud)
    model = register.current(fraud)
    undecided = threat_model(register.profile(fraud).model_copy(update={"decisions": {}}))
    assert [i.mode_id for i in agenda.items] == [m.id for m in undecided.applicable]
    assert [i.rank for i in agenda.items] == list(range(1, len(model.applicable) + 1))
    # the profile's own decision lowers membership inference in the threat model, not here
    assert [m.id for m in model.applicable] != [m.id for m in undecided.applicable]
    from_profile = agenda.item("membership_inference")
    assert from_profile.decision is None and from_profile.revision == 0
    assert from_profile.profile_decision.owner == "privacy-office@example.com"
    assert agenda.items[0].profile_decision is None
    scores = [i.inherent.score for i in agenda.items]
    assert scores == sorted(scores, reverse=True)
    first = agenda.items[0]
    assert first.mode_id == "perturbation_attack" and first.inherent.risk.value == "critical"
    assert first.why and all(reason.text for reason in first.why)
    assert first.why == model.get("perturbation_attack").reasons
    assert [i.id for i in first.indicators] == [
        i.id for i in register.catalog.get("perturbation_attack").indicators
    ]
    # the questions of Microsoft's guidance that name the mode, in the guidance's order
    assert [q.id for q in first.questions] == ["A.10", "A.11", "A.12", "B.1", "B.3", "B.6", "C.9"]
    assert first.decision is None and first.revision == 0 and first.step is None
    assert agenda.assessment_id is None and first.evidence == [] and first.findings == []


def test_deciding_does_not_reshuffle_the_agenda(register, fraud):
    before = build_agenda(register, fraud)
    top = before.items[0].mode_id
    register.decide(
        fraud,
        RegisterDecision(
            mode_id=top, decision=Decision.NOT_APPLICABLE, owner="ana", rationale="no API"
        ),
        actor="ana",
    )
    # the threat model ranks an excluded mode last; the agenda keeps its place
    assert register.current(fraud).applicable[-1].id == top
    after = build_agenda(register, fraud)
    assert [i.mode_id for i in after.items] == [i.mode_id for i in before.items]
    assert after.items[0].decision.decision == Decision.NOT_APPLICABLE
    assert after.items[0].revision == 1 and after.items[0].in_force is None


def test_an_item_shows_the_findings_of_the_latest_assessment(register, diagnosis):
    system, aid = diagnosis
    agenda = build_agenda(register, system)
    assert agenda.assessment_id == aid
    item = agenda.item("membership_inference")
    measured = {f.metric: f for f in item.findings}
    # an overfit forest leaks its training records: the AUC fails its threshold
    assert measured["mia_auc"].status == Status.FAIL and measured["mia_auc"].value > 0.7
    refs = [str(link) for link in item.evidence]
    assert f"finding:{aid}#membership_inference/membership_inference/mia_auc" in refs
    # only findings that are evidence either way are linked (not the info-only ones)
    assert len(refs) == sum(
        1 for f in item.findings if f.status in (Status.PASS, Status.WARN, Status.FAIL)
    )
    untested = agenda.item("model_stealing")
    assert untested.findings == [] and untested.evidence == []
    assert untested.outcome.value == "not tested" and untested.mode.untested_reason
    with pytest.raises(KeyError, match="reward_hacking is not on the agenda"):
        agenda.item("reward_hacking")
