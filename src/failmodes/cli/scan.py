"""``failmodes scan PROFILE``: run the probes the threat model plans, write the assessment.

Loads the profile, the catalog (with overlays), the model and the data named in the profile's
``target`` section, runs :func:`failmodes.scan` with one progress bar per probe on
stderr, prints what ran and what could not on stderr, and writes the assessment as Markdown
or JSON (the threat model's contract plus findings) to stdout or ``--output``. The release
gate (``--fail-on`` and friends) is applied last, so a failed gate never costs the report.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.progress import (
    Progress,
    TaskID,
)
from rich.table import Table
from rich.text import Text

from failmodes.assessment import Assessment
from failmodes.catalog import load_catalog
from failmodes.cli.common import (
    AdvisoriesOption,
    OutputOption,
    OverlayOption,
    QuietOption,
    TextFormat,
    err_console,
    overlays,
    progress_bar,
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
from failmodes.errors import InputError
from failmodes.findings import EVIDENCE_STATUSES, RunStatus, number
from failmodes.profile import load_profile
from failmodes.profile.schema import MetricThreshold
from failmodes.report.contract import to_json
from failmodes.report.markdown import render_markdown
from failmodes.threatmodel.outcome import Outcome, outcome

THRESHOLD_FORM = "METRIC=WARN:FAIL[:above|below]"
RUN_STYLE = {RunStatus.RAN: "green", RunStatus.SKIPPED: "yellow", RunStatus.ERROR: "bold red"}


def parse_threshold(text: str) -> tuple[str, MetricThreshold]:
    """``mia_auc=0.55:0.6`` (or ``membership_inference.mia_auc=:0.7:above``) → a threshold."""
    metric, sep, limits = text.partition("=")
    parts = limits.split(":")
    if not sep or not metric.strip() or len(parts) not in (2, 3):
        raise InputError(f"--threshold {text!r}: expected {THRESHOLD_FORM}, e.g. mia_auc=0.55:0.6.")
    try:
        warn, fail = (float(p) if p.strip() else None for p in parts[:2])
        return metric.strip(), MetricThreshold(
            warn=warn, fail=fail, direction=parts[2].strip() if len(parts) == 3 else None
        )
    except ValueError:
        raise InputError(
            f"--threshold {text!r}: WARN and FAIL must be numbers (either may be empty) and "
            f"the direction above or below; expected {THRESHOLD_FORM}."
        ) from None


def parse_option(text: str) -> tuple[str, Any]:
    """``shadow_models=4`` or ``membership_inference.shadow_models=4`` → (key, value).

    The value is read as one YAML scalar (safe loader), so numbers, booleans and words all
    work: ``epsilon=0.2``, ``query_source=synthetic``.
    """
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key or not all(part.isidentifier() for part in key.split(".")):
        raise InputError(f"--option {text!r}: expected KEY=VALUE or PROBE.KEY=VALUE.")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    if isinstance(value, dict | list):
        raise InputError(f"--option {text!r}: the value must be a single number, word or flag.")
    return key, value


class ProbeProgress:
    """One progress task per probe; a probe's ``ctx.progress`` loops drive its bar."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._probe = ""
        self._task: TaskID | None = None

    def on_probe(self, probe_id: str) -> None:
        self.finish()
        self._probe = probe_id
        self._task = self._progress.add_task(probe_id, total=None)

    def track(self, items: Iterable[Any], total: int | None, label: str) -> Iterator[Any]:
        task = self._task
        if task is None:
            yield from items
            return
        description = f"{self._probe}: {label}" if label else self._probe
        self._progress.update(task, description=description, total=total, completed=0)
        for item in items:
            yield item
            self._progress.advance(task)

    def finish(self) -> None:
        if self._task is not None:
            self._progress.update(self._task, description=self._probe, total=1, completed=1)


def probe_table(assessment: Assessment) -> Table:
    """Per probe: how it ended, why, how long and how many queries."""
    table = Table(title="Probes", expand=True)
    for name, justify in (("Probe", "left"), ("Status", "left")):
        table.add_column(name, no_wrap=True, justify=justify)  # type: ignore[arg-type]
    table.add_column("Reason", ratio=1)
    table.add_column("Time", justify="right", no_wrap=True)
    table.add_column("Queries", justify="right", no_wrap=True)
    for run in assessment.probe_runs:
        table.add_row(
            run.probe,
            Text(run.status.value, style=RUN_STYLE[run.status]),
            Text(run.reason or f"{len(run.findings)} findings", overflow="fold"),
            f"{run.duration_s:.1f} s",
            f"{run.queries:,}",
        )
    return table


def coverage_table(assessment: Assessment) -> Table:
    """Per applicable mode: tested (with its verdict) or not tested (with the reason)."""
    cov = assessment.coverage
    table = Table(
        title="Coverage",
        caption=f"{cov.tested} of {cov.applicable} applicable failure modes measured",
        expand=True,
    )
    table.add_column("Failure mode", ratio=1, overflow="fold", min_width=14)
    table.add_column("Result", no_wrap=True)
    table.add_column("Findings, or why not tested", ratio=2, min_width=24)
    for mode in assessment.applicable:
        result = outcome(mode)
        if result == Outcome.NOT_TESTED:
            detail = mode.untested_reason or ""
        else:
            judged = [f for f in mode.findings if f.status in EVIDENCE_STATUSES]
            detail = "\n".join(f"{f.measured} {number(f.value)} {f.status.value}" for f in judged)
            if len(judged) < len(mode.findings):
                detail += f" (+{len(mode.findings) - len(judged)} info)"
        style = {Outcome.FAILED: "bold red", Outcome.WARNED: "yellow", Outcome.PASSED: "green"}
        table.add_row(
            mode.name,
            Text(result.value, style=style.get(result, "dim")),
            Text(detail, overflow="fold"),
        )
    return table


def scan(
    profile: Annotated[Path, typer.Argument(help="System profile YAML with a `target` section.")],
    *,
    probe: Annotated[
        list[str] | None,
        typer.Option(
            "--probe",
            "-p",
            metavar="ID",
            help="Run only this probe; repeat for more. Default: every probe the threat "
            "model plans.",
            show_default=False,
        ),
    ] = None,
    budget: Annotated[
        int | None,
        typer.Option(
            min=1, metavar="N", help="Most queries the scan may send to the model, all probes."
        ),
    ] = None,
    seed: Annotated[int, typer.Option(metavar="N", help="Seed of every random draw.")] = 0,
    fmt: Annotated[
        TextFormat | None,
        typer.Option("--format", "-f", help="md or json; default: the --output suffix, or md."),
    ] = None,
    output: OutputOption = None,
    overlay: OverlayOption = None,
    trust_model: Annotated[
        bool,
        typer.Option(
            "--trust-model",
            help="Load a model file that the safety checks refuse, or import an agent policy "
            "from outside failmodes. Only for sources you trust: loading a pickle or importing "
            "a module can run any code.",
        ),
    ] = False,
    threshold: Annotated[
        list[str] | None,
        typer.Option(
            "--threshold",
            "-t",
            metavar=THRESHOLD_FORM,
            help="Override a metric's thresholds for this run, e.g. mia_auc=0.55:0.6; "
            "repeat for more. Beats the profile's and the catalog's.",
            show_default=False,
        ),
    ] = None,
    option: Annotated[
        list[str] | None,
        typer.Option(
            "--option",
            metavar="[PROBE.]KEY=VALUE",
            help="A probe option, e.g. membership_inference.shadow_models=16 or epsilon=0.2 "
            "(a plain key reaches every probe); repeat for more. See docs/probes/.",
            show_default=False,
        ),
    ] = None,
    advisories: AdvisoriesOption = None,
    fail_on: FailOnOption = None,
    fail_on_findings: FailOnFindingsOption = None,
    fail_on_untested: FailOnUntestedOption = None,
    fail_on_missing_decision: FailOnMissingDecisionOption = None,
    quiet: QuietOption = False,
) -> None:
    """Measure the failure modes that apply to a system with probes on its model and data.

    Exit codes: 0 written and the gate passed; 1 the gate failed; 2 bad input.
    """
    thresholds = dict(parse_threshold(t) for t in threshold or [])
    probe_options = dict(parse_option(o) for o in option or [])
    if advisories is not None:
        probe_options["dependency_audit.advisories"] = str(advisories)
    overlay_paths = overlays(overlay)
    policy = gate_policy(
        overlay_paths,
        fail_on=fail_on,
        fail_on_findings=fail_on_findings,
        fail_on_untested=fail_on_untested,
        fail_on_missing_decision=fail_on_missing_decision,
    )
    # Imported here: they bring NumPy, pandas and scikit-learn, which the rest of the command
    # line does not need (a mistyped profile should fail in well under a second).
    from failmodes.assessment.scan import scan as run_scan
    from failmodes.targets.loading import load_data, load_target

    system = load_profile(profile)
    catalog = load_catalog(overlay_paths)
    data = load_data(system)
    target = load_target(system, trust=trust_model, budget=budget, data=data)
    progress = progress_bar(quiet=quiet)
    bars = ProbeProgress(progress)
    with progress:
        assessment = run_scan(
            system,
            target,
            data,
            catalog=catalog,
            probes=probe or (),
            seed=seed,
            budget=budget,
            thresholds=thresholds,
            options=probe_options,
            track=bars.track,
            on_probe=bars.on_probe,
        )
        bars.finish()
    if fmt is None:
        fmt = (
            TextFormat.JSON
            if output is not None and output.suffix.lower() == ".json"
            else TextFormat.MD
        )
    if not quiet:
        err_console.print(probe_table(assessment))
        err_console.print(coverage_table(assessment))
    text = to_json(assessment) if fmt == TextFormat.JSON else render_markdown(assessment)
    write_result(text, output, quiet=quiet)
    code = enforce_gate(assessment, policy, quiet=quiet)
    if code:
        raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.command("scan")(scan)
