"""The risk register on SQLite and on PostgreSQL: versions, decisions, residual risk, history,
two writers at once, and input that tries to be SQL."""

from __future__ import annotations

import datetime

import pytest

from failmodes.errors import ConflictError, RegisterError
from failmodes.profile.loader import profile_from_text
from failmodes.profile.schema import Decision
from failmodes.store import ActionStatus, EvidenceLink, RegisterDecision, open_register
from failmodes.store.migrations import LATEST, schema_version
from failmodes.threatmodel import threat_model
from tests.store.conftest import FRAUD


def mitigate(mode: str, owner: str = "ana", **extra) -> RegisterDecision:
    return RegisterDecision(
        mode_id=mode,
        decision=Decision.MITIGATE,
        owner=owner,
        rationale="rate limit and rounded scores",
        mitigations=["rate limit per client", "scores rounded to 0.1"],
        **extra,
    )


def test_a_new_register_is_migrated_once(location):
    with open_register(location) as first:
        assert schema_version(first.db) == LATEST
    with open_register(location) as again:
        from failmodes.store.migrations import migrate

        assert migrate(again.db) == []  # nothing left to apply


def test_a_register_from_a_newer_failmodes_is_refused(location):
    with open_register(location) as register:
        register.db.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
            (LATEST + 1, "from the future", "2030-01-01"),
        )
    with pytest.raises(RegisterError, match=f"schema version {LATEST + 1}, newer"):
        open_register(location)


def test_profiles_are_versioned_by_content(register, fraud):
    assert fraud == "card-not-present-fraud-scoring"
    same = register.add_profile(FRAUD, actor="bo")
    assert same.version == 1 and same.created_by == "ana"  # unchanged text: no new version
    changed = FRAUD.replace("Scores every online card payment", "Scores every card payment")
    assert register.add_profile(changed, actor="bo").version == 2
    assert [v.version for v in register.profile_versions(fraud)] == [1, 2]
    assert register.profile_text(fraud, 1) == FRAUD
    assert register.profile(fraud).description.startswith("Scores every card payment")
    assert [(h.action, h.actor) for h in register.history(fraud)] == [
        ("add_system", "ana"),
        ("profile", "ana"),
        ("profile", "bo"),
    ]


def test_unknown_systems_and_modes_are_clear_errors(register, fraud):
    with pytest.raises(RegisterError, match="Did you mean card-not-present-fraud-scoring"):
        register.decisions("card-not-present-fraud-scorin")
    with pytest.raises(RegisterError, match="unknown failure mode id 'model_steeling'"):
        register.decide(fraud, mitigate("model_steeling"), actor="ana")


def test_residual_risk_follows_from_the_decision(register, fraud):
    before = {m.id: m for m in register.current(fraud).modes}
    assert before["model_stealing"].decision is None and before["model_stealing"].residual is None
    decision = mitigate("model_stealing", due=datetime.date(2027, 3, 1))
    register.decide(fraud, decision, actor="ana")
    after = {m.id: m for m in register.current(fraud).modes}["model_stealing"]
    # The engine's own answer for a profile that carries the same decision.
    profile = profile_from_text(FRAUD, source="fraud")
    profile = profile.model_copy(update={"decisions": {"model_stealing": decision.record()}})
    expected = {m.id: m for m in threat_model(profile).modes}["model_stealing"]
    assert after.residual == expected.residual
    assert after.residual.likelihood == before["model_stealing"].inherent.likelihood - 2
    assert after.decision.review_by == "2027-03-01"


def test_two_writers_keep_both_decisions(location, fraud):
    """Two users with their own connections: different modes both land; the same mode decided
    on a stale read is refused, and the first decision stands."""
    with open_register(location) as ana, open_register(location) as bo:
        seen_by_bo = bo.decisions(fraud).get("model_stealing")
        assert seen_by_bo is None
        ana.decide(fraud, mitigate("model_stealing"), actor="ana", expected_revision=0)
        bo.decide(fraud, mitigate("membership_inference", "bo"), actor="bo", expected_revision=0)
        accept = RegisterDecision(
            mode_id="model_stealing", decision=Decision.ACCEPT, owner="bo", rationale="low value"
        )
        with pytest.raises(ConflictError, match="ana changed the decision .* nothing was written"):
            bo.decide(fraud, accept, actor="bo", expected_revision=0)
        for view in (ana, bo):
            decided = view.decisions(fraud)
            assert {m: d.owner for m, d in decided.items()} == {
                "membership_inference": "bo",
                "model_stealing": "ana",
            }
        bo.decide(fraud, accept, actor="bo", expected_revision=1)  # after reading again
        assert ana.decisions(fraud)["model_stealing"].decision == Decision.ACCEPT
        changes = [h for h in ana.history(fraud, "model_stealing") if h.action == "decide"]
        assert [(h.actor, h.before is None) for h in changes] == [("ana", True), ("bo", False)]
        assert changes[1].before["decision"] == "mitigate"
        assert changes[1].after["decision"] == "accept"


def test_reopening_keeps_the_withdrawn_decision_in_history(register, fraud):
    register.decide(fraud, mitigate("model_stealing"), actor="ana")
    register.reopen(fraud, "model_stealing", actor="bo", expected_revision=1)
    assert "model_stealing" not in register.decisions(fraud)
    last = register.history(fraud, "model_stealing")[-1]
    assert (last.action, last.actor, last.before["owner"]) == ("reopen", "bo", "ana")
    with pytest.raises(RegisterError, match="no decision to withdraw"):
        register.reopen(fraud, "model_stealing", actor="bo")


def test_evidence_links_point_at_what_exists(register, fraud):
    model = threat_model(profile_from_text(FRAUD, source="fraud"))
    stored = register.add_assessment(model, actor="ana")
    assert register.add_assessment(model, actor="bo").id == stored.id  # same content, same id
    links = [
        EvidenceLink.parse(f"assessment:{stored.id}"),
        EvidenceLink.parse(f"finding:{stored.id}#model_stealing/model_stealing/surrogate_fidelity"),
        EvidenceLink.parse("sha256:" + "ab" * 32),
    ]
    saved = register.decide(
        fraud, mitigate("model_stealing", evidence=links, status=ActionStatus.DONE), actor="ana"
    )
    assert str(saved.evidence[0]) == f"assessment:{stored.id}"
    assert register.decisions(fraud)["model_stealing"].evidence == links
    with pytest.raises(RegisterError, match="no assessment 0123456789abcdef of"):
        register.decide(
            fraud,
            mitigate(
                "model_stealing", evidence=[EvidenceLink.parse("assessment:0123456789abcdef")]
            ),
            actor="ana",
        )
    with pytest.raises(RegisterError, match="is not a link"):
        EvidenceLink.parse("http://example.com/report")


def test_injection_attempts_are_stored_as_text(register):
    hostile = "Robert'); DROP TABLE decisions;--"
    text = FRAUD.replace("name: Card-not-present fraud scoring", f'name: "{hostile}"')
    sid = register.add_profile(text, actor="x' OR '1'='1").system_id
    assert register.system(sid).name == hostile
    script = "<script>alert('x')</script> ' OR 1=1; --"
    register.comment(sid, "model_stealing", script, actor="eve")
    register.decide(sid, mitigate("model_stealing", owner=hostile), actor="eve")
    assert register.comments(sid)[0].body == script
    assert register.decisions(sid)["model_stealing"].owner == hostile
    assert register.history(sid)[0].actor == "x' OR '1'='1"
    assert len(register.systems()) == 1  # no table was dropped, nothing else matched


def test_comments_are_bounded_and_not_blank(register, fraud):
    with pytest.raises(RegisterError, match="needs some text"):
        register.comment(fraud, None, "   ", actor="ana")
    with pytest.raises(RegisterError, match="at most 5,000 characters"):
        register.comment(fraud, None, "x" * 5001, actor="ana")


def test_the_register_location_must_make_sense(tmp_path):
    with pytest.raises(RegisterError, match="scheme 'mysql' is not supported"):
        open_register("mysql://db/x")
    with pytest.raises(RegisterError, match="folder for the register does not exist"):
        open_register(tmp_path / "missing" / "r.sqlite")
    (tmp_path / "notes.txt").write_text("not a database, just notes\n" * 100)
    with pytest.raises(RegisterError, match="not a register database"):
        open_register(tmp_path / "notes.txt")
    assert (tmp_path / "notes.txt").read_text().startswith("not a database")  # left alone
