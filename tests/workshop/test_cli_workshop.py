"""`failmodes workshop` driven in a real terminal: pexpect spawns the installed command on a
pseudo-terminal and answers its prompts as a person would, then the test reads the register.

Two sessions: a whole workshop on the diagnosis example with a real leaky assessment (bad
answers, going back, evidence on screen, the report at the end), and one stopped with Ctrl-C,
resumed, stopped with ``q`` and with Ctrl-D, resumed again. The whole one is then replayed
through the core API on a second register, and both registers must hold the same decisions:
what the web app (which uses the same core) records for the same answers.
"""

from __future__ import annotations

from pathlib import Path

import pexpect
import pytest

from failmodes.profile.schema import Decision
from failmodes.report.contract import to_json
from failmodes.store import RegisterDecision, open_register
from failmodes.store.records import StepOutcome
from failmodes.workshop import begin, decide, finish, skip
from tests.workshop.conftest import DIAGNOSIS, FRAUD
from tests.workshop.terminal import DECISION, STATUS, answer, decide_at_prompts, spawn

#: The answers of the whole session, in agenda order; None skips the mode.
PLAN: dict[str, dict[str, str] | None] = {
    "perturbation_attack": {
        "decision": "mitigate",
        "owner": "ana",
        "due": "2027-01-31",
        "status": "in_progress",
        "rationale": "inputs range-checked at the API",
        "mitigations": "range checks; adversarial training",
    },
    "model_stealing": {
        "decision": "accept",
        "owner": "bo",
        "due": "",
        "rationale": "clinicians only; the model has little resale value",
        "mitigations": "",
    },
    "distributional_shift": None,
    "membership_inference": {
        "decision": "mitigate",
        "owner": "privacy office",
        "due": "2027-02-28",
        "rationale": "the forest leaks: retrain with regularisation",
        "mitigations": "round scores",
    },
}


@pytest.fixture
def folder(tmp_path, leaky_assessment) -> Path:
    (tmp_path / "profile.yaml").write_text(DIAGNOSIS, encoding="utf-8")
    (tmp_path / "assessment.json").write_text(to_json(leaky_assessment), encoding="utf-8")
    return tmp_path


def test_a_whole_workshop_in_a_terminal(folder, tmp_path_factory):
    child = spawn(folder, "--assessment", "assessment.json", "--report", "report.md")
    child.expect(r"Workshop 1 on Breast-lesion malignancy triage: 10 failure modes apply")
    child.expect(r"1/10 · Perturbation attack \(perturbation_attack\)")
    child.expect(r"(?s)Questions to answer.*?A\.10 \(config\)")
    # a bad answer gets one line and the same prompt again
    answer(child, DECISION, "maybe")
    child.expect(r"decision 'maybe': type mitigate, accept, transfer or not_applicable")
    plan = PLAN["perturbation_attack"]
    answer(child, DECISION, "m")
    answer(child, r"Owner \[ana\]: ", "")
    answer(child, r"Due date \(YYYY-MM-DD, - for none\): ", "31/01/2027")
    child.expect(r"due date '31/01/2027': write it as YYYY-MM-DD")
    answer(child, r"Due date \(YYYY-MM-DD, - for none\): ", plan["due"])
    answer(child, STATUS, "started")
    child.expect(r"status 'started': type one of planned, in_progress, done")
    answer(child, STATUS, plan["status"])
    answer(child, r"Rationale: ", "")
    child.expect(r"rationale: a decision needs one")
    answer(child, r"Rationale: ", plan["rationale"])
    answer(child, r"Mitigations in place .*: ", plan["mitigations"])
    answer(child, r"Comment \(optional\): ", "range limits from the lab's instrument specs")

    child.expect(r"2/10 · Model stealing")
    # back to the first mode, which shows the decision just recorded; keep it
    answer(child, DECISION, "b")
    child.expect(r"(?s)1/10 · Perturbation attack.*?mitigate by ana, due 2027-01-31, in_progress")
    answer(child, r"Decision: .*\[k\]eep .*\[q\]uit \[k\]: ", "")
    child.expect(r"2/10 · Model stealing")
    decide_at_prompts(child, PLAN["model_stealing"])
    child.expect(r"3/10 · Distributional shift")
    answer(child, DECISION, "s")
    for rank in range(4, 10):
        child.expect(rf"{rank}/10 · ([^\n(]+) \((\w+)\)")
        mode = child.match.group(2)
        if mode == "membership_inference":
            # the leaky forest's measurement is on screen, against its threshold
            child.expect(r"(?s)Evidence.*?fail\s+mia_auc = 0\.\d+ \(fail above")
            decide_at_prompts(child, PLAN[mode])
        else:
            answer(child, DECISION, "s")
    child.expect(r"10/10 · ")
    answer(child, DECISION, "s")
    child.expect(r"Risk register: Breast-lesion malignancy triage")
    child.expect(r"Workshop 1 finished: 3 decided, 0 kept, 7 skipped\.")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0

    location = folder / "failmodes-register.sqlite"
    with open_register(location) as register:
        system = "breast-lesion-malignancy-triage"
        (workshop,) = register.workshops(system)
        assert workshop.finished and len(workshop.steps) == 10
        # went back to it and kept it: still decided by this workshop, at revision 1
        assert workshop.step("perturbation_attack").outcome == StepOutcome.DECIDED
        decisions = register.decisions(system)
        assert set(decisions) == {"perturbation_attack", "model_stealing", "membership_inference"}
        perturbation = decisions["perturbation_attack"]
        assert perturbation.owner == "ana" and perturbation.due.isoformat() == "2027-01-31"
        assert perturbation.mitigations == ["range checks", "adversarial training"]
        assert perturbation.revision == 1  # kept, not written again
        assert decisions["model_stealing"].owner == "bo" and decisions["model_stealing"].due is None
        aid = register.latest_assessment(system).id
        assert f"finding:{aid}#membership_inference/membership_inference/mia_auc" in [
            str(e) for e in decisions["membership_inference"].evidence
        ]
        assert [c.body for c in register.comments(system)] == [
            "range limits from the lab's instrument specs"
        ]
        # the decisions moved the risk in force; the report file says so too
        model = register.current(system)
        assert model.get("model_stealing").decision.decision.value == "accept"
        terminal = {m: d.content() for m, d in decisions.items()}
        assessment = register.assessment(aid)
    report = (folder / "report.md").read_text(encoding="utf-8")
    assert "Breast-lesion malignancy triage" in report and "accept" in report

    # the same answers through the core API give the same register
    other = tmp_path_factory.mktemp("core") / "register.sqlite"
    with open_register(other) as register:
        system = register.add_profile(DIAGNOSIS, actor="ana").system_id
        assert register.add_assessment(assessment, actor="ana").id == aid
        session = begin(register, system, actor="ana")
        for item in session.agenda.items:
            answers = PLAN.get(item.mode_id)
            if answers is None:
                session = skip(register, session, item.mode_id, actor="ana")
            else:
                session = decide(register, session, item.mode_id, actor="ana", **answers)
        finish(register, session, actor="ana")
        assert {m: d.content() for m, d in register.decisions(system).items()} == terminal


def test_a_workshop_stops_and_resumes_where_it_stopped(folder):
    child = spawn(folder)
    child.expect(r"1/10 · Perturbation attack")
    decide_at_prompts(child, PLAN["perturbation_attack"])
    child.expect(r"2/10 · Model stealing")
    answer(child, DECISION, "a")
    child.expect(r"Owner \[ana\]: ")
    child.sendintr()  # Ctrl-C half-way through a mode: that mode's answers are dropped
    child.expect(r"Stopped: 1 of 10 modes done; it resumes at 2\. Model stealing\.")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130

    child = spawn(folder)
    child.expect(r"Resuming workshop 1 on Breast-lesion malignancy triage \(started by ana\)")
    child.expect(r"2/10 · Model stealing")
    answer(child, DECISION, "s")
    child.expect(r"3/10 · Distributional shift")
    answer(child, DECISION, "q")
    child.expect(r"Stopped: 2 of 10 modes done; it resumes at 3\. Distributional shift\.")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0

    child = spawn(folder)
    child.expect(r"3/10 · Distributional shift")
    child.expect(DECISION)
    child.sendeof()  # Ctrl-D stops as q does
    child.expect(r"Stopped: 2 of 10 modes done")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0

    with open_register(folder / "failmodes-register.sqlite") as register:
        system = "breast-lesion-malignancy-triage"
        (workshop,) = register.workshops(system)
        assert not workshop.finished
        assert [(s.mode_id, s.outcome) for s in workshop.steps] == [
            ("perturbation_attack", StepOutcome.DECIDED),
            ("model_stealing", StepOutcome.SKIPPED),
        ]
        assert list(register.decisions(system)) == ["perturbation_attack"]


def test_a_missing_profile_is_one_line(tmp_path):
    child = spawn(tmp_path)
    child.expect(r"error: profile\.yaml: no such profile\.")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 2


def test_a_decision_made_elsewhere_meanwhile_is_shown_not_overwritten(folder):
    child = spawn(folder)
    child.expect(r"1/10 · Perturbation attack")
    answer(child, DECISION, "m")
    answer(child, r"Owner \[ana\]: ", "")
    answer(child, r"Due date .*: ", "")
    answer(child, STATUS, "")
    answer(child, r"Rationale: ", "input checks")
    answer(child, r"Mitigations in place .*: ", "")
    child.expect(r"Comment \(optional\): ")
    # while the team types, someone decides on the same mode (in the browser, say)
    with open_register(folder / "failmodes-register.sqlite") as register:
        system = "breast-lesion-malignancy-triage"
        register.decide(
            system,
            RegisterDecision(
                mode_id="perturbation_attack",
                decision=Decision.TRANSFER,
                owner="bo",
                rationale="the vendor carries it",
            ),
            actor="bo",
        )
    child.sendline("")
    child.expect(r"perturbation_attack: bo changed the decision .* nothing was written")
    child.expect(r"(?s)1/10 · Perturbation attack.*?transfer by bo")
    answer(child, r"Decision: .*\[k\]eep .*\[q\]uit \[k\]: ", "q")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    with open_register(folder / "failmodes-register.sqlite") as register:
        kept = register.decisions(system)["perturbation_attack"]
        assert (kept.decision, kept.owner, kept.revision) == (Decision.TRANSFER, "bo", 1)
        assert register.workshops(system)[0].steps == []


def test_an_assessment_of_another_system_is_refused(folder, monkeypatch, capsys):
    from failmodes.cli import main

    (folder / "fraud.yaml").write_text(FRAUD, encoding="utf-8")
    monkeypatch.chdir(folder)
    code = main(["workshop", "fraud.yaml", "--assessment", "assessment.json", "--actor", "ana"])
    err = " ".join(capsys.readouterr().err.split())
    assert code == 2
    assert (
        "assessment.json: an assessment of 'Breast-lesion malignancy triage', not of "
        "'Card-not-present fraud scoring'" in err
    )
    assert not (folder / "failmodes-register.sqlite").exists()  # refused before any write
