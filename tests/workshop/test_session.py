"""A workshop session in the register: record, stop, resume where it stopped, go back,
conflicts with another writer, bad answers, and finishing — on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from failmodes.errors import ConflictError, RegisterError
from failmodes.profile.schema import Decision
from failmodes.store import RegisterDecision, open_register
from failmodes.store.records import StepOutcome
from failmodes.workshop import begin, decide, finish, keep, reload, skip

ANSWERS = {
    "decision": "mitigate",
    "owner": "ana",
    "rationale": "inputs are range-checked",
    "due": "2027-03-31",
    "mitigations": "range checks; adversarial training",
}


def test_a_stopped_session_resumes_where_it_stopped(location, fraud):
    with open_register(location) as register:
        session = begin(register, fraud, actor="ana")
        assert not session.resumed and session.next.rank == 1
        first, second, third = (i.mode_id for i in session.agenda.items[:3])
        session = decide(register, session, first, actor="ana", **ANSWERS, comment="see ticket")
        session = skip(register, session, second, actor="ana")
        workshop_id = session.workshop.id
    # a new process (a new connection) opens the same workshop at the third mode
    with open_register(location) as register:
        resumed = begin(register, fraud, actor="bo")
        assert resumed.workshop.id == workshop_id and resumed.resumed
        assert resumed.workshop.started_by == "ana"
        assert resumed.next.mode_id == third
        assert resumed.agenda.item(first).step.outcome == StepOutcome.DECIDED
        assert resumed.agenda.item(second).step.outcome == StepOutcome.SKIPPED
        saved = register.decisions(fraud)[first]
        assert saved.decision == Decision.MITIGATE and saved.due.isoformat() == "2027-03-31"
        assert saved.mitigations == ["range checks", "adversarial training"]
        assert [c.body for c in register.comments(fraud, first)] == ["see ticket"]
        assert second not in register.decisions(fraud)  # skipped: still open
        assert resumed.counts() == {
            StepOutcome.DECIDED: 1,
            StepOutcome.KEPT: 0,
            StepOutcome.SKIPPED: 1,
        }
        assert [h.action for h in register.history(fraud)][-5:] == [
            "workshop_start",
            "decide",
            "comment",
            "workshop_step",
            "workshop_step",
        ]


def test_going_back_replaces_the_step_and_keeps_the_history(register, fraud):
    session = begin(register, fraud, actor="ana")
    first = session.next.mode_id
    session = decide(register, session, first, actor="ana", **ANSWERS)
    assert session.before(session.next.mode_id).mode_id == first
    assert session.before(first) is None
    again = {**ANSWERS, "decision": "accept", "rationale": "low value to an attacker"}
    session = decide(register, session, first, actor="bo", **again)
    assert [s.mode_id for s in session.workshop.steps] == [first]  # one step per mode
    saved = register.decisions(fraud)[first]
    assert saved.decision == Decision.ACCEPT and saved.revision == 2 and saved.updated_by == "bo"
    decided = [h for h in register.history(fraud, first) if h.action == "decide"]
    assert [h.after["decision"] for h in decided] == ["mitigate", "accept"]
    # going back and keeping (or skipping) it leaves it decided by this workshop
    session = keep(register, session, first, actor="ana")
    session = skip(register, session, first, actor="ana")
    assert session.agenda.item(first).step.outcome == StepOutcome.DECIDED
    assert register.decisions(fraud)[first].revision == 2


def test_keeping_a_decision_made_before_the_workshop(register, fraud):
    session = begin(register, fraud, actor="ana")
    second = session.agenda.items[1].mode_id
    register.decide(
        fraud,
        RegisterDecision(mode_id=second, decision=Decision.ACCEPT, owner="bo", rationale="low"),
        actor="bo",
    )
    session = reload(register, session.workshop.id)
    assert session.agenda.item(second).revision == 1
    session = keep(register, session, second, actor="ana")
    assert session.agenda.item(second).step.outcome == StepOutcome.KEPT
    assert session.counts()[StepOutcome.KEPT] == 1
    assert register.decisions(fraud)[second].revision == 1  # confirmed, not written again


def test_a_decision_changed_meanwhile_is_not_overwritten(location, fraud):
    with open_register(location) as ours, open_register(location) as theirs:
        session = begin(ours, fraud, actor="ana")
        mode = session.next.mode_id
        theirs.decide(
            fraud,
            RegisterDecision(mode_id=mode, decision=Decision.TRANSFER, owner="bo", rationale="x"),
            actor="bo",
        )
        with pytest.raises(ConflictError, match="bo changed the decision"):
            decide(ours, session, mode, actor="ana", **ANSWERS)
        with pytest.raises(ConflictError):
            keep(ours, session, mode, actor="ana")
        # nothing of ours was written: their decision stands, and the mode has no step
        assert ours.decisions(fraud)[mode].decision == Decision.TRANSFER
        fresh = reload(ours, session.workshop.id)
        assert fresh.next.mode_id == mode and fresh.agenda.item(mode).revision == 1
        fresh = decide(ours, fresh, mode, actor="ana", **ANSWERS)
        assert ours.decisions(fraud)[mode].revision == 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"decision": "maybe"}, "decision 'maybe': type mitigate, accept, transfer"),
        ({"due": "next week"}, "due date 'next week': write it as YYYY-MM-DD"),
        ({"owner": "  "}, "owner: a decision needs one"),
        ({"rationale": ""}, "rationale: a decision needs one"),
    ],
)
def test_bad_answers_are_refused_and_write_nothing(register, fraud, change, message):
    session = begin(register, fraud, actor="ana")
    mode = session.next.mode_id
    with pytest.raises(RegisterError, match=message):
        decide(register, session, mode, actor="ana", **{**ANSWERS, **change})
    assert mode not in register.decisions(fraud)
    assert reload(register, session.workshop.id).workshop.steps == []


def test_a_step_is_one_transaction(register, fraud):
    """A comment the register refuses takes the decision of the same step with it."""
    session = begin(register, fraud, actor="ana")
    mode = session.next.mode_id
    with pytest.raises(RegisterError, match="at most 5,000 characters"):
        decide(register, session, mode, actor="ana", **ANSWERS, comment="x" * 5001)
    assert mode not in register.decisions(fraud)
    assert reload(register, session.workshop.id).workshop.steps == []
    with pytest.raises(RegisterError, match="no decision to keep"):
        keep(register, session, mode, actor="ana")


def test_a_finished_workshop_is_closed_and_the_next_starts_afresh(register, fraud):
    session = begin(register, fraud, actor="ana")
    for item in session.agenda.items:
        session = skip(register, session, item.mode_id, actor="ana")
    assert session.done and session.next is None
    session = finish(register, session, actor="ana")
    assert session.workshop.finished
    with pytest.raises(RegisterError, match="finished at"):
        skip(register, session, session.agenda.items[0].mode_id, actor="ana")
    following = begin(register, fraud, actor="bo")
    assert following.workshop.id != session.workshop.id and not following.resumed
    assert following.next.rank == 1
    assert [w.id for w in register.workshops(fraud)] == [session.workshop.id, following.workshop.id]
    last = [h for h in register.history(fraud) if h.action == "workshop_finish"][-1]
    assert last.after == {
        "workshop": session.workshop.id,
        "decided": 0,
        "kept": 0,
        "skipped": len(session.agenda.items),
    }


def test_a_decision_carries_the_findings_it_was_made_on(register, diagnosis):
    system, aid = diagnosis
    session = begin(register, system, actor="ana")
    decide(register, session, "membership_inference", actor="ana", **ANSWERS)
    saved = register.decisions(system)["membership_inference"]
    refs = [str(e) for e in saved.evidence]
    assert f"finding:{aid}#membership_inference/membership_inference/mia_auc" in refs
    assert all(r.startswith(f"finding:{aid}#membership_inference/") for r in refs)


def test_workshops_travel_with_an_export(register, fraud, tmp_path):
    from failmodes.store.exchange import export_text, import_data, read_export

    done = begin(register, fraud, actor="ana")
    for item in done.agenda.items:
        done = skip(register, done, item.mode_id, actor="ana")
    finish(register, done, actor="ana")
    open_one = begin(register, fraud, actor="bo")
    first = open_one.next.mode_id
    decide(register, open_one, first, actor="bo", **ANSWERS)
    text = export_text(register, "yaml")
    (tmp_path / "register.yaml").write_text(text, encoding="utf-8")
    with open_register(tmp_path / "copy.sqlite") as copy:
        assert import_data(copy, read_export(tmp_path / "register.yaml"), source="x") == [fraud]
        assert export_text(copy, "yaml") == text
        finished, unfinished = copy.workshops(fraud)
        assert finished.finished and len(finished.steps) == len(done.agenda.items)
        # the copy resumes the open workshop where it stopped
        resumed = begin(copy, fraud, actor="cy")
        assert resumed.workshop.id == unfinished.id and resumed.resumed
        assert resumed.agenda.item(first).step.outcome == StepOutcome.DECIDED
        assert resumed.next.rank == 2


def test_two_people_starting_at_once_share_one_workshop(location, fraud):
    """Both open the system's workshop in the same instant: the register makes one, and each
    gets it (the system's row is locked while the first is made)."""
    import threading

    barrier = threading.Barrier(4)
    ids: list[int] = []

    def start(actor: str) -> None:
        with open_register(location) as register:
            barrier.wait()
            ids.append(register.start_workshop(fraud, actor=actor).id)

    threads = [threading.Thread(target=start, args=(f"user{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(ids) == 4 and len(set(ids)) == 1
    with open_register(location) as register:
        assert len(register.workshops(fraud)) == 1
