"""``failmodes report`` and ``failmodes diff``: re-render and compare saved assessments.

Neither reruns anything: they read the JSON that ``threat-model`` or ``scan`` wrote
(:mod:`failmodes.report.contract`). ``report`` also applies the release gate, so a pipeline
can render the HTML for people and fail the build in the same step.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from failmodes.assessment.diff import diff as diff_models
from failmodes.assessment.diff import regression_gate
from failmodes.assessment.frameworks import framework_view
from failmodes.catalog import load_catalog
from failmodes.cli.common import (
    OutputOption,
    OverlayOption,
    QuietOption,
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
from failmodes.errors import EXIT_POLICY_FAILED, InputError
from failmodes.report.contract import load, to_json
from failmodes.report.diff import diff_renderable, render_diff_markdown
from failmodes.report.frameworks import render_framework_json, render_framework_markdown
from failmodes.report.junit import render_junit
from failmodes.report.markdown import render_markdown
from failmodes.report.sarif import render_sarif
from failmodes.threatmodel.model import ThreatModel


class ReportFormat(StrEnum):
    HTML = "html"
    MD = "md"
    SARIF = "sarif"
    JUNIT = "junit"
    JSON = "json"


class DiffFormat(StrEnum):
    TEXT = "text"
    MD = "md"


#: Output file endings that choose a format when ``--format`` is left out (longest first).
SUFFIXES = (
    (".sarif.json", ReportFormat.SARIF),
    (".sarif", ReportFormat.SARIF),
    (".junit.xml", ReportFormat.JUNIT),
    (".xml", ReportFormat.JUNIT),
    (".html", ReportFormat.HTML),
    (".htm", ReportFormat.HTML),
    (".json", ReportFormat.JSON),
    (".md", ReportFormat.MD),
)


def _html(model: ThreatModel) -> str:
    from failmodes.report.html import render_html  # Matplotlib loads only for HTML

    return render_html(model)


RENDERERS: dict[ReportFormat, Callable[[ThreatModel], str]] = {
    ReportFormat.HTML: _html,
    ReportFormat.MD: render_markdown,
    ReportFormat.SARIF: render_sarif,
    ReportFormat.JUNIT: render_junit,
    ReportFormat.JSON: to_json,
}


def format_for(output: Path | None) -> ReportFormat:
    """The format an ``--output`` name implies; Markdown when it implies none."""
    name = output.name.lower() if output is not None else ""
    return next((fmt for suffix, fmt in SUFFIXES if name.endswith(suffix)), ReportFormat.MD)


def framework_report(
    model: ThreatModel,
    framework_id: str,
    overlay_paths: list[Path],
    fmt: ReportFormat,
    *,
    quiet: bool = False,
) -> str:
    """The ``--by`` view of ``model`` in Markdown or JSON."""
    if fmt not in (ReportFormat.MD, ReportFormat.JSON):
        raise InputError(f"--by renders md or json, not {fmt.value}.")
    catalog = load_catalog(overlay_paths)
    missing = [name for name in model.overlays if name not in catalog.overlays]
    if missing and not quiet:
        err_console.print(
            f"note: the assessment was made with overlay(s) {', '.join(missing)}; pass them "
            "with -O so that the mappings of their failure modes are found.",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    framework = catalog.framework(framework_id)
    view = framework_view(model, framework)
    return (
        render_framework_json(view)
        if fmt == ReportFormat.JSON
        else (render_framework_markdown(view))
    )


def report(
    assessment: Annotated[
        Path, typer.Argument(help="A threat model or assessment saved with --format json.")
    ],
    *,
    fmt: Annotated[
        ReportFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="html, md, sarif, junit or json; default: the --output file's ending, else md.",
            show_default=False,
        ),
    ] = None,
    output: OutputOption = None,
    overlay: OverlayOption = None,
    fail_on: FailOnOption = None,
    fail_on_findings: FailOnFindingsOption = None,
    fail_on_untested: FailOnUntestedOption = None,
    fail_on_missing_decision: FailOnMissingDecisionOption = None,
    quiet: QuietOption = False,
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            help="View the assessment per governance framework: nist-ai-rmf, eu-ai-act, "
            "iso-42001 or one an overlay adds (md or json).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Render a saved threat model or assessment again, and apply the release gate.

    With ``--by FRAMEWORK``: each requirement of the framework, the failure modes behind it,
    the evidence measured for them and what is untested.

    Exit codes: 0 rendered and the gate passed; 1 the gate failed (reasons on stderr);
    2 the file or an option could not be used.
    """
    policy = gate_policy(
        overlays(overlay),
        fail_on=fail_on,
        fail_on_findings=fail_on_findings,
        fail_on_untested=fail_on_untested,
        fail_on_missing_decision=fail_on_missing_decision,
    )
    model = load(assessment)
    chosen = fmt or format_for(output)
    if by is None:
        text = RENDERERS[chosen](model)
    else:
        text = framework_report(model, by, overlays(overlay), chosen, quiet=quiet)
    write_result(text, output, quiet=quiet)
    code = enforce_gate(model, policy, quiet=quiet)
    if code:
        raise typer.Exit(code)


def diff(
    old: Annotated[Path, typer.Argument(help="The earlier assessment (JSON).")],
    new: Annotated[Path, typer.Argument(help="The later assessment (JSON).")],
    *,
    fmt: Annotated[
        DiffFormat, typer.Option("--format", "-f", help="text (a terminal view) or md.")
    ] = DiffFormat.TEXT,
    tolerance: Annotated[
        float,
        typer.Option(
            "--tolerance",
            min=0.0,
            help="Ignore metric changes no larger than this (absolute).",
        ),
    ] = 0.0,
    fail_on_regression: Annotated[
        bool,
        typer.Option(
            "--fail-on-regression",
            help="Exit 1 when a metric regressed, a risk rose, a finding fails anew, a probe "
            "errors anew or coverage was lost.",
        ),
    ] = False,
    output: OutputOption = None,
) -> None:
    """Show what changed between two assessments of the same system."""
    changes = diff_models(load(old), load(new), tolerance=tolerance)
    gate = regression_gate(changes)
    if fmt == DiffFormat.MD:
        write_result(render_diff_markdown(changes, gate), output)
    elif output is None:
        Console().print(diff_renderable(changes, gate))
    else:
        console = Console(record=True, width=100, file=io.StringIO())
        console.print(diff_renderable(changes, gate))
        write_result(console.export_text(), output)
    if fail_on_regression and not gate.passed:
        err_console.print(
            f"Regression gate failed: {len(gate.reasons)} regression(s).", style="bold red"
        )
        raise typer.Exit(EXIT_POLICY_FAILED)


def register(app: typer.Typer) -> None:
    app.command("report")(report)
    app.command("diff")(diff)
