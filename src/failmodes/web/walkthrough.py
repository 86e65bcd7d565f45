"""The walk-through: a threat-modeling workshop in the browser, one failure mode at a time.

It is a front end of :mod:`failmodes.workshop`, the core ``failmodes workshop`` runs in a
terminal: the same agenda (applicable modes in risk order, why each applies, its indicators,
evidence and review questions), the same answers made into the same decisions, the same
workshop record that a session stopped in one front end resumes from in the other.

Reading never changes anything: a page shows the system's unfinished workshop if it has one,
else the agenda alone, and the first decision starts the workshop. Each form carries the
revision of the decision its reader saw; when someone else changed that mode in between, the
write is refused (409), the page shows their decision next to the reader's answers, kept as
typed, and saving again then records the reader's answers on top of theirs, so neither is lost
(both stay in the history).
"""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response

from failmodes.errors import ConflictError, RegisterError
from failmodes.profile.schema import Decision
from failmodes.store import ActionStatus, Register
from failmodes.store.records import RegisterDecision
from failmodes.web.accounts import Role
from failmodes.web.app import Context, page
from failmodes.workshop import (
    AgendaItem,
    Session,
    begin,
    build_agenda,
    decide,
    finish,
    keep,
    reload,
    skip,
)
from failmodes.workshop.agenda import Agenda

#: The answers a decision form holds, as the terminal workshop asks for them.
FIELDS = ("decision", "owner", "due", "status", "rationale", "mitigations", "comment")


def _open_session(register: Register, system: str) -> Session | None:
    """The system's unfinished workshop, without starting one."""
    unfinished = [w for w in register.workshops(system) if not w.finished]
    return reload(register, unfinished[-1].id) if unfinished else None


def _answers(decision: RegisterDecision | None) -> dict[str, str]:
    """A decision's fields as the form shows them (empty when there is none)."""
    if decision is None:
        return {name: "" for name in FIELDS}
    return {
        "decision": decision.decision.value,
        "owner": decision.owner,
        "due": decision.due.isoformat() if decision.due else "",
        "status": decision.status.value,
        "rationale": decision.rationale,
        "mitigations": "\n".join(decision.mitigations),
        "comment": "",
    }


def _show(
    ctx: Context,
    agenda: Agenda,
    session: Session | None,
    item: AgendaItem | None,
    *,
    status: int = 200,
    answers: dict[str, str] | None = None,
    revision: int | None = None,
    problem: str | None = None,
    conflict: str | None = None,
) -> Response:
    sid = agenda.system_id
    return ctx.render(
        "walk.html.j2",
        status,
        system=ctx.system(sid),
        agenda=agenda,
        workshop=session,
        item=item,
        comments=ctx.register.comments(sid, item.mode_id) if item else [],
        answers=answers if answers is not None else _answers(item.decision if item else None),
        revision=revision if revision is not None else (item.revision if item else 0),
        problem=problem,
        conflict=conflict,
        decisions=list(Decision),
        statuses=list(ActionStatus),
        editable=ctx.may(Role.EDITOR),
    )


@page(Role.VIEWER)
def walk(ctx: Context) -> Response:
    """The agenda and one item on it: ``?mode=`` or where the workshop stands."""
    sid = ctx.params["system"]
    ctx.system(sid)
    session = _open_session(ctx.register, sid)
    agenda = session.agenda if session else build_agenda(ctx.register, sid)
    wanted = ctx.request.query_params.get("mode")
    item: AgendaItem | None
    if wanted:
        item = _item(agenda, wanted)
    elif session is not None:
        item = session.next
    else:
        item = agenda.items[0] if agenda.items else None
    return _show(ctx, agenda, session, item)


def _item(agenda: Agenda, mode: str) -> AgendaItem:
    try:
        return agenda.item(mode)
    except KeyError as exc:
        raise RegisterError(str(exc.args[0])) from None


@page(Role.EDITOR)
def answer(ctx: Context) -> Response:
    """Record the team's answer on one mode: ``action`` decide, keep or skip."""
    sid, mode = ctx.params["system"], ctx.params["mode"]
    form = ctx.form
    action = form.get("action", "decide")
    answers = {name: form.get(name, "") for name in FIELDS}
    seen = form.get("revision", "")
    if not seen.isdigit():
        raise RegisterError("the form lacks the revision it was read at; reload the page.")
    register = ctx.register
    try:
        with register.db.transaction():  # the workshop starts only if the answer is recorded
            session = begin(register, sid, actor=ctx.user)
            _item(session.agenda, mode)
            if action == "decide":
                session = decide(
                    register,
                    session,
                    mode,
                    actor=ctx.user,
                    seen_revision=int(seen),
                    **{k: answers[k] for k in FIELDS},
                )
            elif action == "keep":
                session = keep(
                    register,
                    session,
                    mode,
                    actor=ctx.user,
                    comment=answers["comment"],
                    seen_revision=int(seen),
                )
            elif action == "skip":
                session = skip(register, session, mode, actor=ctx.user, comment=answers["comment"])
            else:
                raise RegisterError(f"action {action!r}: use decide, keep or skip.")
    except ConflictError:
        return _again(ctx, mode, answers, None, status=409, conflicted=True)
    except RegisterError as exc:
        return _again(ctx, mode, answers, int(seen), status=400, problem=str(exc))
    following = session.next
    target = f"/systems/{sid}/workshop" + (f"?mode={following.mode_id}" if following else "")
    return RedirectResponse(target, status_code=303)


def _again(
    ctx: Context,
    mode: str,
    answers: dict[str, str],
    revision: int | None,
    *,
    status: int,
    conflicted: bool = False,
    problem: str | None = None,
) -> Response:
    """The item again, as the register holds it now, with the answers kept as typed and the
    reason they were not recorded (someone else's decision, when ``conflicted``, or
    ``problem``); ``revision`` none for the one the register is at now."""
    sid = ctx.params["system"]
    session = _open_session(ctx.register, sid)
    agenda = session.agenda if session else build_agenda(ctx.register, sid)
    item = _item(agenda, mode)
    return _show(
        ctx,
        agenda,
        session,
        item,
        status=status,
        answers=answers,
        revision=item.revision if revision is None else revision,
        conflict=_conflict(item) if conflicted else None,
        problem=problem,
    )


def _conflict(item: AgendaItem) -> str:
    now_there = item.decision
    if now_there is None:
        return (
            f"{item.mode_id}: the decision was withdrawn since you read it; nothing was written. "
            "Your answers are kept below: save again to record them."
        )
    return (
        f"{item.mode_id}: {now_there.updated_by} changed the decision at "
        f"{now_there.updated_at[:19].replace('T', ' ')} UTC (to {now_there.decision.value}, owner "
        f"{now_there.owner}) since you read it; nothing was written. Their decision is shown "
        "below and your answers are kept: save again to record yours over theirs."
    )


@page(Role.EDITOR)
def close(ctx: Context) -> Response:
    """Finish the system's workshop; the next decision starts a new one."""
    sid = ctx.params["system"]
    session = _open_session(ctx.register, sid)
    if session is not None:
        finish(ctx.register, session, actor=ctx.user)
    return RedirectResponse(f"/systems/{sid}", status_code=303)


@page(Role.EDITOR)
def comment(ctx: Context) -> Response:
    """A comment on one mode of one system, outside any decision."""
    sid, mode = ctx.params["system"], ctx.params["mode"]
    ctx.register.catalog.get(mode)
    ctx.register.comment(sid, mode, ctx.form.get("body", ""), actor=ctx.user)
    return RedirectResponse(f"/systems/{sid}/workshop?mode={mode}#comments", status_code=303)
