"""The threat-model engine: a profile and a catalog in, a ranked register out.

A pure function of its inputs: which failure modes apply and why, their inherent risk, the
owners' decisions and the residual risk they leave, and — when probes have run — the measured
evidence that moved the scores.

Each mode is scored twice. Once from the stated facts alone, the assumed ones treated as
unknown: that is the risk the register ranks by, so a guess never outranks what the owner
said. Once with the conservative defaults in place: where that is higher, the mode carries it
as its *potential* ("could be critical if …") and names the facts to state. The facts whose
answers would move the ranking most are reported as the threat model's key facts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from failmodes.catalog import Catalog, load_catalog
from failmodes.catalog.schema import RISK_ORDER, FailureMode, RiskPolicy
from failmodes.errors import UnknownIdError
from failmodes.findings import EVIDENCE_STATUSES, Finding, Status
from failmodes.profile.loader import stated_and_assumed
from failmodes.profile.schema import Decision, Profile
from failmodes.threatmodel import scoring
from failmodes.threatmodel.evaluate import Reason, evaluate_known, plain
from failmodes.threatmodel.model import (
    AppliedFactor,
    Confidence,
    KeyFact,
    ModeAssessment,
    RiskScore,
    StepResult,
    ThreatModel,
)
from failmodes.threatmodel.rules import check_rules

#: Findings that count as the mode having been tested.
MEASURED = (*EVIDENCE_STATUSES, Status.INFO)
#: How many key facts the threat model names.
KEY_FACTS = 3
NONE: frozenset[str] = frozenset()


def effective_policy(catalog: Catalog, profile: Profile) -> RiskPolicy:
    """The catalog's risk policy with the profile's own matrix and tolerance, if it sets them."""
    update: dict[str, object] = {}
    if profile.risk.matrix is not None:
        update["matrix"] = profile.risk.matrix
    if profile.risk.tolerance is not None:
        update["tolerance"] = profile.risk.tolerance
    if not update:
        return catalog.risk
    return RiskPolicy.model_validate({**catalog.risk.model_dump(by_alias=True), **update})


@dataclass(frozen=True)
class _Scored:
    """One mode scored with a given set of facts treated as unknown."""

    applies: bool | None
    reasons: list[Reason]
    score: RiskScore | None = None
    likelihood: list[AppliedFactor] = field(default_factory=list)
    impact: list[AppliedFactor] = field(default_factory=list)
    path: list[StepResult] = field(default_factory=list)


@dataclass(frozen=True)
class _Context:
    profile: Profile
    facts: Mapping[str, Any]
    assumed: frozenset[str]
    policy: RiskPolicy
    findings: Sequence[Finding]

    def score(self, mode: FailureMode, unknown: frozenset[str]) -> _Scored:
        if mode.applicability is None:
            applies: bool | None = True
            reasons = [Reason(text="Applies to every ML system.")]
        else:
            applies, reasons = evaluate_known(
                mode.applicability, self.facts, self.assumed, unknown=unknown
            )
        if applies is False:
            return _Scored(applies, reasons)
        evidence = scoring.evidence_factor(mode.id, self.findings, self.policy.evidence)
        lik, lik_factors, path = scoring.likelihood(
            mode, self.facts, self.assumed, unknown, evidence
        )
        imp, imp_factors = scoring.impact(mode, self.profile, self.facts, self.assumed, unknown)
        return _Scored(
            applies,
            reasons,
            scoring.score(lik, imp, self.policy),
            lik_factors,
            imp_factors,
            path,
        )


def threat_model(
    profile: Profile,
    catalog: Catalog | None = None,
    *,
    findings: Sequence[Finding] = (),
) -> ThreatModel:
    """Assess every failure mode of ``catalog`` for the system described by ``profile``."""
    catalog = catalog if catalog is not None else load_catalog()
    check_rules(catalog)
    known = {m.id for m in catalog.modes}
    for mode_id in profile.decisions:
        if mode_id not in known:
            where = f"{profile.source}: " if profile.source else ""
            raise UnknownIdError(
                f"{where}decisions: unknown failure mode id {mode_id!r}; "
                "run `failmodes catalog list` for the ids."
            )
    policy = effective_policy(catalog, profile)
    stated, assumed_values = stated_and_assumed(profile)
    facts = {k: plain(v) for k, v in {**stated, **assumed_values}.items()}
    context = _Context(profile, facts, frozenset(assumed_values), policy, findings)
    assessed = [_assess(mode, context) for mode in catalog.modes]
    return ThreatModel(
        profile=profile,
        profile_path=str(profile.source) if profile.source else None,
        catalog_version=catalog.version,
        overlays=list(catalog.overlays),
        risk_policy=policy,
        assumed_facts={k: plain(v) for k, v in assumed_values.items()},
        key_facts=key_facts(catalog.modes, assessed, context),
        modes=rank(assessed),
    )


def _assess(mode: FailureMode, context: _Context) -> ModeAssessment:
    decision = context.profile.decisions.get(mode.id)
    if mode.retired is not None:
        reason = Reason(text=f"Retired by {mode.retired.by}: {mode.retired.reason}")
        return ModeAssessment(
            id=mode.id,
            applicable=False,
            retired=mode.retired.reason,
            reasons=[reason],
            decision=decision,
            mode=mode,
        )
    stated = context.score(mode, context.assumed)
    worst = context.score(mode, NONE) if context.assumed else stated
    if stated.score is None or worst.score is None:
        # Settled by stated facts, or not applicable even with every default assumed.
        source = stated if stated.applies is False else worst
        return ModeAssessment(
            id=mode.id, applicable=False, reasons=source.reasons, decision=decision, mode=mode
        )
    inherent = stated.score
    potential = worst.score if worst.score.score > inherent.score else None
    assumptions = (
        _assumptions(stated, worst, context.assumed) if potential or stated.applies is None else {}
    )
    tolerance = RISK_ORDER.index(context.policy.tolerance)
    mode_findings = [f for f in context.findings if f.failure_mode == mode.id]
    return ModeAssessment(
        id=mode.id,
        applicable=True,
        reasons=stated.reasons if stated.applies else worst.reasons,
        inherent=inherent,
        confidence=Confidence.ASSUMED if assumptions or potential else Confidence.STATED,
        potential=potential,
        assumptions={k: context.facts.get(k) for k in assumptions},
        path=stated.path,
        likelihood_factors=stated.likelihood,
        impact_factors=stated.impact,
        decision=decision,
        residual=scoring.residual(inherent, decision, context.policy) if decision else None,
        needs_decision=decision is None and RISK_ORDER.index(inherent.risk) > tolerance,
        tested=any(f.status in MEASURED for f in mode_findings),
        findings=mode_findings,
        mode=mode,
    )


def _assumptions(stated: _Scored, worst: _Scored, assumed: frozenset[str]) -> dict[str, None]:
    """Assumed facts behind what the worst case adds to the stated case, in order."""
    out: dict[str, None] = {}

    def take(reasons: Sequence[Reason]) -> None:
        for r in reasons:
            for fact in (r.fact or "").split(", "):
                if r.assumed and fact in assumed:
                    out.setdefault(fact, None)

    if stated.applies is not True:
        take(worst.reasons)
    by_step = {s.id: s for s in stated.path}
    for step in worst.path:
        if step.ease > by_step[step.id].ease:
            take(step.facts)
    for mine, theirs in ((worst.likelihood, stated.likelihood), (worst.impact, stated.impact)):
        kept = {(f.reason, f.adjust) for f in theirs}
        for factor in mine:
            if factor.source != "path" and (factor.reason, factor.adjust) not in kept:
                take(factor.facts)
    return out


def key_facts(
    modes: Sequence[FailureMode], assessed: Sequence[ModeAssessment], context: _Context
) -> list[KeyFact]:
    """The assumed facts whose answers would change the ranking most.

    For each assumed fact that some mode depends on, score every mode as if the owner had
    stated the assumed value, and add up how far the risk scores move.
    """
    by_id = {m.id: m for m in assessed}
    candidates = dict.fromkeys(fact for m in assessed for fact in m.assumptions)
    ranked = []
    for fact in candidates:
        unknown = context.assumed - {fact}
        changes: list[tuple[int, str]] = []
        for mode in modes:
            before = by_id[mode.id]
            if before.retired is not None:
                continue
            after = context.score(mode, unknown)
            old = before.inherent.score if before.applicable and before.inherent else 0
            # Stating one fact cannot make a mode apply that the defaults already rule out.
            applies = after.applies is True or (after.applies is None and before.applicable)
            new = after.score.score if after.score and applies else 0
            if new != old:
                changes.append((new - old, _change(before, after if applies else None)))
        if changes:
            shift = sum(abs(d) for d, _ in changes)
            lines = [text for _, text in sorted(changes, key=lambda c: -abs(c[0]))]
            ranked.append(
                KeyFact(fact=fact, assumed=context.facts.get(fact), changes=lines, shift=shift)
            )
    ranked.sort(key=lambda k: (-k.shift, k.fact))
    return ranked[:KEY_FACTS]


def _change(before: ModeAssessment, after: _Scored | None) -> str:
    was = before.inherent.risk.value if before.applicable and before.inherent else "n/a"
    now = after.score.risk.value if after and after.score else "n/a"
    if was == now and after and after.score and before.inherent:
        return f"{before.name}: {was}, {before.inherent.score} → {after.score.score}"
    return f"{before.name}: {was} → {now}"


def rank(modes: Sequence[ModeAssessment]) -> list[ModeAssessment]:
    """Applicable modes by current risk from stated facts, then stated before assumed, then
    the potential, severity and taxonomy order; the rest after them in taxonomy order.
    Owner-excluded modes (``not_applicable``) sort after open ones."""
    severity_rank = {"critical": 3, "important": 2, "moderate": 1, "low": 0}

    def key(m: ModeAssessment) -> tuple[int, ...]:
        if not m.applicable or m.inherent is None:
            return (2, 0, 0, 0, 0, 0, m.mode.number or 99)
        excluded = m.decision is not None and m.decision.decision == Decision.NOT_APPLICABLE
        current = m.current.score if m.current is not None else 0
        return (
            1 if excluded else 0,
            -current,
            -m.inherent.score,
            0 if m.confidence == Confidence.STATED else 1,
            -(m.potential.score if m.potential else m.inherent.score),
            -severity_rank[m.severity.value],
            m.mode.number or 99,
        )

    return sorted(modes, key=key)
