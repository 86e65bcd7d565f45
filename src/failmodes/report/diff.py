"""``failmodes diff`` for people: a Rich view for the terminal and Markdown for a pull request.

Both show the same sections in the same order — regressions first, because that is what a
reviewer must act on — and both escape every string that came from a profile or a probe.
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from failmodes.assessment.diff import AssessmentDiff, MetricChange
from failmodes.assessment.gate import GateResult
from failmodes.findings import number
from failmodes.report.markdown import esc


def _delta(m: MetricChange) -> str:
    return f"{m.delta:+.4g}"


def _verdict(m: MetricChange) -> str:
    if m.direction is None:
        return "changed (no threshold)"
    return "regressed" if m.regressed else "improved"


def _headline(d: AssessmentDiff, gate: GateResult) -> str:
    if not d.changed:
        return "No change."
    if gate.passed:
        return "No regression."
    return f"{len(gate.reasons)} regression(s)."


def render_diff_markdown(d: AssessmentDiff, gate: GateResult) -> str:
    """The diff as Markdown, for a pull-request comment or a wiki page."""
    title = esc(d.new_system)
    out = [f"# Assessment diff: {title}", "", f"**{_headline(d, gate)}**", ""]
    if not d.same_system:
        out += [
            f"> Note: the old assessment is of {esc(d.old_system)}, the new one of "
            f"{title}; the comparison may not be meaningful.",
            "",
        ]
    if gate.reasons:
        out += ["## Regressions", ""] + [f"- {esc(r)}" for r in gate.reasons] + [""]
    if d.metrics:
        out += [
            f"## Metrics that moved by more than {d.tolerance:g}",
            "",
            "| Failure mode | Probe | Metric | Old | New | Change | Verdict |",
            "|---|---|---|---|---|---|---|",
        ]
        out += [
            f"| {esc(m.failure_mode)} | {esc(m.probe)} | {esc(m.measured)} | {number(m.old)} "
            f"| {number(m.new)} | {_delta(m)} | {_verdict(m)} |"
            for m in d.metrics
        ]
        out.append("")
    if d.risks:
        out += ["## Risks", "", "| Failure mode | Old | New | |", "|---|---|---|---|"]
        out += [
            f"| {esc(r.name)} | {r.old_risk or 'excluded'} ({r.old_score}) "
            f"| {r.new_risk or 'excluded'} ({r.new_score}) | {'rose' if r.rose else 'fell'} |"
            for r in d.risks
        ]
        out.append("")
    if d.added or d.removed:
        out += ["## Failure modes", ""]
        out += [f"- Applies now: {esc(m.name)} ({m.risk or 'excluded'})" for m in d.added]
        out += [f"- No longer applies: {esc(m.name)}" for m in d.removed]
        out.append("")
    if d.decisions:
        out += ["## Decisions", "", "| Failure mode | Old | New |", "|---|---|---|"]
        out += [
            f"| {esc(c.name)} | {esc(c.old or 'none')} | {esc(c.new or 'none')} |"
            for c in d.decisions
        ]
        out.append("")
    return "\n".join(out)


def diff_renderable(d: AssessmentDiff, gate: GateResult) -> RenderableType:
    """The diff for a terminal."""
    parts: list[RenderableType] = [
        Text(_headline(d, gate), style="bold red" if not gate.passed else "bold green")
    ]
    if not d.same_system:
        parts.append(
            Text(f"Note: comparing {d.old_system!r} with {d.new_system!r}.", style="yellow")
        )
    for reason in gate.reasons:
        parts.append(Text(f"  ✗ {reason}", style="red"))
    if d.metrics:
        table = Table(title=f"Metrics that moved by more than {d.tolerance:g}", expand=True)
        for column in ("Failure mode", "Probe", "Metric", "Old", "New", "Change", "Verdict"):
            table.add_column(
                column, justify="right" if column in ("Old", "New", "Change") else "left"
            )
        for m in d.metrics:
            style = "red" if m.regressed else ("green" if m.direction else "")
            table.add_row(
                m.failure_mode,
                m.probe,
                m.measured,
                number(m.old),
                number(m.new),
                _delta(m),
                Text(_verdict(m), style=style),
            )
        parts.append(table)
    if d.risks:
        table = Table(title="Risks", expand=True)
        for column in ("Failure mode", "Old", "New", ""):
            table.add_column(column)
        for r in d.risks:
            table.add_row(
                r.name,
                f"{r.old_risk or 'excluded'} ({r.old_score})",
                f"{r.new_risk or 'excluded'} ({r.new_score})",
                Text("rose", style="red") if r.rose else Text("fell", style="green"),
            )
        parts.append(table)
    parts += [Text(f"+ applies now: {a.name} ({a.risk or 'excluded'})") for a in d.added]
    parts += [Text(f"- no longer applies: {r.name}") for r in d.removed]
    for c in d.decisions:
        parts.append(Text(f"~ decision on {c.name}: {c.old or 'none'} → {c.new or 'none'}"))
    return Group(*parts)
