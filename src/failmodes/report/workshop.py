"""One failure mode of a workshop's agenda as a terminal panel: everything the team needs on
the table to decide on it.

A renderer: it reads the assessed mode, the review questions and the register's decision, and
computes nothing. Text from the catalog, the profile and the register (typed by people) is
printed as typed, never read as markup.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group
from rich.panel import Panel
from rich.text import Text

from failmodes.catalog.schema import ReviewQuestion
from failmodes.findings import number, threshold_text
from failmodes.report.terminal import RISK_STYLE
from failmodes.store.records import RegisterDecision
from failmodes.threatmodel.model import ModeAssessment
from failmodes.threatmodel.outcome import in_force, outcome

_STATUS_STYLE = {"fail": "bold red", "warn": "yellow", "pass": "green"}


def _risk(mode: ModeAssessment) -> Text:
    text = Text()
    for label, score in (("inherent", mode.inherent), ("in force", in_force(mode))):
        if text:
            text.append(" · ")
        if score is None:
            text.append(f"{label} —", style="dim")
        else:
            text.append(f"{label} ")
            text.append(score.risk.value, style=RISK_STYLE[score.risk.value])
            text.append(f" ({score.likelihood}×{score.impact})")
    text.append(f" · {outcome(mode).value}")
    return text


def _decision_lines(mode: ModeAssessment, decision: RegisterDecision | None) -> list[Text]:
    if decision is not None:
        due = f", due {decision.due.isoformat()}" if decision.due else ""
        lines = [
            Text(
                f"  {decision.decision.value} by {decision.owner}{due}, {decision.status.value}"
                f" (revision {decision.revision}): {decision.rationale}"
            )
        ]
        if decision.mitigations:
            lines.append(Text("  mitigations: " + "; ".join(decision.mitigations)))
        return lines
    if mode.decision is not None:  # the profile's own `decisions:` entry
        listed = mode.decision
        return [
            Text(
                f"  {listed.decision.value} by {listed.owner}, in the profile's decisions (none "
                f"in the register yet; a decision here overrides it): {listed.rationale}"
            )
        ]
    return [Text("  none: the mode is open", style="bold")]


def mode_panel(
    mode: ModeAssessment,
    *,
    rank: int,
    total: int,
    questions: Sequence[ReviewQuestion],
    decision: RegisterDecision | None,
) -> Panel:
    """The mode's risk, why it applies, its indicators, the evidence measured, the questions
    to answer and the decision in place (the register's, else the profile's)."""
    parts: list[Text | str] = [_risk(mode), ""]
    parts.append(Text("Why it applies", style="bold"))
    for reason in mode.reasons:
        parts.append(Text(f"  • {reason.text}" + (" (assumed)" if reason.assumed else "")))
    parts.append(Text("Indicators to watch", style="bold"))
    for indicator in mode.mode.indicators:
        parts.append(Text(f"  • {indicator.name}: {indicator.description}"))
    parts.append(Text("Evidence", style="bold"))
    for finding in mode.findings:
        line = Text("  ")
        line.append(f"{finding.status.value:<5}", style=_STATUS_STYLE.get(finding.status, ""))
        line.append(
            f" {finding.measured} = {number(finding.value)}"
            f" ({threshold_text(finding.threshold)}) by {finding.probe}"
        )
        parts.append(line)
    if not mode.findings:
        untested = mode.untested_reason or "no assessment with findings in the register"
        parts.append(Text(f"  not tested: {untested}", style="dim"))
    if questions:
        parts.append(Text("Questions to answer", style="bold"))
        for question in questions:
            parts.append(Text(f"  {question.id} ({question.answered_by.value}) {question.text}"))
    parts.append(Text("Decision in place", style="bold"))
    parts.extend(_decision_lines(mode, decision))
    title = Text(f"{rank}/{total} · {mode.name} ({mode.id})", style="bold")
    return Panel(Group(*parts), title=title, title_align="left", expand=True)
