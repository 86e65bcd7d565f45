"""Small wording helpers shared by the human-facing renderers."""

from __future__ import annotations

from failmodes.threatmodel.evaluate import show_value
from failmodes.threatmodel.model import AppliedFactor, KeyFact, ModeAssessment

#: Factors that set a starting value rather than adjust one.
STARTING = ("base", "path")


def signed(value: int) -> str:
    return f"+{value}" if value > 0 else str(value)


def factor_line(factor: AppliedFactor) -> str:
    if factor.source in STARTING:
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


def potential_words(mode: ModeAssessment) -> str | None:
    """The words "could be critical" for an open risk that assumed facts would raise."""
    if mode.potential is None or mode.decision is not None or mode.inherent is None:
        return None
    if mode.potential.risk == mode.inherent.risk:
        return None
    return f"could be {mode.potential.risk.value}"


def key_fact_line(key: KeyFact, limit: int = 3) -> str:
    """One assumed fact and what stating its assumed value would change."""
    shown = "; ".join(key.changes[:limit])
    more = len(key.changes) - limit
    return (
        f"{key.fact} (assumed {show_value(key.assumed)}): {shown}"
        + (f" (+{more} more)" if more > 0 else "")
        + "."
    )
