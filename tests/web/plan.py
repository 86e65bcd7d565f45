"""One workshop's answers, the terminal's way of giving them, and the register they should make.

The same answers are given through the workshop core (what ``failmodes workshop`` runs in a
terminal) and through the web app (forms over HTTP, or a real browser); both registers are then
exported and compared. Only what storage assigns differs and is set aside: timestamps, and the
workshop's serial id (a register that held other workshops numbers its next one higher).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pexpect

from failmodes.store import Register
from failmodes.store.exchange import export_data
from failmodes.workshop import begin, decide, finish, skip
from tests.workshop.terminal import DECISION, answer, decide_at_prompts, spawn

#: Answers per mode, as typed in the terminal; modes not named here are skipped.
PLAN: dict[str, dict[str, str]] = {
    "perturbation_attack": {
        "decision": "mitigate",
        "owner": "ana",
        "due": "2027-01-31",
        "status": "in_progress",
        "rationale": "feature ranges are checked at the API",
        "mitigations": "range checks\nadversarial training",
        "comment": "ranges from the card network's spec <b>v3</b>",
    },
    "model_stealing": {
        "decision": "accept",
        "owner": "bo",
        "due": "",
        "status": "planned",
        "rationale": "scores are coarse and merchants are contracted",
        "mitigations": "",
        "comment": "",
    },
    "membership_inference": {
        "decision": "transfer",
        "owner": "privacy office",
        "due": "2027-02-28",
        "status": "planned",
        "rationale": "the privacy office owns the DP retraining",
        "mitigations": "round scores",
        "comment": "",
    },
    "incomplete_testing": {
        "decision": "not_applicable",
        "owner": "ana",
        "due": "",
        "status": "done",
        "rationale": "release tests cover every segment",
        "mitigations": "",
        "comment": "",
    },
}

_TIMES = {"at", "created_at", "updated_at", "started_at", "finished_at"}
_WORKSHOP = re.compile(r"\bworkshop \d+\b")


def in_core(register: Register, system: str, actor: str) -> None:
    """The whole workshop through the core, as the terminal runs it."""
    session = begin(register, system, actor=actor)
    for item in session.agenda.items:
        answers = PLAN.get(item.mode_id)
        if answers is None:
            session = skip(register, session, item.mode_id, actor=actor)
        else:
            session = decide(register, session, item.mode_id, actor=actor, **answers)
    finish(register, session, actor=actor)


def in_terminal(folder: Path, register: Path, profile: str = "profile.yaml") -> None:
    """The whole workshop typed into ``failmodes workshop`` on a real pseudo-terminal: each
    mode of the plan decided at its prompts (mitigations separated by ``;``, as typed there),
    every other mode skipped."""
    child = spawn(folder, "--register", str(register), profile=profile)
    child.expect(r"Workshop \d+ on .*: (\d+) failure modes apply")
    total = int(child.match.group(1))
    for rank in range(1, total + 1):
        child.expect(rf"{rank}/{total} · [^\n(]+ \((\w+)\)")
        answers = PLAN.get(child.match.group(1))
        if answers is None:
            answer(child, DECISION, "s")
        else:
            typed = {**answers, "mitigations": "; ".join(answers["mitigations"].splitlines())}
            decide_at_prompts(child, typed)
    child.expect(r"Workshop \d+ finished")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before


def normalized(value: Any) -> Any:
    """An export with what storage assigns set aside (times, workshop ids)."""
    if isinstance(value, dict):
        return {k: normalized(v) for k, v in value.items() if k not in _TIMES and k != "workshop"}
    if isinstance(value, list):
        return [normalized(v) for v in value]
    if isinstance(value, str):
        return _WORKSHOP.sub("workshop N", value)
    return value


def register_of(register: Register, system: str) -> Any:
    return normalized(export_data(register, [system]))
