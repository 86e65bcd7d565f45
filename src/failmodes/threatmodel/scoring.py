"""Likelihood and impact on 1–5 scales, each with the factors that moved it.

Likelihood starts at the mode's attack path: every step (access, knowledge, capability, or
for an unintentional failure the conditions it needs) takes the ease of its easiest open
route, and the hardest step sets the start — an attack is as likely as its weakest link
allows. Impact starts at the business impact the owner gave for the security properties the
mode violates (low 2, medium 3, high 4, critical 5). Facts of the profile then add or
subtract, as the catalog's factors say, and measured evidence from probes moves likelihood
last: a failed probe outranks a guess. Both are clamped to 1–5.

Every function takes ``unknown``: the facts to treat as not known. Scoring with the assumed
facts unknown gives the risk the stated facts support; scoring with none unknown gives the
risk if the conservative defaults hold. This module is the only place the numbers are made.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from failmodes.catalog.schema import EvidenceWeights, Factor, FailureMode, RiskPolicy, Step
from failmodes.findings import EVIDENCE_STATUSES, Finding, Status
from failmodes.profile.schema import Decision, DecisionRecord, Level, Profile
from failmodes.threatmodel.evaluate import Reason, evaluate_known
from failmodes.threatmodel.model import AppliedFactor, RiskScore, StepResult

LEVEL_IMPACT = {Level.LOW: 2, Level.MEDIUM: 3, Level.HIGH: 4, Level.CRITICAL: 5}
#: What an unstated business impact counts as in the score from stated facts: the middle.
UNSTATED_IMPACT = LEVEL_IMPACT[Level.MEDIUM]
EASE_WORDS = {1: "very hard", 2: "hard", 3: "moderate", 4: "easy", 5: "trivial"}

Facts = Mapping[str, Any]
FactSet = frozenset[str]


def clamp(value: int) -> int:
    return max(1, min(5, value))


def _factors(
    factors: Sequence[Factor], facts: Facts, assumed: FactSet, unknown: FactSet
) -> list[AppliedFactor]:
    applied = []
    for factor in factors:
        holds, reasons = evaluate_known(factor.when, facts, assumed, unknown=unknown)
        if holds:
            applied.append(AppliedFactor(adjust=factor.adjust, reason=factor.reason, facts=reasons))
    return applied


def attack_path(
    steps: Sequence[Step], facts: Facts, assumed: FactSet, unknown: FactSet
) -> list[StepResult]:
    """Each step with its easiest open route; a step with none open counts as very hard."""
    results = []
    for step in steps:
        best: tuple[int, str, str | None, list[Reason]] | None = None
        pending: list[Reason] = []  # facts that, once stated, might open a route
        for route in step.routes:
            holds: bool | None = True
            reasons: list[Reason] = []
            if route.when is not None:
                holds, reasons = evaluate_known(route.when, facts, assumed, unknown=unknown)
            if holds and (best is None or route.ease > best[0]):
                best = (route.ease, route.reason, route.source, reasons)
            elif holds is None:
                pending += reasons
        if best is not None:
            ease, text, source, reasons = best
            results.append(
                StepResult(
                    id=step.id,
                    need=step.need,
                    summary=step.summary,
                    ease=ease,
                    open=True,
                    route=text,
                    source=source,
                    facts=reasons,
                )
            )
            continue
        named = ", ".join(dict.fromkeys(r.fact for r in pending if r.fact))
        text = "No route is open on the stated facts" + (
            f"; stating {named} may open one." if named else "."
        )
        results.append(
            StepResult(
                id=step.id,
                need=step.need,
                summary=step.summary,
                ease=1,
                open=False,
                route=text,
                facts=pending,
            )
        )
    return results


def evidence_factor(
    mode_id: str, findings: Sequence[Finding], weights: EvidenceWeights
) -> AppliedFactor | None:
    """One factor summarising what the probes measured for ``mode_id``."""
    relevant = [f for f in findings if f.failure_mode == mode_id and f.status in EVIDENCE_STATUSES]
    if not relevant:
        return None

    def names(status: Status) -> str:
        return ", ".join(
            f"{f.measured}={f.value:.3g}" if f.value is not None else f.measured
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
    facts: Facts,
    assumed: FactSet,
    unknown: FactSet,
    evidence: AppliedFactor | None,
) -> tuple[int, list[AppliedFactor], list[StepResult]]:
    """Likelihood, the factors that made it, and the attack path step by step."""
    path = attack_path(mode.likelihood.path, facts, assumed, unknown)
    if path:
        hardest = min(path, key=lambda s: s.ease)
        start = AppliedFactor(
            adjust=hardest.ease,
            reason=f"Hardest step, {hardest.summary[0].lower()}{hardest.summary[1:].rstrip('.')}"
            f" — {EASE_WORDS[hardest.ease]}: {hardest.route}",
            facts=hardest.facts,
            source="path",
        )
    else:
        base = mode.likelihood.base or 1
        start = AppliedFactor(adjust=base, reason="Catalog base likelihood.", source="base")
    applied = [start, *_factors(mode.likelihood.factors, facts, assumed, unknown)]
    if evidence is not None:
        applied.append(evidence)
    return clamp(sum(f.adjust for f in applied)), applied, path


def impact(
    mode: FailureMode, profile: Profile, facts: Facts, assumed: FactSet, unknown: FactSet
) -> tuple[int, list[AppliedFactor]]:
    """Impact from the business impact of the properties the mode violates, then factors."""
    candidates = []
    for prop in mode.impact.properties or mode.violates:
        fact = f"business_impact.{prop.value}"
        level: Level = getattr(profile.business_impact, prop.value)
        if fact in unknown:
            value, words = UNSTATED_IMPACT, f"not stated, counted as {Level.MEDIUM.value}"
        else:
            value, words = LEVEL_IMPACT[level], level.value
        candidates.append((value, prop.value, words, fact in assumed))
    # The worst property sets the base; on a tie, the first the catalog lists.
    value, prop_name, words, was_assumed = max(candidates, key=lambda c: c[0])
    fact = f"business_impact.{prop_name}"
    base = AppliedFactor(
        adjust=value,
        reason=f"It violates {prop_name}; business impact of losing {prop_name}: {words}.",
        facts=[
            Reason(
                text=f"{fact} = {words}",
                fact=fact,
                value=facts.get(fact),
                assumed=was_assumed,
            )
        ],
        source="base",
    )
    applied = [base, *_factors(mode.impact.factors, facts, assumed, unknown)]
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
