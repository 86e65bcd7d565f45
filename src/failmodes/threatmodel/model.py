"""The threat model's values: one assessed failure mode, and the ranked register of them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, computed_field

from failmodes.catalog.schema import FailureMode, Kind, RiskLevel, RiskPolicy, Severity
from failmodes.findings import Finding
from failmodes.profile.schema import DecisionRecord, Profile
from failmodes.threatmodel.evaluate import Reason


class _Value(BaseModel):
    model_config = ConfigDict(frozen=True)


class AppliedFactor(_Value):
    """A factor that moved likelihood or impact, and why."""

    adjust: int
    reason: str
    facts: list[Reason] = Field(default_factory=list)
    source: str = Field("profile", description="`profile` facts, `base` or measured `evidence`.")


class RiskScore(_Value):
    likelihood: int
    impact: int
    score: int
    risk: RiskLevel


class ModeAssessment(_Value):
    """One failure mode of the catalog, assessed for one system."""

    id: str
    applicable: bool
    retired: str | None = None
    reasons: list[Reason]
    inherent: RiskScore | None = None
    likelihood_factors: list[AppliedFactor] = Field(default_factory=list)
    impact_factors: list[AppliedFactor] = Field(default_factory=list)
    decision: DecisionRecord | None = None
    residual: RiskScore | None = None
    needs_decision: bool = False
    tested: bool = False
    findings: list[Finding] = Field(default_factory=list)
    untested_reason: str | None = None
    mode: FailureMode

    # Flat fields of the JSON contract (`id`, `applicable`, `likelihood`, `impact`, `risk`,
    # `score`, `reasons`, `decision`), derived so they can never disagree with the rest.
    @computed_field  # type: ignore[prop-decorator]
    @property
    def name(self) -> str:
        return self.mode.name

    @computed_field  # type: ignore[prop-decorator]
    @property
    def kind(self) -> Kind:
        return self.mode.kind

    @computed_field  # type: ignore[prop-decorator]
    @property
    def severity(self) -> Severity:
        return self.mode.severity.default

    @computed_field  # type: ignore[prop-decorator]
    @property
    def likelihood(self) -> int | None:
        return self.inherent.likelihood if self.inherent else None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def impact(self) -> int | None:
        return self.inherent.impact if self.inherent else None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def score(self) -> int | None:
        return self.inherent.score if self.inherent else None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def risk(self) -> RiskLevel | None:
        return self.inherent.risk if self.inherent else None

    @property
    def current(self) -> RiskScore | None:
        """Residual risk where a decision set one, else inherent."""
        return self.residual if self.decision is not None else self.inherent

    @property
    def assumed_facts(self) -> list[str]:
        seen = [r.fact for r in self.reasons if r.assumed and r.fact]
        seen += [
            r.fact
            for f in (*self.likelihood_factors, *self.impact_factors)
            for r in f.facts
            if r.assumed and r.fact
        ]
        return list(dict.fromkeys(seen))


class ThreatModel(_Value):
    """The ranked register of failure modes for one system."""

    profile: Profile
    profile_path: str | None = None
    catalog_version: str
    overlays: list[str] = Field(default_factory=list)
    risk_policy: RiskPolicy
    assumed_facts: dict[str, Any]
    modes: list[ModeAssessment]

    @property
    def applicable(self) -> list[ModeAssessment]:
        return [m for m in self.modes if m.applicable]

    def get(self, mode_id: str) -> ModeAssessment:
        for mode in self.modes:
            if mode.id == mode_id:
                return mode
        raise KeyError(mode_id)
