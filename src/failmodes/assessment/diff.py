"""What changed between two assessments of the same system, and whether it is a regression.

A model update should not leak more or break more easily unnoticed. ``diff(old, new)`` lines
the two up and reports

* failure modes that started or stopped applying;
* risks in force (residual after a decision, else inherent) that rose or fell;
* owners' decisions that were added, removed or changed;
* measured metrics that moved by more than ``tolerance`` (absolute), judged by the direction
  of each finding's threshold: for ``above`` thresholds (attack AUC) a rise is a regression,
  for ``below`` thresholds (robust accuracy) a fall is; a metric without a threshold is shown
  but never judged;
* findings that fail now and did not before, probes that error now and did not before, and
  modes that were measured before and are not now (coverage lost).

Its own gate (:func:`regression_gate`) fails on any regression: a regressed metric, a risk
that rose, a newly failing finding or erroring probe, lost coverage, or a newly applicable
mode whose risk needs a decision. Rendering lives in :mod:`failmodes.report.diff`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from pydantic import BaseModel, ConfigDict, Field

from failmodes.assessment import Assessment
from failmodes.assessment.gate import GateResult
from failmodes.catalog.schema import Direction
from failmodes.errors import InputError
from failmodes.findings import Finding, RunStatus, Status, measured_name, number
from failmodes.threatmodel.model import ModeAssessment, ThreatModel
from failmodes.threatmodel.outcome import Outcome, in_force, outcome


class _Value(BaseModel):
    model_config = ConfigDict(frozen=True)


class ModeRef(_Value):
    id: str
    name: str
    risk: str | None
    needs_decision: bool = False


class RiskChange(_Value):
    id: str
    name: str
    old_risk: str | None
    new_risk: str | None
    old_score: int
    new_score: int

    @property
    def rose(self) -> bool:
        return self.new_score > self.old_score


class DecisionChange(_Value):
    id: str
    name: str
    old: str | None
    new: str | None


class MetricChange(_Value):
    failure_mode: str
    probe: str
    metric: str
    dataset: str | None = None
    old: float
    new: float
    direction: Direction | None = Field(description="Which side of the threshold is bad.")
    regressed: bool

    @property
    def delta(self) -> float:
        return self.new - self.old

    @property
    def measured(self) -> str:
        return measured_name(self.metric, self.dataset)


class StatusChange(_Value):
    failure_mode: str
    probe: str
    metric: str
    dataset: str | None = None
    old: str | None
    new: str
    value: float | None

    @property
    def measured(self) -> str:
        return measured_name(self.metric, self.dataset)


class AssessmentDiff(_Value):
    """Everything that changed from ``old`` to ``new``."""

    old_system: str
    new_system: str
    tolerance: float
    added: list[ModeRef] = Field(default_factory=list)
    removed: list[ModeRef] = Field(default_factory=list)
    risks: list[RiskChange] = Field(default_factory=list)
    decisions: list[DecisionChange] = Field(default_factory=list)
    metrics: list[MetricChange] = Field(default_factory=list)
    newly_failing: list[StatusChange] = Field(default_factory=list)
    probes_erroring: list[str] = Field(default_factory=list)
    coverage_lost: list[ModeRef] = Field(default_factory=list)

    @property
    def same_system(self) -> bool:
        return self.old_system == self.new_system

    @property
    def regressions(self) -> list[MetricChange]:
        return [m for m in self.metrics if m.regressed]

    @property
    def changed(self) -> bool:
        return any(
            (
                self.added,
                self.removed,
                self.risks,
                self.decisions,
                self.metrics,
                self.newly_failing,
                self.probes_erroring,
                self.coverage_lost,
            )
        )


def _ref(mode: ModeAssessment) -> ModeRef:
    score = in_force(mode)
    return ModeRef(
        id=mode.id,
        name=mode.name,
        risk=score.risk.value if score is not None else None,
        needs_decision=mode.needs_decision,
    )


#: A finding's identity across assessments: mode, probe, metric, data set, and its occurrence
#: for a probe that reports one metric twice on one data set.
_Key = tuple[str, str, str, str | None, int]


def _keyed(model: ThreatModel) -> dict[_Key, Finding]:
    """Findings by meaning, not by position: a production measurement never lines up with a
    test one."""
    seen: Counter[tuple[str, str, str, str | None]] = Counter()
    out = {}
    for mode in model.modes:
        for f in mode.findings:
            key = (f.failure_mode, f.probe, f.metric, f.dataset)
            out[(*key, seen[key])] = f
            seen[key] += 1
    return out


def _metric_changes(
    old: dict[_Key, Finding],
    new: dict[_Key, Finding],
    tolerance: float,
) -> Iterator[MetricChange]:
    for key, after in new.items():
        before = old.get(key)
        if before is None or before.value is None or after.value is None:
            continue
        delta = after.value - before.value
        if abs(delta) <= tolerance:
            continue
        threshold = after.threshold or before.threshold
        direction = threshold.direction if threshold is not None else None
        regressed = (direction == Direction.ABOVE and delta > 0) or (
            direction == Direction.BELOW and delta < 0
        )
        yield MetricChange(
            failure_mode=key[0],
            probe=key[1],
            metric=key[2],
            dataset=key[3],
            old=before.value,
            new=after.value,
            direction=direction,
            regressed=regressed,
        )


def _decision(mode: ModeAssessment | None) -> str | None:
    if mode is None or mode.decision is None:
        return None
    return mode.decision.decision.value


def _errored(model: ThreatModel) -> set[str]:
    if not isinstance(model, Assessment):
        return set()
    return {r.probe for r in model.probe_runs if r.status == RunStatus.ERROR}


def diff(old: ThreatModel, new: ThreatModel, tolerance: float = 0.0) -> AssessmentDiff:
    """Compare two threat models or assessments of the same system."""
    if tolerance < 0:
        raise InputError(f"tolerance must be zero or more, got {tolerance}.")
    before = {m.id: m for m in old.modes}
    after = {m.id: m for m in new.modes}
    was = {i for i, m in before.items() if m.applicable}
    now = {i for i, m in after.items() if m.applicable}
    risks = []
    for mode_id in sorted(was & now, key=list(after).index):
        a, b = in_force(before[mode_id]), in_force(after[mode_id])
        old_score, new_score = (a.score if a else 0), (b.score if b else 0)
        if old_score != new_score:
            risks.append(
                RiskChange(
                    id=mode_id,
                    name=after[mode_id].name,
                    old_risk=a.risk.value if a else None,
                    new_risk=b.risk.value if b else None,
                    old_score=old_score,
                    new_score=new_score,
                )
            )
    decisions = [
        DecisionChange(id=i, name=m.name, old=_decision(before.get(i)), new=_decision(m))
        for i, m in after.items()
        if _decision(before.get(i)) != _decision(m)
    ]
    old_findings, new_findings = _keyed(old), _keyed(new)
    newly_failing = [
        StatusChange(
            failure_mode=f.failure_mode,
            probe=f.probe,
            metric=f.metric,
            dataset=f.dataset,
            old=old_findings[key].status.value if key in old_findings else None,
            new=f.status.value,
            value=f.value,
        )
        for key, f in new_findings.items()
        if f.status == Status.FAIL
        and (key not in old_findings or old_findings[key].status != Status.FAIL)
    ]
    measured = {Outcome.FAILED, Outcome.WARNED, Outcome.PASSED, Outcome.MEASURED}
    return AssessmentDiff(
        old_system=old.profile.name,
        new_system=new.profile.name,
        tolerance=tolerance,
        added=[_ref(after[i]) for i in after if i in now - was],
        removed=[_ref(before[i]) for i in before if i in was - now],
        risks=risks,
        decisions=decisions,
        metrics=list(_metric_changes(old_findings, new_findings, tolerance)),
        newly_failing=newly_failing,
        probes_erroring=sorted(_errored(new) - _errored(old)),
        coverage_lost=[
            _ref(after[i])
            for i in after
            if i in was & now
            and outcome(before[i]) in measured
            and outcome(after[i]) == Outcome.NOT_TESTED
        ],
    )


def regression_gate(d: AssessmentDiff) -> GateResult:
    """Fail on anything that makes the new assessment worse than the old one."""
    reasons = [
        f"{m.failure_mode}: {m.probe} {m.measured} regressed from {number(m.old)} to "
        f"{number(m.new)} (bad when {m.direction.value if m.direction else '—'}; "
        f"tolerance {d.tolerance:g})"
        for m in d.regressions
    ]
    reasons += [
        f"{r.name} ({r.id}): risk rose from {r.old_risk or 'excluded'} ({r.old_score}) to "
        f"{r.new_risk} ({r.new_score})"
        for r in d.risks
        if r.rose
    ]
    reasons += [
        f"{s.failure_mode}: {s.probe} {s.measured} = {number(s.value)} fails now "
        f"(was {s.old or 'not measured'})"
        for s in d.newly_failing
    ]
    reasons += [f"probe {p} errors now" for p in d.probes_erroring]
    reasons += [f"{m.name} ({m.id}): was measured, is not tested now" for m in d.coverage_lost]
    reasons += [
        f"{m.name} ({m.id}): applies now with {m.risk} risk that needs a decision"
        for m in d.added
        if m.needs_decision
    ]
    return GateResult.of(reasons)
