"""An assessment seen through a governance framework: the evidence an auditor asks for.

For each requirement the framework's mapping cites (NIST AI RMF subcategory, EU AI Act
article, ISO/IEC 42001 control …), in the framework's own order: the failure modes behind it,
what was measured for each (the findings, with their verdicts), which applicable ones were not
tested and why, and the findings of probe metrics mapped to the requirement directly. Nothing
is measured or scored here; this only regroups what the assessment holds.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from failmodes.catalog.frameworks import Framework
from failmodes.findings import EVIDENCE_STATUSES, Finding, Status
from failmodes.profile.schema import DecisionRecord
from failmodes.threatmodel.model import ThreatModel
from failmodes.threatmodel.outcome import Outcome, outcome


class _Value(BaseModel):
    model_config = ConfigDict(frozen=True)


class Standing(StrEnum):
    """What the assessment offers for one requirement."""

    EVIDENCE = "evidence"  # every applicable mode behind it was measured
    PARTIAL = "partial"  # some were measured, some not
    UNTESTED = "untested"  # modes behind it apply, none was measured
    NOT_APPLICABLE = "not applicable"  # no mode behind it applies to this system


class ModeEvidence(_Value):
    """One failure mode under a requirement, and what was measured for it."""

    id: str
    name: str
    outcome: Outcome
    risk: str | None = None
    findings: list[Finding] = Field(default_factory=list)
    untested_reason: str | None = None
    decision: DecisionRecord | None = Field(
        None, description="The owner's decision on the risk, where one is recorded."
    )


class RequirementEvidence(_Value):
    id: str
    title: str
    standing: Standing
    modes: list[ModeEvidence]
    not_assessed: list[str] = Field(
        default_factory=list,
        description="Mapped failure modes the assessment does not hold (it was made without "
        "the overlay that defines them).",
    )
    mapped_metrics: list[str] = Field(
        default_factory=list, description="Probe metrics the framework maps here directly."
    )
    metrics: list[Finding] = Field(
        default_factory=list,
        description="Findings of probe metrics the framework maps to this requirement directly.",
    )


class FrameworkView(_Value):
    framework: str
    name: str
    source: str
    version: str
    system: str
    catalog_version: str
    requirements: list[RequirementEvidence]

    @property
    def untested(self) -> list[RequirementEvidence]:
        return [r for r in self.requirements if r.standing in (Standing.UNTESTED, Standing.PARTIAL)]


def _is_evidence(finding: Finding) -> bool:
    return finding.status in (*EVIDENCE_STATUSES, Status.INFO)


def framework_view(model: ThreatModel, framework: Framework) -> FrameworkView:
    """``model`` regrouped by the requirements of ``framework``."""
    by_mode = {m.id: m for m in model.modes}
    findings = [f for m in model.modes for f in m.findings if _is_evidence(f)]
    rows = []
    for requirement in framework.cited():
        modes, not_assessed = [], []
        for mode_id, refs in framework.modes.items():
            if requirement not in refs:
                continue
            assessed = by_mode.get(mode_id)
            if assessed is None:
                not_assessed.append(mode_id)
                continue
            place = outcome(assessed)
            modes.append(
                ModeEvidence(
                    id=assessed.id,
                    name=assessed.name,
                    outcome=place,
                    risk=assessed.current.risk.value if assessed.current else None,
                    findings=[f for f in assessed.findings if _is_evidence(f)],
                    untested_reason=assessed.untested_reason
                    if place == Outcome.NOT_TESTED
                    else None,
                    decision=assessed.decision,
                )
            )
        direct = [f for f in findings if requirement in framework.metrics.get(f.metric, [])]
        rows.append(
            RequirementEvidence(
                id=requirement,
                title=framework.requirements[requirement],
                standing=_standing(modes, direct),
                modes=modes,
                not_assessed=not_assessed,
                mapped_metrics=[m for m, refs in framework.metrics.items() if requirement in refs],
                metrics=direct,
            )
        )
    return FrameworkView(
        framework=framework.id,
        name=framework.name,
        source=framework.source,
        version=framework.version,
        system=model.profile.name,
        catalog_version=model.catalog_version,
        requirements=rows,
    )


def _standing(modes: list[ModeEvidence], direct: list[Finding]) -> Standing:
    if not modes:  # mapped through probe metrics, or modes the assessment lacks
        return Standing.EVIDENCE if direct else Standing.UNTESTED
    applicable = [m for m in modes if m.outcome != Outcome.NOT_APPLICABLE]
    measured = [m for m in applicable if m.outcome != Outcome.NOT_TESTED]
    if not applicable:
        return Standing.EVIDENCE if direct else Standing.NOT_APPLICABLE
    if len(measured) == len(applicable):
        return Standing.EVIDENCE
    return Standing.PARTIAL if measured or direct else Standing.UNTESTED
