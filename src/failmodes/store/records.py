"""What the register holds, as values: decisions with their evidence, history, comments.

A register decision is richer than a profile's ``decisions`` entry: it has a due date, a
status, evidence links and a revision number. :meth:`RegisterDecision.record` gives the
profile-shaped :class:`~failmodes.profile.schema.DecisionRecord` the threat-model engine
computes residual risk from, so the engine stays the one place that scores.
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from failmodes.errors import RegisterError
from failmodes.profile.schema import Decision, DecisionRecord


class _Value(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ActionStatus(StrEnum):
    """Where the work a decision calls for stands."""

    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"


_SHA256 = re.compile(r"^sha256:[0-9a-f]{64}$")
_FINDING = re.compile(r"^(?P<assessment>[0-9a-f]{16})#(?P<key>[\w.-]+(/[\w.-]+){2,3})$")


class EvidenceLink(_Value):
    """A pointer from a decision to what supports it.

    ``assessment``: an assessment id in the register (16 hex digits). ``finding``: one finding
    of one assessment, ``<assessment id>#<mode>/<probe>/<metric>[/<dataset>]``. ``artifact``:
    a file by its digest, ``sha256:<64 hex digits>`` (as ``failmodes verify`` records it).
    """

    kind: Literal["assessment", "finding", "artifact"]
    ref: str

    @classmethod
    def parse(cls, text: str) -> EvidenceLink:
        """``assessment:<id>``, ``finding:<id>#mode/probe/metric`` or ``sha256:<digest>``."""
        text = text.strip()
        if _SHA256.match(text):
            return cls(kind="artifact", ref=text)
        kind, sep, ref = text.partition(":")
        if sep and kind in ("assessment", "finding"):
            link = cls(kind=kind, ref=ref)
            link.check()
            return link
        raise RegisterError(
            f"evidence {text!r} is not a link; give assessment:<id>, "
            "finding:<id>#<mode>/<probe>/<metric> or sha256:<digest>."
        )

    def check(self) -> None:
        ok = {
            "assessment": re.fullmatch(r"[0-9a-f]{16}", self.ref) is not None,
            "finding": _FINDING.match(self.ref) is not None,
            "artifact": _SHA256.match(self.ref) is not None,
        }[self.kind]
        if not ok:
            raise RegisterError(f"evidence {self.kind}:{self.ref!r} is not a valid {self.kind} id.")

    @property
    def assessment_id(self) -> str | None:
        if self.kind == "assessment":
            return self.ref
        if self.kind == "finding":
            return self.ref.split("#", 1)[0]
        return None

    def __str__(self) -> str:
        return self.ref if self.kind == "artifact" else f"{self.kind}:{self.ref}"


class RegisterDecision(_Value):
    """An owner's decision on one failure mode of one system, as the register keeps it."""

    mode_id: str
    decision: Decision
    owner: str = Field(min_length=1, max_length=200)
    rationale: str = Field(min_length=1, max_length=10_000)
    due: date | None = None
    status: ActionStatus = ActionStatus.PLANNED
    mitigations: list[str] = Field(default_factory=list)
    evidence: list[EvidenceLink] = Field(default_factory=list)
    revision: int = Field(0, description="Bumped by every change; 0 before the first write.")
    updated_at: str = ""
    updated_by: str = ""

    @field_validator("owner", "rationale")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()

    @field_validator("mitigations")
    @classmethod
    def _mitigations(cls, values: list[str]) -> list[str]:
        return [v.strip() for v in values if v.strip()]

    def record(self) -> DecisionRecord:
        """The decision as the threat-model engine reads it (residual risk follows from it)."""
        return DecisionRecord(
            decision=self.decision,
            owner=self.owner,
            rationale=self.rationale,
            mitigations_in_place=self.mitigations,
            review_by=self.due.isoformat() if self.due else None,
        )

    def content(self) -> dict[str, Any]:
        """The decision without its bookkeeping (revision, who and when), for history."""
        return self.model_dump(mode="json", exclude={"revision", "updated_at", "updated_by"})


class HistoryEntry(_Value):
    """One change to the register: who did what, when, and the state before and after."""

    system_id: str | None
    mode_id: str | None
    action: str
    actor: str
    at: str
    summary: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


class Comment(_Value):
    id: int
    system_id: str
    mode_id: str | None
    author: str
    body: str
    created_at: str


class SystemRecord(_Value):
    """A system in the register and the latest version of its profile."""

    id: str
    name: str
    created_at: str
    created_by: str
    profile_version: int


class ProfileVersion(_Value):
    system_id: str
    version: int
    digest: str
    created_at: str
    created_by: str


class StoredAssessment(_Value):
    id: str
    system_id: str
    profile_version: int
    kind: str
    created_at: str
    created_by: str


class StepOutcome(StrEnum):
    """What a workshop did with one failure mode on its agenda."""

    DECIDED = "decided"  # recorded a decision, new or changed
    KEPT = "kept"  # confirmed the decision already in place, unchanged
    SKIPPED = "skipped"  # passed it over; the mode stays as it was


class WorkshopStep(_Value):
    mode_id: str
    outcome: StepOutcome
    at: str


class Workshop(_Value):
    """A threat-modeling session on one system: when it started, the modes it has been
    through, and whether it is finished. An unfinished one is resumed, not restarted."""

    id: int
    system_id: str
    started_at: str
    started_by: str
    finished_at: str | None = None
    steps: list[WorkshopStep] = Field(default_factory=list, description="In the order taken.")

    @property
    def finished(self) -> bool:
        return self.finished_at is not None

    def step(self, mode_id: str) -> WorkshopStep | None:
        """The step taken on ``mode_id`` (one per mode: going back replaces it)."""
        return next((s for s in self.steps if s.mode_id == mode_id), None)
