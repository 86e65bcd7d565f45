"""Likelihood and impact on 1–5 scales, each with the factors that moved it.

Likelihood starts at the catalog's base for the mode; impact starts at the business impact
the owner gave for the security properties the mode violates (low 2, medium 3, high 4,
critical 5). Facts of the profile then add or subtract, as the catalog's factors say, and
measured evidence from probes moves likelihood last: a failed probe outranks a guess. Both
are clamped to 1–5. This module is the only place where the numbers are computed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from failmodes.catalog.schema import EvidenceWeights, Factor, FailureMode, RiskPolicy
from failmodes.findings import EVIDENCE_STATUSES, Finding, Status
from failmodes.profile.schema import Decision, DecisionRecord, Level, Profile
from failmodes.threatmodel.evaluate import evaluate
from failmodes.threatmodel.model import AppliedFactor, RiskScore

LEVEL_IMPACT = {Level.LOW: 2, Level.MEDIUM: 3, Level.HIGH: 4, Level.CRITICAL: 5}


def clamp(value: int) -> int:
    return max(1, min(5, value))


def _factors(
    factors: Sequence[Factor], facts: Mapping[str, Any], assumed: frozenset[str]
) -> list[AppliedFactor]:
    applied = []
    for factor in factors:
        holds, reasons = evaluate(factor.when, facts, assumed)
        if holds:
            applied.append(AppliedFactor(adjust=factor.adjust, reason=factor.reason, facts=reasons))
    return applied


def evidence_factor(
    mode_id: str, findings: Sequence[Finding], weights: EvidenceWeights
) -> AppliedFactor | None:
    """One factor summarising what the probes measured for ``mode_id``."""
    relevant = [f for f in findings if f.failure_mode == mode_id and f.status in EVIDENCE_STATUSES]
    if not relevant:
        return None

    def names(status: Status) -> str:
        return ", ".join(
            f"{f.metric}={f.value:.3g}" if f.value is not None else f.metric
            for f in relevant
            if f.status == status
        )

    if any(f.status == Status.FAIL for f in relevant):
        adjust, text = weights.fail, f"Measured: {names(Status.FAIL)} beyond the fail threshold."
    elif any(f.status == Status.WARN for f in relevant):
        adjust, text = weights.warn, f"Measured: {names(Status.WARN)} past the warning threshold."
    else:
        adjust, text = weights.passed, f"Measured and within thresholds: {names(Status.PASS)}."
    return AppliedFactor(adjust=adjust, reason=text, source="evidence")


def likelihood(
    mode: FailureMode,
    facts: Mapping[str, Any],
    assumed: frozenset[str],
    evidence: AppliedFactor | None,
) -> tuple[int, list[AppliedFactor]]:
    applied = [
        AppliedFactor(
            adjust=mode.likelihood.base, reason="Catalog base likelihood.", source="base"
        ),
        *_factors(mode.likelihood.factors, facts, assumed),
    ]
    if evidence is not None:
        applied.append(evidence)
    return clamp(sum(f.adjust for f in applied)), applied


def impact(
    mode: FailureMode, profile: Profile, facts: Mapping[str, Any], assumed: frozenset[str]
) -> tuple[int, list[AppliedFactor]]:
    properties = mode.impact.properties or mode.violates
    levels = {p.value: getattr(profile.business_impact, p.value) for p in properties}
    worst = max(levels, key=lambda p: LEVEL_IMPACT[levels[p]])
    base = AppliedFactor(
        adjust=LEVEL_IMPACT[levels[worst]],
        reason=f"Business impact of losing {worst}: {levels[worst].value}.",
        source="base",
    )
    applied = [base, *_factors(mode.impact.factors, facts, assumed)]
    return clamp(sum(f.adjust for f in applied)), applied


def score(likelihood_value: int, impact_value: int, policy: RiskPolicy) -> RiskScore:
    return RiskScore(
        likelihood=likelihood_value,
        impact=impact_value,
        score=likelihood_value * impact_value,
        risk=policy.level(likelihood_value, impact_value),
    )


def residual(inherent: RiskScore, decision: DecisionRecord, policy: RiskPolicy) -> RiskScore | None:
    """Risk left after the owner's decision (see ``DecisionRecord.residual`` for the defaults)."""
    if decision.decision == Decision.NOT_APPLICABLE:
        return None
    lik, imp = inherent.likelihood, inherent.impact
    if decision.decision == Decision.MITIGATE:
        lik = clamp(lik - min(2, len(decision.mitigations_in_place)))
    elif decision.decision == Decision.TRANSFER:
        imp = clamp(imp - 1)
    if decision.residual is not None:
        lik = decision.residual.likelihood or lik
        imp = decision.residual.impact or imp
    return score(lik, imp, policy)
