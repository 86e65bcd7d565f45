"""A workshop's agenda: the failure modes that apply to a system, in risk order, each with what
a team needs on the table to decide on it.

For every applicable mode of the register's current threat model (latest profile, catalog and
overlay, decisions, the findings of the latest assessment) an item carries why the mode
applies (the matched applicability), the indicators to watch, the findings that measured them,
the review questions of Microsoft's *Threat Modeling AI/ML Systems and Dependencies* that help
decide on it, and the decision in place with its revision.

The order is the inherent ranking, decisions set aside: a decision lowers a mode's risk in
force (and ``not applicable`` sends it to the end of the threat model's ranking), and an agenda
that reshuffled itself as the team decided would lose its place on resume.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from failmodes.catalog.schema import Indicator, ReviewQuestion
from failmodes.findings import EVIDENCE_STATUSES, Finding
from failmodes.profile.schema import DecisionRecord
from failmodes.store.records import EvidenceLink, RegisterDecision, Workshop, WorkshopStep
from failmodes.store.register import Register
from failmodes.threatmodel.engine import rank
from failmodes.threatmodel.evaluate import Reason
from failmodes.threatmodel.model import ModeAssessment, RiskScore, ThreatModel
from failmodes.threatmodel.outcome import Outcome, in_force, outcome


class AgendaItem(BaseModel):
    """One failure mode on the agenda, as the team sees it before deciding."""

    model_config = ConfigDict(frozen=True)

    rank: int
    mode: ModeAssessment
    questions: list[ReviewQuestion]
    decision: RegisterDecision | None = None
    evidence: list[EvidenceLink]
    step: WorkshopStep | None = None

    @property
    def mode_id(self) -> str:
        return self.mode.id

    @property
    def name(self) -> str:
        return self.mode.name

    @property
    def why(self) -> list[Reason]:
        """The matched applicability: the facts that make the mode apply."""
        return self.mode.reasons

    @property
    def indicators(self) -> list[Indicator]:
        return self.mode.mode.indicators

    @property
    def findings(self) -> list[Finding]:
        """The latest assessment's measurements of this mode."""
        return self.mode.findings

    @property
    def outcome(self) -> Outcome:
        return outcome(self.mode)

    @property
    def inherent(self) -> RiskScore | None:
        return self.mode.inherent

    @property
    def in_force(self) -> RiskScore | None:
        return in_force(self.mode)

    @property
    def profile_decision(self) -> DecisionRecord | None:
        """The decision the profile's own ``decisions:`` records, where the register has none
        (a decision in the register overrides it)."""
        return self.mode.decision if self.decision is None else None

    @property
    def revision(self) -> int:
        """The decision's revision the team saw (0 for none): a write checks it."""
        return self.decision.revision if self.decision else 0


class Agenda(BaseModel):
    """The agenda of one system's workshop."""

    model_config = ConfigDict(frozen=True)

    system_id: str
    profile_version: int
    assessment_id: str | None
    model: ThreatModel
    items: list[AgendaItem]

    def item(self, mode_id: str) -> AgendaItem:
        for item in self.items:
            if item.mode_id == mode_id:
                return item
        ids = ", ".join(i.mode_id for i in self.items) or "none"
        raise KeyError(f"{mode_id} is not on the agenda of {self.system_id} (on it: {ids})")


def finding_link(assessment_id: str, finding: Finding) -> EvidenceLink:
    """The register's link to one finding of one assessment."""
    parts = [finding.failure_mode, finding.probe, finding.metric]
    if finding.dataset is not None:
        parts.append(finding.dataset)
    return EvidenceLink(kind="finding", ref=f"{assessment_id}#{'/'.join(parts)}")


def evidence_links(assessment_id: str | None, mode: ModeAssessment) -> list[EvidenceLink]:
    """Links to the findings that are evidence either way (pass, warn, fail) for ``mode``;
    the assessment itself when a finding's name cannot be written as a link."""
    if assessment_id is None:
        return []
    links: list[EvidenceLink] = []
    for finding in mode.findings:
        if finding.status not in EVIDENCE_STATUSES:
            continue
        link = finding_link(assessment_id, finding)
        try:
            link.check()
        except ValueError:
            link = EvidenceLink(kind="assessment", ref=assessment_id)
        if link not in links:
            links.append(link)
    return links


def agenda_order(model: ThreatModel) -> list[ModeAssessment]:
    """The applicable modes by inherent risk: the engine's ranking with decisions set aside."""
    undecided = rank([m.model_copy(update={"decision": None}) for m in model.applicable])
    by_id = {m.id: m for m in model.applicable}
    return [by_id[m.id] for m in undecided]


def build_agenda(register: Register, system: str, workshop: Workshop | None = None) -> Agenda:
    """The agenda of ``system`` as the register holds it now; with ``workshop``, each item
    also says what that workshop did with it."""
    model = register.current(system)
    decisions = register.decisions(system)
    stored = register.latest_assessment(system)
    aid = stored.id if stored else None
    items = [
        AgendaItem(
            rank=position,
            mode=mode,
            questions=register.catalog.questions_for(mode.id),
            decision=decisions.get(mode.id),
            evidence=evidence_links(aid, mode),
            step=workshop.step(mode.id) if workshop else None,
        )
        for position, mode in enumerate(agenda_order(model), 1)
    ]
    return Agenda(
        system_id=system,
        profile_version=register.system(system).profile_version,
        assessment_id=aid,
        model=model,
        items=items,
    )
