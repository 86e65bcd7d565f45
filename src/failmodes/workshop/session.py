"""A workshop session: walk the agenda, record what the team does with each mode, stop at any
point and resume where it stopped.

Everything lives in the register (its workshop tables, schema version 3): a session is the
system's unfinished workshop plus the agenda computed afresh from the register. Where it stopped
is the first item, in agenda order, that the workshop has not been through yet, so a session
stopped in a terminal and resumed in the browser (or the other way round) carries on at the
same mode. Every function returns a new :class:`Session`; nothing is held between calls but
the register, which is what lets a web app serve a session one request at a time.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from failmodes.store.records import StepOutcome, Workshop
from failmodes.store.register import Register
from failmodes.workshop.agenda import Agenda, AgendaItem, build_agenda
from failmodes.workshop.answers import decision_from_answers


class Session(BaseModel):
    """A workshop and its agenda as they stand."""

    model_config = ConfigDict(frozen=True)

    workshop: Workshop
    agenda: Agenda

    @property
    def system_id(self) -> str:
        return self.workshop.system_id

    @property
    def resumed(self) -> bool:
        """Whether the workshop had been through some modes before this session opened it."""
        return bool(self.workshop.steps)

    @property
    def remaining(self) -> list[AgendaItem]:
        """Items the workshop has not been through, in agenda order."""
        return [item for item in self.agenda.items if item.step is None]

    @property
    def next(self) -> AgendaItem | None:
        """Where the session stands: the first item not yet through, none when all are."""
        remaining = self.remaining
        return remaining[0] if remaining else None

    @property
    def done(self) -> bool:
        return not self.remaining

    def before(self, mode_id: str) -> AgendaItem | None:
        """The item before ``mode_id`` on the agenda (for going back), none at the first."""
        position = self.agenda.items.index(self.agenda.item(mode_id))
        return self.agenda.items[position - 1] if position else None

    def counts(self) -> dict[StepOutcome, int]:
        """How many modes the workshop decided, kept and skipped."""
        steps = [item.step for item in self.agenda.items if item.step is not None]
        return {o: sum(1 for s in steps if s.outcome == o) for o in StepOutcome}


def _session(register: Register, workshop: Workshop) -> Session:
    return Session(workshop=workshop, agenda=build_agenda(register, workshop.system_id, workshop))


def begin(register: Register, system: str, *, actor: str) -> Session:
    """Open the system's unfinished workshop where it stopped, or start one."""
    return _session(register, register.start_workshop(system, actor=actor))


def reload(register: Register, workshop_id: int) -> Session:
    """The session of workshop ``workshop_id`` as the register holds it now."""
    return _session(register, register.workshop(workshop_id))


def decide(
    register: Register,
    session: Session,
    mode_id: str,
    *,
    actor: str,
    decision: str,
    owner: str,
    rationale: str,
    due: str = "",
    mitigations: str = "",
    status: str = "",
    comment: str = "",
    seen_revision: int | None = None,
) -> Session:
    """Record the team's decision on ``mode_id`` from its answers (see
    :func:`~failmodes.workshop.answers.decision_from_answers`); refused with a
    :class:`~failmodes.errors.ConflictError` when someone changed that mode's decision after
    it was read: after this session read it, or after ``seen_revision`` (the revision a web
    form was rendered at, which the session rebuilt for the request has not seen)."""
    item = session.agenda.item(mode_id)
    record = decision_from_answers(
        item,
        decision=decision,
        owner=owner,
        rationale=rationale,
        due=due,
        mitigations=mitigations,
        status=status,
    )
    workshop = register.record_step(
        session.workshop.id,
        mode_id,
        StepOutcome.DECIDED,
        actor=actor,
        decision=record,
        expected_revision=item.revision if seen_revision is None else seen_revision,
        comment=comment,
    )
    return _session(register, workshop)


def keep(
    register: Register,
    session: Session,
    mode_id: str,
    *,
    actor: str,
    comment: str = "",
    seen_revision: int | None = None,
) -> Session:
    """Confirm the decision in place on ``mode_id`` as it is (as it was at ``seen_revision``,
    when given: see :func:`decide`)."""
    item = session.agenda.item(mode_id)
    workshop = register.record_step(
        session.workshop.id,
        mode_id,
        StepOutcome.KEPT,
        actor=actor,
        expected_revision=item.revision if seen_revision is None else seen_revision,
        comment=comment,
    )
    return _session(register, workshop)


def skip(
    register: Register, session: Session, mode_id: str, *, actor: str, comment: str = ""
) -> Session:
    """Pass ``mode_id`` over: it stays as it was (open, if undecided)."""
    session.agenda.item(mode_id)
    workshop = register.record_step(
        session.workshop.id, mode_id, StepOutcome.SKIPPED, actor=actor, comment=comment
    )
    return _session(register, workshop)


def finish(register: Register, session: Session, *, actor: str) -> Session:
    """Close the workshop; the register keeps its steps, and the next one starts afresh."""
    return _session(register, register.finish_workshop(session.workshop.id, actor=actor))
