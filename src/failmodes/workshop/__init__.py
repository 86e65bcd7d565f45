"""The guided threat-modeling workshop: an agenda of the failure modes that apply to a system,
in risk order, and a session over it that records the team's decisions in the risk register
and can be stopped and resumed.

It is the one core under both front ends, ``failmodes workshop`` in a terminal and the
walk-through page of ``failmodes serve``: pure functions of the register and its catalog, with
no terminal or web code, so the same decisions give the same register from either.

::

    from failmodes.store import open_register
    from failmodes.workshop import begin, decide, finish, skip

    with open_register("failmodes-register.sqlite") as register:
        session = begin(register, "fraud-detection", actor="ana")
        while (item := session.next) is not None:
            print(item.rank, item.name, [r.text for r in item.why], item.questions)
            session = decide(register, session, item.mode_id, actor="ana",
                             decision="mitigate", owner="ana", rationale="rate limits")
        session = finish(register, session, actor="ana")
"""

from failmodes.workshop.agenda import Agenda, AgendaItem, build_agenda, evidence_links
from failmodes.workshop.answers import (
    decision_from_answers,
    parse_decision,
    parse_due,
    parse_mitigations,
    parse_status,
)
from failmodes.workshop.session import Session, begin, decide, finish, keep, reload, skip

__all__ = [
    "Agenda",
    "AgendaItem",
    "Session",
    "begin",
    "build_agenda",
    "decide",
    "decision_from_answers",
    "evidence_links",
    "finish",
    "keep",
    "parse_decision",
    "parse_due",
    "parse_mitigations",
    "parse_status",
    "reload",
    "skip",
]
