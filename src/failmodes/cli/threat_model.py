"""``failmodes threat-model PROFILE``: the ranked register, for people and for machines."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

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
from failmodes.cli.gate import (
    FailOnFindingsOption,
    FailOnMissingDecisionOption,
    FailOnOption,
    FailOnUntestedOption,
    enforce_gate,
    gate_policy,
)
from failmodes.profile import load_profile
from failmodes.report.jsonout import render_json
from failmodes.report.markdown import render_markdown
from failmodes.report.terminal import actions_table, key_facts_table, register_table
from failmodes.threatmodel import threat_model as build_threat_model


def threat_model(
    profile: Annotated[Path, typer.Argument(help="System profile YAML.")],
    *,
    fmt: Annotated[
        TextFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="md or json; default: a table on the terminal, or the --output file's suffix.",
        ),
    ] = None,
    output: OutputOption = None,
    top: Annotated[
        int | None,
        typer.Option(
            "--top",
            min=1,
            help="Show only the N highest-ranked failure modes (table and md; json keeps all).",
        ),
    ] = None,
    overlay: OverlayOption = None,
    quiet: QuietOption = False,
    fail_on: FailOnOption = None,
    fail_on_findings: FailOnFindingsOption = None,
    fail_on_untested: FailOnUntestedOption = None,
    fail_on_missing_decision: FailOnMissingDecisionOption = None,
) -> None:
    """Rank the failure modes that apply to a system, with reasons, risk and decisions.

    Exit codes: 0 done and the gate passed; 1 the gate failed; 2 bad input.
    """
    system = load_profile(profile)  # first: a broken profile is the commonest mistake
    paths = overlays(overlay)
    policy = gate_policy(
        paths,
        fail_on=fail_on,
        fail_on_findings=fail_on_findings,
        fail_on_untested=fail_on_untested,
        fail_on_missing_decision=fail_on_missing_decision,
    )
    model = build_threat_model(system, load_catalog(paths))
    if fmt is None and output is not None:
        fmt = TextFormat.JSON if output.suffix.lower() == ".json" else TextFormat.MD
    if fmt is None:
        if not quiet:
            console = Console()
            console.print(register_table(model, top))
            if model.key_facts:
                console.print(key_facts_table(model))
            console.print(actions_table(model, top))
    else:
        if output is not None and not quiet:
            err_console.print(register_table(model, top))
        text = render_json(model) if fmt == TextFormat.JSON else render_markdown(model, top)
        write_result(text, output, quiet=quiet)
    code = enforce_gate(model, policy, quiet=quiet)
    if code:
        raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.command("threat-model")(threat_model)
