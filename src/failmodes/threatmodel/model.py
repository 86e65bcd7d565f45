"""The threat model's values: one assessed failure mode, and the ranked register of them."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, computed_field

from failmodes.catalog.schema import FailureMode, Kind, Need, RiskLevel, RiskPolicy, Severity
from failmodes.findings import Finding
from failmodes.profile.schema import DecisionRecord, Profile
from failmodes.threatmodel.evaluate import Reason, show_value


class _Value(BaseModel):
    model_config = ConfigDict(frozen=True)


class AppliedFactor(_Value):
    """A factor that moved likelihood or impact, and why."""

    adjust: int
    reason: str
    facts: list[Reason] = Field(default_factory=list)
    source: str = Field(
        "profile",
        description="`profile` facts, the attack `path`, a flat `base`, or measured `evidence`.",
    )


class StepResult(_Value):
    """One step of a mode's attack path as this system meets it."""

    id: str
    need: Need
    summary: str
    ease: int = Field(description="Ease of the easiest open route, 1 when none is open.")
    open: bool
    route: str = Field(description="Why the easiest open route is open, or why none is.")
    source: str | None = Field(None, description="Where that route is documented.")
    facts: list[Reason] = Field(default_factory=list)


class Confidence(StrEnum):
    """Whether a score rests on stated facts alone or also on assumed defaults."""

    STATED = "stated"
    ASSUMED = "assumed"


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
    inherent: RiskScore | None = Field(
        None, description="Risk from the stated facts; what the ranking is built on."
    )
    confidence: Confidence = Confidence.STATED
    potential: RiskScore | None = Field(
        None,
        description="Higher risk the mode would carry if the assumed defaults it depends on "
        "hold; none when stated facts settle it.",
    )
    assumptions: dict[str, Any] = Field(
        default_factory=dict,
        description="Assumed facts (with their default values) that the potential or the "
        "applicability depends on: the answers to state.",
    )
    path: list[StepResult] = Field(default_factory=list)
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

    @computed_field  # type: ignore[prop-decorator]
    @property
    def could_be(self) -> str | None:
        """The higher risk the assumed facts would give, and which facts, in words."""
        if not self.assumptions:
            return None
        facts = ", ".join(f"{k} = {show_value(v)}" for k, v in self.assumptions.items())
        if self.potential is None:
            return f"Applies only if, as assumed, {facts}."
        p = self.potential
        return f"Could be {p.risk.value} ({p.likelihood}×{p.impact}) if, as assumed, {facts}."


class KeyFact(_Value):
    """An assumed fact whose answer would move the ranking most."""

    fact: str
    assumed: Any
    changes: list[str] = Field(
        description="What stating the assumed value would do, one line per failure mode."
    )
    shift: int = Field(description="Total change in risk score over all failure modes.")


class ThreatModel(_Value):
    """The ranked register of failure modes for one system."""

    profile: Profile
    profile_path: str | None = None
    catalog_version: str
    overlays: list[str] = Field(default_factory=list)
    risk_policy: RiskPolicy
    assumed_facts: dict[str, Any]
    key_facts: list[KeyFact] = Field(
        default_factory=list,
        description="Up to three assumed facts whose answers would change the ranking most.",
    )
    modes: list[ModeAssessment]

    @property
    def applicable(self) -> list[ModeAssessment]:
        return [m for m in self.modes if m.applicable]

    def top(self, n: int) -> list[ModeAssessment]:
        """The ``n`` highest-ranked applicable failure modes."""
        return self.applicable[:n]

    def get(self, mode_id: str) -> ModeAssessment:
        for mode in self.modes:
            if mode.id == mode_id:
                return mode
        raise KeyError(mode_id)
