"""The release gate: does an assessment pass the organization's policy?

The policy is data (:class:`~failmodes.catalog.schema.GatePolicy`): the catalog's default,
changed by overlays (an organization's guideline), then by command-line flags for one run.
Each rule is off unless set:

``fail_on_risk``              an *open* risk — an applicable mode no owner has decided on —
                              at or above this level fails. A decision to mitigate, accept,
                              transfer or mark it not applicable, with its rationale, closes it.
``fail_on_findings``          a finding with one of these verdicts (fail, warn) fails.
``fail_on_untested``          an applicable mode that no probe measured fails (a mode its owner
                              marked not applicable is exempt).
``fail_on_missing_decision``  a risk above the tolerance without a decision fails.

The gate reads the assessment and says why it failed, one reason per mode or finding; the
command line turns a failed gate into :data:`~failmodes.errors.EXIT_POLICY_FAILED`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pydantic import BaseModel, ConfigDict

from failmodes.catalog.schema import GatePolicy, RiskLevel, Verdict
from failmodes.findings import Finding, Status, number
from failmodes.threatmodel.model import ThreatModel
from failmodes.threatmodel.outcome import Outcome, at_least, is_open, outcome


class GateResult(BaseModel):
    """Whether the gate passed, and every reason it did not."""

    model_config = ConfigDict(frozen=True)

    passed: bool
    reasons: list[str]

    @classmethod
    def of(cls, reasons: Sequence[str]) -> GateResult:
        return cls(passed=not reasons, reasons=list(reasons))


def merge_policy(
    base: GatePolicy,
    *,
    fail_on_risk: RiskLevel | None = None,
    clear_risk: bool = False,
    fail_on_findings: Sequence[Verdict] | None = None,
    fail_on_untested: bool | None = None,
    fail_on_missing_decision: bool | None = None,
) -> GatePolicy:
    """``base`` with the values a caller set (``None`` keeps the base's); ``clear_risk`` turns
    the risk rule off (``--fail-on none``)."""
    update: dict[str, object] = {}
    if clear_risk:
        update["fail_on_risk"] = None
    elif fail_on_risk is not None:
        update["fail_on_risk"] = fail_on_risk
    if fail_on_findings is not None:
        update["fail_on_findings"] = list(dict.fromkeys(fail_on_findings))
    if fail_on_untested is not None:
        update["fail_on_untested"] = fail_on_untested
    if fail_on_missing_decision is not None:
        update["fail_on_missing_decision"] = fail_on_missing_decision
    return base.model_copy(update=update)


def evaluate_findings(findings: Iterable[Finding], policy: GatePolicy) -> GateResult:
    """The policy's finding rule alone (``fail_on_findings``): how monitoring alerts, on the
    same verdicts and the same policy as a CI gate."""
    verdicts = {Status(v.value) for v in policy.fail_on_findings}
    return GateResult.of(
        [
            f"{f.failure_mode}: {f.probe} measured {f.measured} = {number(f.value)} "
            f"({f.status.value})"
            for f in findings
            if f.status in verdicts
        ]
    )


def evaluate_gate(model: ThreatModel, policy: GatePolicy) -> GateResult:
    """Apply ``policy`` to a threat model or assessment."""
    reasons: list[str] = []
    floor = policy.fail_on_risk
    if floor is not None:
        for m in model.applicable:
            if not is_open(m) or m.inherent is None:
                continue
            if at_least(m.inherent.risk, floor):
                reasons.append(
                    f"{m.name} ({m.id}): open {m.inherent.risk.value} risk "
                    f"(L{m.inherent.likelihood}×I{m.inherent.impact}) is at or above the gate's "
                    f"level ({floor.value}); mitigate it, or accept it with a rationale in the "
                    "profile's `decisions:`"
                )
            elif m.potential is not None and at_least(m.potential.risk, floor):
                # Leaving a fact out must not pass a gate that stating it would fail.
                reasons.append(
                    f"{m.name} ({m.id}): could be {m.potential.risk.value} "
                    f"(L{m.potential.likelihood}×I{m.potential.impact}) on assumed facts "
                    f"({', '.join(m.assumptions)}), at or above the gate's level "
                    f"({floor.value}); state those facts in the profile, or decide on the risk"
                )
    reasons += evaluate_findings([f for m in model.modes for f in m.findings], policy).reasons
    if policy.fail_on_untested:
        reasons += [
            f"{m.name} ({m.id}): applies but was not tested"
            + (f" ({m.untested_reason})" if m.untested_reason else "")
            for m in model.applicable
            if outcome(m) == Outcome.NOT_TESTED and m.current is not None
        ]
    if policy.fail_on_missing_decision:
        reasons += [
            f"{m.name} ({m.id}): {m.inherent.risk.value} risk is above the tolerance "
            f"({model.risk_policy.tolerance.value}) and has no owner decision"
            for m in model.modes
            if m.needs_decision and m.inherent is not None
        ]
    return GateResult.of(reasons)
