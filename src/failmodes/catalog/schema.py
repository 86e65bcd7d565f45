"""The failure-mode catalog schema: what one failure mode of the taxonomy is, as data.

One YAML file per failure mode, validated on load. Text fields are written by this project
in its own words; facts (paper, venue, year, ATLAS ids) are cited. Applicability and scoring
rules are declarative conditions (:mod:`failmodes.catalog.conditions`), so an overlay can
change them without touching Python.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from failmodes.catalog.conditions import Condition

CATALOG_SCHEMA_VERSION = 1

ModeId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
Slug = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=80)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Kind(StrEnum):
    INTENTIONAL = "intentional"
    UNINTENTIONAL = "unintentional"


class SecurityProperty(StrEnum):
    CONFIDENTIALITY = "confidentiality"
    INTEGRITY = "integrity"
    AVAILABILITY = "availability"
    SAFETY = "safety"


class Access(StrEnum):
    """The position an attacker needs, or none for unintentional failures."""

    BLACK_BOX_QUERIES = "black_box_queries"
    WHITE_BOX = "white_box"
    TRAINING_DATA = "training_data"
    TRAINING_PROCESS = "training_process"
    SUPPLY_CHAIN = "supply_chain"
    PHYSICAL_ENVIRONMENT = "physical_environment"
    SOFTWARE_STACK = "software_stack"
    NONE = "none"


class Knowledge(StrEnum):
    BLACK_BOX = "black_box"
    GREY_BOX = "grey_box"
    WHITE_BOX = "white_box"
    NOT_APPLICABLE = "not_applicable"


class Stage(StrEnum):
    DESIGN = "design"
    DATA_COLLECTION = "data_collection"
    TRAINING = "training"
    PACKAGING = "packaging"
    DEPLOYMENT = "deployment"
    MONITORING = "monitoring"


class Severity(StrEnum):
    """Severity in the vocabulary of Microsoft's SDL bug bar."""

    LOW = "low"
    MODERATE = "moderate"
    IMPORTANT = "important"
    CRITICAL = "critical"


class RiskLevel(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


RISK_ORDER = [RiskLevel.LOW, RiskLevel.MEDIUM, RiskLevel.HIGH, RiskLevel.CRITICAL]


class Direction(StrEnum):
    """Which side of a threshold is bad."""

    ABOVE = "above"  # a value above the threshold is a problem (e.g. attack AUC)
    BELOW = "below"  # a value below the threshold is a problem (e.g. robust accuracy)


class Verdict(StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"


class Threshold(_Strict):
    """Where a measured value turns into a warning or a failure."""

    direction: Direction
    warn: float | None = None
    fail: float | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Threshold:
        if self.warn is None and self.fail is None:
            raise ValueError("a threshold needs `warn`, `fail` or both")
        if self.warn is not None and self.fail is not None:
            ok = (
                self.warn <= self.fail
                if self.direction == Direction.ABOVE
                else self.warn >= self.fail
            )
            if not ok:
                raise ValueError(
                    f"with direction `{self.direction}`, `warn` ({self.warn}) must come before "
                    f"`fail` ({self.fail})"
                )
        return self

    def verdict(self, value: float) -> Verdict:
        """Measurement, then verdict: where ``value`` falls against this threshold."""

        def beyond(limit: float | None) -> bool:
            if limit is None:
                return False
            return value > limit if self.direction == Direction.ABOVE else value < limit

        if beyond(self.fail):
            return Verdict.FAIL
        if beyond(self.warn):
            return Verdict.WARN
        return Verdict.PASS


class Variant(_Strict):
    id: Slug
    name: str
    summary: str
    severity: Severity | None = None


class Attacker(_Strict):
    access: list[Access] = Field(min_length=1)
    knowledge: list[Knowledge] = Field(min_length=1)
    summary: str


class Indicator(_Strict):
    """Something a team can measure or watch that shows the failure mode happening."""

    id: Slug
    name: str
    description: str
    threshold: Threshold | None = Field(
        None, description="Where a probe's measurement of this indicator warns or fails."
    )


class ProbeStatus(StrEnum):
    AVAILABLE = "available"
    PLANNED = "planned"


class ProbeRef(_Strict):
    id: Slug
    status: ProbeStatus
    summary: str


class Mitigation(_Strict):
    id: Slug
    summary: str
    atlas: list[str] = Field(default_factory=list, description="ATLAS mitigation ids (AML.M…).")


class Reference(_Strict):
    title: str
    authors: str
    venue: str
    year: int = Field(ge=1950, le=2100)
    url: str | None = None


class CrossReferences(_Strict):
    atlas: list[str] = Field(default_factory=list, description="MITRE ATLAS technique ids.")
    owasp_ml: list[str] = Field(
        default_factory=list, description="OWASP Machine Learning Security Top 10 (2023) ids."
    )
    nist_ai_100_2: list[str] = Field(
        default_factory=list, description="NIST AI 100-2 (E2025) attack class ids (NISTAML.…)."
    )


class SeverityInfo(_Strict):
    default: Severity = Field(description="Severity when the failure mode is exploited.")
    bug_bar: str | None = Field(
        None, description="Microsoft's AI/ML bug bar rating, verbatim, where it has one."
    )
    rationale: str


class Factor(_Strict):
    """A fact that raises or lowers likelihood or impact when its condition holds."""

    when: Condition
    adjust: int = Field(ge=-3, le=3)
    reason: str


class Need(StrEnum):
    """What a step of an attack path asks of the attacker — or, for an unintentional failure,
    what the system and its world must supply for the failure to happen."""

    ACCESS = "access"
    KNOWLEDGE = "knowledge"
    CAPABILITY = "capability"
    CONDITION = "condition"


class Route(_Strict):
    """One way a step of the path is met, and how easily (1 very hard … 5 trivial)."""

    when: Condition | None = Field(
        None, description="The facts that open this route; absent means it is always open."
    )
    ease: int = Field(ge=1, le=5, description="1 very hard, 2 hard, 3 moderate, 4 easy, 5 trivial.")
    reason: str
    source: str = Field(
        min_length=3,
        description="Where this route is documented: the taxonomy, an ATLAS case study, a paper.",
    )


class Step(_Strict):
    """One thing every attack (or failure) of the mode needs; its easiest open route counts.

    The ``id`` lets an overlay change one step's routes and leave the others.
    """

    id: Slug
    need: Need
    summary: str
    routes: list[Route] = Field(min_length=1)


class LikelihoodRule(_Strict):
    """Likelihood from the attack path, then factors (motive, controls) that move it.

    With a ``path``, likelihood starts at the ease of the hardest step, each step taking its
    easiest open route: an attack is as likely as its weakest link allows. Custom modes may
    give a flat ``base`` instead.
    """

    base: int | None = Field(
        None, ge=1, le=5, description="Likelihood before any factor, for a mode without a path."
    )
    path: list[Step] = Field(
        default_factory=list, description="What an attacker needs, step by step, and the routes."
    )
    factors: list[Factor] = Field(default_factory=list)

    @model_validator(mode="after")
    def _base_or_path(self) -> LikelihoodRule:
        if (self.base is None) == (not self.path):
            raise ValueError("likelihood needs exactly one of `base` or `path`")
        ids = [step.id for step in self.path]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate path step id(s): {', '.join(dupes)}")
        return self


class ImpactRule(_Strict):
    properties: list[SecurityProperty] | None = Field(
        None,
        description="Business-impact properties that set the base impact (their maximum). "
        "Default: the properties the mode violates.",
    )
    factors: list[Factor] = Field(default_factory=list)


class Retirement(_Strict):
    reason: str
    by: str = Field(description="The overlay that retired it.")


class FailureMode(_Strict):
    """One failure mode of the taxonomy (or an organization's own, added by an overlay)."""

    id: ModeId
    number: int | None = Field(
        None, description="Position in Microsoft's taxonomy (1–17); none for custom modes."
    )
    name: str
    aliases: list[str] = Field(default_factory=list)
    kind: Kind
    summary: str
    example: str
    violates: list[SecurityProperty] = Field(min_length=1)
    breaks_access_control: bool | None = Field(
        description="Whether the attacker must break traditional access control; null for "
        "unintentional failures."
    )
    attacker: Attacker
    lifecycle: list[Stage] = Field(min_length=1)
    impacts: list[str] = Field(min_length=1)
    variants: list[Variant] = Field(default_factory=list)
    indicators: list[Indicator] = Field(min_length=1)
    probes: list[ProbeRef] = Field(default_factory=list)
    mitigations: list[Mitigation] = Field(min_length=1)
    references: list[Reference] = Field(min_length=1)
    xrefs: CrossReferences = Field(default_factory=CrossReferences)
    severity: SeverityInfo
    applicability: Condition | None = Field(
        None, description="When the mode applies to a system; absent means it always applies."
    )
    likelihood: LikelihoodRule
    impact: ImpactRule = Field(default_factory=ImpactRule)
    source: str = Field(
        "failmodes", description="Who defined this mode: failmodes, or the overlay that added it."
    )
    retired: Retirement | None = None

    @model_validator(mode="after")
    def _unique_ids(self) -> FailureMode:
        for field in ("variants", "indicators", "probes", "mitigations"):
            ids = [item.id for item in getattr(self, field)]
            dupes = sorted({i for i in ids if ids.count(i) > 1})
            if dupes:
                raise ValueError(f"duplicate {field} id(s): {', '.join(dupes)}")
        if self.kind == Kind.UNINTENTIONAL and self.breaks_access_control is not None:
            raise ValueError("`breaks_access_control` is null for unintentional failure modes")
        return self

    def threshold_for(self, metric: str) -> Threshold | None:
        """The catalog's threshold for the indicator ``metric``, if it defines one."""
        for indicator in self.indicators:
            if indicator.id == metric:
                return indicator.threshold
        return None


class EvidenceWeights(_Strict):
    """How a probe's verdict moves likelihood (a measured failure is stronger than a guess)."""

    fail: int = Field(1, ge=0, le=3)
    warn: int = Field(0, ge=0, le=3)
    passed: int = Field(-1, ge=-3, le=0, alias="pass")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class RiskPolicy(_Strict):
    """The risk matrix and tolerance: the organization's appetite for risk."""

    matrix: list[list[RiskLevel]] = Field(
        description="5×5: row i is likelihood i+1, column j is impact j+1."
    )
    tolerance: RiskLevel = Field(description="Highest risk level that needs no owner decision.")
    evidence: EvidenceWeights = Field(default_factory=EvidenceWeights)

    @model_validator(mode="after")
    def _five_by_five(self) -> RiskPolicy:
        if len(self.matrix) != 5 or any(len(row) != 5 for row in self.matrix):
            raise ValueError("the risk matrix must have 5 rows of 5 levels")
        return self

    def level(self, likelihood: int, impact: int) -> RiskLevel:
        return self.matrix[likelihood - 1][impact - 1]


class ArtifactPolicy(_Strict):
    """An organization's additions to the model-file scanner's built-in lists.

    ``allow`` names callables (``module.qualname``; ``module.*`` for a whole module) that real
    model files of the organization use; ``deny`` names callables to treat as critical, with
    the reason shown in findings.
    """

    allow: list[str] = Field(default_factory=list)
    deny: dict[str, str] = Field(default_factory=dict)


class GatePolicy(_Strict):
    """When an assessment fails a pipeline: the organization's release gate, as data.

    Each rule is off when left out; the command line's ``--fail-on`` and friends override.
    """

    fail_on_risk: RiskLevel | None = Field(
        None,
        description="Fail when an open risk (no mitigate/accept/transfer decision) is at "
        "or above this level.",
    )
    fail_on_findings: list[Verdict] = Field(
        default_factory=list, description="Fail on findings with these verdicts (fail, warn)."
    )
    fail_on_untested: bool = Field(
        False, description="Fail when an applicable failure mode was not tested."
    )
    fail_on_missing_decision: bool = Field(
        False, description="Fail when a risk above the tolerance has no owner decision."
    )


class Evidence(StrEnum):
    """The kind of evidence that answers a review question."""

    TELEMETRY = "telemetry"  # what production monitoring shows
    PROCESS = "process"  # how the team works: reviews, inventories, playbooks
    CONFIG = "config"  # how the system is set up: interfaces, access, outputs
    TEST = "test"  # what a probe or an evaluation measures


class ReviewQuestion(_Strict):
    """A question a threat-modeling session asks about the failure modes it names."""

    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_.-]*$")
    text: str = Field(min_length=1)
    modes: list[str] = Field(min_length=1, description="Failure mode ids it helps decide on.")
    answered_by: Evidence


class ReviewQuestions(_Strict):
    """The catalog's questions file: considerations and the questions under them."""

    source: str
    considerations: dict[str, str]
    questions: list[ReviewQuestion]


class CatalogSettings(_Strict):
    """The catalog's own file: its version and the default risk policy."""

    catalog_version: str
    schema_version: int = CATALOG_SCHEMA_VERSION
    taxonomy: str
    risk: RiskPolicy
    policy: GatePolicy = Field(default_factory=GatePolicy)
