"""``failmodes workshop PROFILE``: a guided threat-modeling session in the terminal.

It records the profile in the register (a new version when it changed), then walks the agenda
of :mod:`failmodes.workshop` one failure mode at a time: why the mode applies, what to watch,
what the latest assessment measured, the questions to answer, and the decision in place; then
it asks for the team's decision. Everything is written to the register as soon as a mode is
done, so the session can stop at any prompt (``q``, Ctrl-C or Ctrl-D) and the same command
resumes it at the first mode it had not been through. It ends with the updated register and,
with ``--report``, a report file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.markup import escape

from failmodes.catalog import load_catalog
from failmodes.cli.common import OverlayOption, err_console, overlays, write_result
from failmodes.cli.register import ActorOption, actor_name
from failmodes.cli.report import RENDERERS, format_for
from failmodes.errors import ConflictError, MissingFileError, RegisterError
from failmodes.profile.loader import profile_from_text
from failmodes.report.contract import load
from failmodes.report.register import register_table
from failmodes.report.workshop import mode_panel
from failmodes.store import Register, open_register, register_location, system_id
from failmodes.store.records import ActionStatus, StepOutcome
from failmodes.workshop import (
    AgendaItem,
    Session,
    begin,
    decide,
    finish,
    keep,
    reload,
    skip,
)
from failmodes.workshop.answers import parse_decision, parse_due, parse_status, required

T = TypeVar("T")

#: Exit status of a session stopped with Ctrl-C (128 + SIGINT), as shells report it.
EXIT_INTERRUPTED = 130


class Stop(Exception):
    """The team asked to stop: ``q`` at a prompt, or the end of input."""


class Back(Exception):
    """The team asked to go back to the previous mode."""


def _ask(label: str, parse: Callable[[str], T], default: str = "") -> T:
    """Ask until ``parse`` accepts the answer; a refused answer gets one line and the prompt
    again. Empty input takes ``default``."""
    prompt = escape(f"{label} [{default}]: " if default else f"{label}: ")
    while True:
        try:
            raw = err_console.input(prompt)
        except EOFError:
            raise Stop from None
        answer = raw.strip() or default
        try:
            return parse(answer)
        except RegisterError as exc:
            err_console.print(f"  {exc}", style="red", markup=False, highlight=False)


def _text(value: str) -> str:
    return value


def _optional(parse: Callable[[str], object]) -> Callable[[str], str]:
    """An answer that ``-`` clears; otherwise checked by ``parse`` and kept as typed."""

    def check(text: str) -> str:
        if text.strip() == "-":
            return ""
        parse(text)
        return text.strip()

    return check


def _action(item: AgendaItem) -> str:
    def parse(text: str) -> str:
        word = text.strip().lower()
        if word in ("s", "skip", "b", "back", "q", "quit") or (
            item.decision and word in ("k", "keep")
        ):
            return word[0]
        return parse_decision(word).value

    prompt = (
        "Decision: [m]itigate [a]ccept [t]ransfer [n]ot applicable"
        + (" [k]eep" if item.decision else "")
        + " · [s]kip [b]ack [q]uit"
    )
    return _ask(prompt, parse, "k" if item.decision else "")


def _required(name: str) -> Callable[[str], str]:
    return lambda text: required(name, text)


def _take_step(register: Register, session: Session, item: AgendaItem, actor: str) -> Session:
    """Ask about ``item`` and record what the team does; raises Back or Stop."""
    action = _action(item)
    if action == "q":
        raise Stop
    if action == "b":
        raise Back
    if action == "s":
        return skip(register, session, item.mode_id, actor=actor)
    current = item.decision
    if action == "k":
        return keep(register, session, item.mode_id, actor=actor)
    owner = _ask("Owner", _required("owner"), current.owner if current else actor)
    due = _ask(
        "Due date (YYYY-MM-DD, - for none)",
        _optional(parse_due),
        current.due.isoformat() if current and current.due else "",
    )
    status = _ask(
        "Status (planned, in_progress, done)",
        lambda text: parse_status(text).value,
        current.status.value if current else ActionStatus.PLANNED.value,
    )
    rationale = _ask("Rationale", _required("rationale"), current.rationale if current else "")
    mitigations = _ask(
        "Mitigations in place (separate with ;, - for none)",
        _optional(_text),
        "; ".join(current.mitigations) if current else "",
    )
    comment = _ask("Comment (optional)", _text)
    return decide(
        register,
        session,
        item.mode_id,
        actor=actor,
        decision=action,
        owner=owner,
        rationale=rationale,
        due=due,
        mitigations=mitigations,
        status=status,
        comment=comment,
    )


def _walk(register: Register, session: Session, actor: str) -> Session:
    """Walk the agenda from where the session stands until every mode is through."""
    total = len(session.agenda.items)
    shown = session.next
    while shown is not None:
        err_console.print(
            mode_panel(
                shown.mode,
                rank=shown.rank,
                total=total,
                questions=shown.questions,
                decision=shown.decision,
            )
        )
        try:
            session = _take_step(register, session, shown, actor)
        except ConflictError as exc:
            # someone decided on this mode meanwhile: show it again as it now stands
            err_console.print(f"  {exc}", style="red", markup=False, highlight=False)
            session = reload(register, session.workshop.id)
            shown = session.agenda.item(shown.mode_id)
            continue
        except Back:
            before = session.before(shown.mode_id)
            if before is None:
                err_console.print("  This is the first mode; there is nothing before it.")
            else:
                shown = session.agenda.item(before.mode_id)
            continue
        shown = session.next
    return session


def _where(session: Session) -> str:
    done = len(session.agenda.items) - len(session.remaining)
    nxt = session.next
    at = f"; it resumes at {nxt.rank}. {nxt.name}" if nxt else ""
    return f"{done} of {len(session.agenda.items)} modes done{at}"


def workshop(
    profile: Annotated[Path, typer.Argument(help="The system profile YAML to hold it on.")],
    *,
    db: Annotated[
        str | None,
        typer.Option(
            "--register",
            "--db",
            help="Register: a SQLite file or a postgresql:// URL. Default: $FAILMODES_REGISTER, "
            "else failmodes-register.sqlite next to the profile.",
            show_default=False,
        ),
    ] = None,
    assessment: Annotated[
        list[Path] | None,
        typer.Option(
            "--assessment", "-a", help="Assessment JSON to record first; its findings are shown."
        ),
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report",
            help="At the end, write the report here (html, md, json, sarif or junit by the "
            "file's ending).",
        ),
    ] = None,
    actor: ActorOption = None,
    overlay: OverlayOption = None,
) -> None:
    """Walk the failure modes that apply to a system, in risk order, and record the team's
    decisions in the register; stop at any prompt, and run it again to resume."""
    if not profile.is_file():
        raise MissingFileError(f"{profile}: no such profile.")
    text = profile.read_text("utf-8")
    name = profile_from_text(text, source=str(profile)).name
    models = [load(path) for path in assessment or []]
    for path, model in zip(assessment or [], models, strict=True):
        if system_id(model.profile.name) != system_id(name):
            raise RegisterError(
                f"{path}: an assessment of {model.profile.name!r}, not of {name!r}; "
                "give this system's."
            )
    who = actor_name(actor)
    location = register_location(db, profile)
    with open_register(location, load_catalog(overlays(overlay))) as register:
        version = register.add_profile(text, actor=who, source=str(profile))
        for model in models:
            register.add_assessment(model, actor=who)
        session = begin(register, version.system_id, actor=who)
        if session.resumed:
            err_console.print(
                f"Resuming workshop {session.workshop.id} on {name} "
                f"(started by {session.workshop.started_by}): {_where(session)}.",
                markup=False,
            )
        else:
            err_console.print(
                f"Workshop {session.workshop.id} on {name}: {len(session.agenda.items)} failure "
                f"modes apply, in risk order. Register: {register.where}",
                markup=False,
            )
        try:
            session = _walk(register, session, who)
        except (Stop, KeyboardInterrupt) as stop:
            session = reload(register, session.workshop.id)  # what the register holds now
            err_console.print(
                f"\nStopped: {_where(session)}. Run the same command to resume.", markup=False
            )
            if isinstance(stop, KeyboardInterrupt):
                raise typer.Exit(EXIT_INTERRUPTED) from None
            return
        session = finish(register, session, actor=who)
        counts = session.counts()
        err_console.print(
            register_table(session.agenda.model, register.decisions(version.system_id))
        )
        err_console.print(
            f"Workshop {session.workshop.id} finished: "
            + ", ".join(f"{counts[o]} {o.value}" for o in StepOutcome)
            + ".",
            markup=False,
        )
        if report is not None:
            write_result(RENDERERS[format_for(report)](session.agenda.model), report)


def register(app: typer.Typer) -> None:
    app.command("workshop")(workshop)
