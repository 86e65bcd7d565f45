"""Small wording helpers shared by the human-facing renderers."""

from __future__ import annotations

from failmodes.threatmodel.model import AppliedFactor, ModeAssessment


def signed(value: int) -> str:
    return f"+{value}" if value > 0 else str(value)


def factor_line(factor: AppliedFactor) -> str:
    if factor.source == "base":
        return f"{factor.adjust} — {factor.reason}"
    assumed = " (assumed)" if any(r.assumed for r in factor.facts) else ""
    return f"{signed(factor.adjust)} — {factor.reason}{assumed}"


def decision_label(mode: ModeAssessment) -> str:
    if mode.decision is None:
        return "decision needed" if mode.needs_decision else "—"
    return mode.decision.decision.value.replace("_", " ")


def why(mode: ModeAssessment) -> str:
    """The reasons as one sentence, marking facts that were assumed."""
    parts = [r.text.rstrip(".") + (" (assumed)" if r.assumed else "") for r in mode.reasons]
    return "; ".join(parts) + "."


def brief_why(mode: ModeAssessment) -> str:
    """The first reason, and how many more there are (for narrow tables)."""
    first = mode.reasons[0]
    text = first.text.rstrip(".") + (" (assumed)" if first.assumed else "")
    more = len(mode.reasons) - 1
    return text + (f" (+{more} more)" if more else "") + "."
