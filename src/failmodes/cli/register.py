"""``failmodes register add|list|show|decide|reopen|history|export|import``: the risk register.

The register lives in a SQLite file next to the profile (``failmodes-register.sqlite``) unless
``--db`` or ``$FAILMODES_REGISTER`` names another file or a ``postgresql://`` URL. Who acts is
``--actor``, else ``$FAILMODES_USER``, else the login name; every change is in the history.
"""

from __future__ import annotations

import getpass
import json
import os
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from failmodes.catalog import load_catalog
from failmodes.cli.common import (
    OutputOption,
    OverlayOption,
    QuietOption,
    TextFormat,
    err_console,
    overlays,
    write_result,
)
from failmodes.errors import MissingFileError, RegisterError
from failmodes.profile.schema import Decision
from failmodes.report.contract import load
from failmodes.report.register import (
    history_table,
    register_markdown,
    register_rows,
    register_table,
    systems_rows,
    systems_table,
)
from failmodes.store import (
    ActionStatus,
    EvidenceLink,
    Register,
    RegisterDecision,
    open_register,
    register_location,
)
from failmodes.store.exchange import export_text, import_data, read_export
from failmodes.validation import dotted

group = typer.Typer(
    help="The risk register: systems, decisions per failure mode, and their history.",
    no_args_is_help=True,
)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Register: a SQLite file or a postgresql:// URL. Default: $FAILMODES_REGISTER, "
        "else failmodes-register.sqlite next to the profile (or here).",
        show_default=False,
    ),
]
ActorOption = Annotated[
    str | None,
    typer.Option("--actor", help="Who makes the change. Default: $FAILMODES_USER, else you."),
]
SystemArgument = Annotated[str, typer.Argument(help="System id (`failmodes register list`).")]


def actor_name(explicit: str | None) -> str:
    return explicit or os.environ.get("FAILMODES_USER") or getpass.getuser()


def _open(
    db: str | None, overlay: list[Path] | None = None, profile: Path | None = None
) -> Register:
    return open_register(register_location(db, profile), load_catalog(overlays(overlay)))


def add(
    profile: Annotated[Path, typer.Argument(help="System profile YAML to record.")],
    *,
    assessment: Annotated[
        list[Path] | None,
        typer.Option("--assessment", "-a", help="Assessment or threat-model JSON to record too."),
    ] = None,
    db: DbOption = None,
    actor: ActorOption = None,
    overlay: OverlayOption = None,
) -> None:
    """Record a system's profile (a new version when it changed) and its assessments."""
    if not profile.is_file():
        raise MissingFileError(f"{profile}: no such profile.")
    models = [load(path) for path in assessment or []]
    who = actor_name(actor)
    with _open(db, overlay, profile) as register:
        version = register.add_profile(profile.read_text("utf-8"), actor=who, source=str(profile))
        err_console.print(
            f"{version.system_id}: profile version {version.version} in {register.where}",
            markup=False,
        )
        for model in models:
            stored = register.add_assessment(model, actor=who)
            err_console.print(f"recorded {stored.kind} {stored.id}", markup=False)


def list_systems(
    *, db: DbOption = None, fmt: Annotated[TextFormat | None, typer.Option("--format", "-f")] = None
) -> None:
    """The systems in the register and the highest risk in force for each."""
    with _open(db) as register:
        systems = register.systems()
        rows = systems_rows(systems, {s.id: register.current(s.id) for s in systems})
        if fmt == TextFormat.JSON:
            write_result(json.dumps(rows, indent=2) + "\n", None)
        elif not systems:
            err_console.print(
                f"{register.where} holds no system yet; add one with "
                "`failmodes register add PROFILE`.",
                markup=False,
            )
        else:
            err_console.print(systems_table(rows, register.where))


def show(
    system: SystemArgument,
    *,
    db: DbOption = None,
    overlay: OverlayOption = None,
    fmt: Annotated[TextFormat | None, typer.Option("--format", "-f")] = None,
    output: OutputOption = None,
    quiet: QuietOption = False,
) -> None:
    """One system's register: every applicable mode, its risk, decision, owner and status."""
    with _open(db, overlay) as register:
        model, decisions = register.current(system), register.decisions(system)
    if fmt == TextFormat.JSON:
        text = json.dumps(register_rows(model, decisions), indent=2) + "\n"
        write_result(text, output, quiet=quiet)
    elif fmt == TextFormat.MD or output is not None:
        write_result(register_markdown(model, decisions), output, quiet=quiet)
    else:
        err_console.print(register_table(model, decisions))


def decide(
    system: SystemArgument,
    mode: Annotated[str, typer.Argument(help="Failure mode id.")],
    *,
    decision: Annotated[Decision, typer.Option("--decision", "-d", help="What the owner decided.")],
    owner: Annotated[str, typer.Option("--owner", help="Who is accountable for it.")],
    rationale: Annotated[str, typer.Option("--rationale", "-r", help="Why.")],
    mitigation: Annotated[
        list[str] | None,
        typer.Option("--mitigation", "-m", help="A mitigation in place; repeat for more."),
    ] = None,
    due: Annotated[
        str | None, typer.Option("--due", help="When the work is due (YYYY-MM-DD).")
    ] = None,
    status: Annotated[
        ActionStatus, typer.Option("--status", help="Where the work stands.")
    ] = ActionStatus.PLANNED,
    evidence: Annotated[
        list[str] | None,
        typer.Option(
            "--evidence",
            "-e",
            help="assessment:<id>, finding:<id>#<mode>/<probe>/<metric> or sha256:<digest>; "
            "repeat for more.",
        ),
    ] = None,
    revision: Annotated[
        int | None,
        typer.Option(
            "--revision",
            min=0,
            help="The revision you read (`register show -f json`); refused if it changed since.",
        ),
    ] = None,
    db: DbOption = None,
    actor: ActorOption = None,
    overlay: OverlayOption = None,
) -> None:
    """Record an owner's decision on one failure mode of a system."""
    try:
        when = date.fromisoformat(due) if due else None
    except ValueError:
        raise RegisterError(f"--due {due!r} is not a date; write it as YYYY-MM-DD.") from None
    try:
        record = RegisterDecision(
            mode_id=mode,
            decision=decision,
            owner=owner,
            rationale=rationale,
            due=when,
            status=status,
            mitigations=mitigation or [],
            evidence=[EvidenceLink.parse(e) for e in evidence or []],
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        raise RegisterError(f"--{dotted(first['loc'])}: {first['msg']}.") from None
    with _open(db, overlay) as register:
        saved = register.decide(system, record, actor=actor_name(actor), expected_revision=revision)
        current = {m.id: m for m in register.current(system).modes}[mode]
    residual = current.current
    err_console.print(
        f"{system}: {saved.decision.value} {mode} (revision {saved.revision})"
        + (f"; risk in force {residual.risk.value} ({residual.score})" if residual else ""),
        markup=False,
    )


def reopen(
    system: SystemArgument,
    mode: Annotated[str, typer.Argument(help="Failure mode id.")],
    *,
    db: DbOption = None,
    actor: ActorOption = None,
) -> None:
    """Withdraw the decision on a mode: it is open again; the history keeps the old one."""
    with _open(db) as register:
        register.reopen(system, mode, actor=actor_name(actor))
    err_console.print(f"{system}: {mode} is open again", markup=False)


def history(
    system: SystemArgument,
    *,
    mode: Annotated[str | None, typer.Option("--mode", help="Only this failure mode.")] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="The last N only.")] = None,
    db: DbOption = None,
    fmt: Annotated[TextFormat | None, typer.Option("--format", "-f")] = None,
) -> None:
    """Every change to a system's register entries: who, when, what, before and after."""
    with _open(db) as register:
        entries = register.history(system, mode, limit=limit)
    if fmt == TextFormat.JSON:
        write_result(json.dumps([e.model_dump() for e in entries], indent=2) + "\n", None)
    else:
        err_console.print(history_table(entries, f"History of {system}"))


def export(
    system: Annotated[
        list[str] | None, typer.Argument(help="Systems to export. Default: all.")
    ] = None,
    *,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="yaml or json.", show_default=True)
    ] = "yaml",
    output: OutputOption = None,
    db: DbOption = None,
    quiet: QuietOption = False,
) -> None:
    """Write the register (or some systems) as YAML or JSON, the git-diffable form."""
    if fmt not in ("yaml", "json"):
        raise RegisterError(f"--format {fmt!r}: choose yaml or json.")
    with _open(db) as register:
        text = export_text(register, fmt, system or None)
    write_result(text, output, quiet=quiet)


def import_(
    file: Annotated[Path, typer.Argument(help="A file written by `failmodes register export`.")],
    *,
    db: DbOption = None,
) -> None:
    """Add the systems of an export to the register (never overwriting one it holds)."""
    data = read_export(file)
    with _open(db) as register:
        added = import_data(register, data, source=str(file))
    err_console.print(f"imported {', '.join(added) or 'nothing'}", markup=False)


def register(app: typer.Typer) -> None:
    group.command("add")(add)
    group.command("list")(list_systems)
    group.command("show")(show)
    group.command("decide")(decide)
    group.command("reopen")(reopen)
    group.command("history")(history)
    group.command("export")(export)
    group.command("import")(import_)
    app.add_typer(group, name="register")
