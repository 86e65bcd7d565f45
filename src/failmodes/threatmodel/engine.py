"""The threat-model engine: a profile and a catalog in, a ranked register out.

A pure function of its inputs: which failure modes apply and why, their inherent risk, the
owners' decisions and the residual risk they leave, and — when probes have run — the measured
evidence that moved the scores.
"""

from __future__ import annotations

from collections.abc import Sequence

from failmodes.catalog.loader import Catalog, load_catalog
from failmodes.catalog.schema import RISK_ORDER, RiskPolicy
from failmodes.errors import UnknownIdError
from failmodes.findings import EVIDENCE_STATUSES, Finding, Status
from failmodes.profile.loader import stated_and_assumed
from failmodes.profile.schema import Decision, Profile
from failmodes.threatmodel import scoring
from failmodes.threatmodel.evaluate import Reason, evaluate, plain
from failmodes.threatmodel.model import ModeAssessment, ThreatModel
from failmodes.threatmodel.rules import check_rules

#: Findings that count as the mode having been tested.
MEASURED = (*EVIDENCE_STATUSES, Status.INFO)


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
    assumed = frozenset(assumed_values)
    tolerance = RISK_ORDER.index(policy.tolerance)

    assessed = []
    for mode in catalog.modes:
        decision = profile.decisions.get(mode.id)
        if mode.retired is not None:
            reason = Reason(text=f"Retired by {mode.retired.by}: {mode.retired.reason}")
            assessed.append(
                ModeAssessment(
                    id=mode.id,
                    applicable=False,
                    retired=mode.retired.reason,
                    reasons=[reason],
                    decision=decision,
                    mode=mode,
                )
            )
            continue
        if mode.applicability is None:
            applies, reasons = True, [Reason(text="Applies to every ML system.")]
        else:
            applies, reasons = evaluate(mode.applicability, facts, assumed)
        if not applies:
            assessed.append(
                ModeAssessment(
                    id=mode.id, applicable=False, reasons=reasons, decision=decision, mode=mode
                )
            )
            continue
        evidence = scoring.evidence_factor(mode.id, findings, policy.evidence)
        lik, lik_factors = scoring.likelihood(mode, facts, assumed, evidence)
        imp, imp_factors = scoring.impact(mode, profile, facts, assumed)
        inherent = scoring.score(lik, imp, policy)
        residual = scoring.residual(inherent, decision, policy) if decision else None
        mode_findings = [f for f in findings if f.failure_mode == mode.id]
        assessed.append(
            ModeAssessment(
                id=mode.id,
                applicable=True,
                reasons=reasons,
                inherent=inherent,
                likelihood_factors=lik_factors,
                impact_factors=imp_factors,
                decision=decision,
                residual=residual,
                needs_decision=decision is None and RISK_ORDER.index(inherent.risk) > tolerance,
                tested=any(f.status in MEASURED for f in mode_findings),
                findings=mode_findings,
                mode=mode,
            )
        )
    return ThreatModel(
        profile=profile,
        profile_path=str(profile.source) if profile.source else None,
        catalog_version=catalog.version,
        overlays=list(catalog.overlays),
        risk_policy=policy,
        assumed_facts={k: plain(v) for k, v in assumed_values.items()},
        modes=rank(assessed),
    )


def rank(modes: Sequence[ModeAssessment]) -> list[ModeAssessment]:
    """Applicable modes by current risk (score, then inherent score, then severity), then the
    rest in taxonomy order. Owner-excluded modes (``not_applicable``) sort after open ones."""
    severity_rank = {"critical": 3, "important": 2, "moderate": 1, "low": 0}

    def key(m: ModeAssessment) -> tuple[int, int, int, int, int]:
        if not m.applicable or m.inherent is None:
            return (2, 0, 0, 0, m.mode.number or 99)
        excluded = m.decision is not None and m.decision.decision == Decision.NOT_APPLICABLE
        current = m.current.score if m.current is not None else 0
        return (
            1 if excluded else 0,
            -current,
            -m.inherent.score,
            -severity_rank[m.severity.value],
            m.mode.number or 99,
        )

    return sorted(modes, key=key)
