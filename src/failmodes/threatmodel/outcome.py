"""What a reader, a gate and a diff all ask of an assessed mode first: is it open, was it
tested and how did it fare, how bad is the worst of it.

Each answer is a lookup or a maximum over fields the threat-model engine already set. They
live here once, below the gate, the diff and every renderer, so that none of them can disagree
about what "open" or "failed" means.
"""

from __future__ import annotations

from enum import StrEnum

from failmodes.catalog.schema import RISK_ORDER, RiskLevel
from failmodes.findings import Status
from failmodes.threatmodel.model import ModeAssessment, RiskScore, ThreatModel


class Outcome(StrEnum):
    """A failure mode's place on the coverage map."""

    FAILED = "failed"  # a probe measured a value beyond its fail threshold
    WARNED = "warned"  # the worst measurement passed the warning threshold
    PASSED = "passed"  # measured, and every value within its thresholds
    MEASURED = "measured"  # measured, but no threshold turns the values into a verdict
    NOT_TESTED = "not tested"  # applies, but assessed on paper only
    NOT_APPLICABLE = "not applicable"


#: Finding status → outcome, worst first: one failed measurement makes the mode failed.
_BY_STATUS = (
    (Status.FAIL, Outcome.FAILED),
    (Status.WARN, Outcome.WARNED),
    (Status.PASS, Outcome.PASSED),
    (Status.INFO, Outcome.MEASURED),
)


def outcome(mode: ModeAssessment) -> Outcome:
    """Where ``mode`` stands: not applicable, not tested, or the worst verdict measured."""
    if not mode.applicable:
        return Outcome.NOT_APPLICABLE
    statuses = {f.status for f in mode.findings}
    for status, result in _BY_STATUS:
        if status in statuses:
            return result
    return Outcome.NOT_TESTED


def is_open(mode: ModeAssessment) -> bool:
    """An applicable mode that no owner has decided on (mitigate, accept, transfer, n/a)."""
    return mode.applicable and mode.inherent is not None and mode.decision is None


def in_force(mode: ModeAssessment) -> RiskScore | None:
    """The risk that counts now: residual after a decision, inherent while open, none when the
    mode does not apply or its owner excluded it as not applicable."""
    return mode.current if mode.applicable else None


def overall_risk(model: ThreatModel) -> RiskLevel | None:
    """The highest risk in force across the applicable modes; none when nothing applies."""
    levels = [score.risk for m in model.modes if (score := in_force(m)) is not None]
    return max(levels, key=RISK_ORDER.index) if levels else None


def at_least(level: RiskLevel, floor: RiskLevel) -> bool:
    """Whether ``level`` reaches ``floor`` on the risk scale."""
    return RISK_ORDER.index(level) >= RISK_ORDER.index(floor)
