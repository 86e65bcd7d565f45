"""What a change to the guideline changes: two catalogs in force, compared for review.

``failmodes guideline diff OLD NEW`` applies each overlay to the built-in catalog and lists
what moved between them, in the words a reviewer of a pull request needs: failure modes added,
removed, retired or brought back; thresholds moved (tightened or loosened); applicability,
severity and mitigations changed; the risk matrix, the tolerance and the evidence weights; the
release gate tightened or loosened; governance mappings changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from failmodes.catalog.model import Catalog
from failmodes.catalog.schema import RISK_ORDER, Direction, FailureMode, GatePolicy, Threshold


class Effect(StrEnum):
    """Which way a change moves the guideline."""

    TIGHTER = "tighter"
    LOOSER = "looser"
    CHANGED = "changed"


@dataclass(frozen=True)
class GuidelineChange:
    subject: str  # a mode id, or `risk`, `gate`, `framework ID`
    what: str
    effect: Effect

    def line(self) -> str:
        return f"[{self.effect.value}] {self.subject}: {self.what}"


def _limit_effect(direction: Direction, old: float | None, new: float | None) -> Effect:
    if old is None or new is None:
        return Effect.TIGHTER if old is None else Effect.LOOSER
    lower = new < old
    return Effect.TIGHTER if lower == (direction == Direction.ABOVE) else Effect.LOOSER


def _thresholds(old: FailureMode, new: FailureMode) -> list[GuidelineChange]:
    out = []
    before = {i.id: i.threshold for i in old.indicators}
    for indicator in new.indicators:
        was: Threshold | None = before.get(indicator.id)
        now = indicator.threshold
        if was == now:
            continue
        if was is None or now is None or was.direction != now.direction:
            effect = (
                Effect.TIGHTER if was is None else Effect.LOOSER if now is None else Effect.CHANGED
            )
            out.append(
                GuidelineChange(
                    new.id, f"threshold of {indicator.id}: {_t(was)} → {_t(now)}", effect
                )
            )
            continue
        for name in ("fail", "warn"):
            a, b = getattr(was, name), getattr(now, name)
            if a != b:
                out.append(
                    GuidelineChange(
                        new.id,
                        f"{indicator.id} {name} threshold {_n(a)} → {_n(b)}",
                        _limit_effect(now.direction, a, b),
                    )
                )
    gone = sorted(set(before) - {i.id for i in new.indicators})
    out += [GuidelineChange(new.id, f"indicator {i} removed", Effect.LOOSER) for i in gone]
    return out


def _t(threshold: Threshold | None) -> str:
    if threshold is None:
        return "none"
    return f"{threshold.direction.value} warn {_n(threshold.warn)} fail {_n(threshold.fail)}"


def _n(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def _mode(old: FailureMode, new: FailureMode) -> list[GuidelineChange]:
    out = []
    if (old.retired is None) != (new.retired is None):
        if new.retired is not None:
            out.append(GuidelineChange(new.id, f"retired: {new.retired.reason}", Effect.LOOSER))
        else:
            out.append(GuidelineChange(new.id, "back in force", Effect.TIGHTER))
    if old.severity.default != new.severity.default:
        rank = list(type(new.severity.default))
        up = rank.index(new.severity.default) > rank.index(old.severity.default)
        out.append(
            GuidelineChange(
                new.id,
                f"severity {old.severity.default.value} → {new.severity.default.value}",
                Effect.TIGHTER if up else Effect.LOOSER,
            )
        )
    if old.applicability != new.applicability:
        out.append(GuidelineChange(new.id, "applicability rule changed", Effect.CHANGED))
    if old.likelihood != new.likelihood or old.impact != new.impact:
        out.append(GuidelineChange(new.id, "scoring rules changed", Effect.CHANGED))
    out += _thresholds(old, new)
    was = {m.id for m in old.mitigations}
    now = {m.id for m in new.mitigations}
    out += [
        GuidelineChange(new.id, f"mitigation {m} added", Effect.TIGHTER) for m in sorted(now - was)
    ]
    out += [
        GuidelineChange(new.id, f"mitigation {m} removed", Effect.LOOSER) for m in sorted(was - now)
    ]
    return out


def _gate(old: GatePolicy, new: GatePolicy) -> list[GuidelineChange]:
    out = []
    if old.fail_on_risk != new.fail_on_risk:
        a, b = old.fail_on_risk, new.fail_on_risk
        tighter = a is None or (b is not None and RISK_ORDER.index(b) < RISK_ORDER.index(a))
        out.append(
            GuidelineChange(
                "gate",
                f"fail on open risk {a.value if a else 'off'} → {b.value if b else 'off'}",
                Effect.TIGHTER if tighter else Effect.LOOSER,
            )
        )
    added = sorted(set(new.fail_on_findings) - set(old.fail_on_findings))
    dropped = sorted(set(old.fail_on_findings) - set(new.fail_on_findings))
    out += [GuidelineChange("gate", f"fails on {v.value} findings", Effect.TIGHTER) for v in added]
    out += [
        GuidelineChange("gate", f"no longer fails on {v.value} findings", Effect.LOOSER)
        for v in dropped
    ]
    for name, words in (
        ("fail_on_untested", "untested applicable modes"),
        ("fail_on_missing_decision", "risks above tolerance without a decision"),
    ):
        a, b = getattr(old, name), getattr(new, name)
        if a != b:
            out.append(
                GuidelineChange(
                    "gate",
                    f"{'fails' if b else 'no longer fails'} on {words}",
                    Effect.TIGHTER if b else Effect.LOOSER,
                )
            )
    return out


def compare_catalogs(old: Catalog, new: Catalog) -> list[GuidelineChange]:
    """Every change from ``old`` to ``new``, modes first in the new catalog's order."""
    before = {m.id: m for m in old.modes}
    after = {m.id: m for m in new.modes}
    out = []
    for mode in new.modes:
        if mode.id not in before:
            out.append(GuidelineChange(mode.id, f"added ({mode.name})", Effect.TIGHTER))
        else:
            out += _mode(before[mode.id], mode)
    out += [
        GuidelineChange(m.id, "removed from the catalog", Effect.LOOSER)
        for m in old.modes
        if m.id not in after
    ]
    a, b = old.risk, new.risk
    if a.tolerance != b.tolerance:
        tighter = RISK_ORDER.index(b.tolerance) < RISK_ORDER.index(a.tolerance)
        out.append(
            GuidelineChange(
                "risk",
                f"tolerance {a.tolerance.value} → {b.tolerance.value}",
                Effect.TIGHTER if tighter else Effect.LOOSER,
            )
        )
    if a.matrix != b.matrix:
        cells = sum(
            x != y
            for ra, rb in zip(a.matrix, b.matrix, strict=True)
            for x, y in zip(ra, rb, strict=True)
        )
        out.append(GuidelineChange("risk", f"risk matrix: {cells} cell(s) changed", Effect.CHANGED))
    if a.evidence != b.evidence:
        out.append(GuidelineChange("risk", "evidence weights changed", Effect.CHANGED))
    out += _gate(old.policy, new.policy)
    frameworks = {f.id: f for f in old.frameworks}
    for framework in new.frameworks:
        was = frameworks.get(framework.id)
        if was is None:
            out.append(GuidelineChange(f"framework {framework.id}", "added", Effect.CHANGED))
        elif (was.modes, was.metrics) != (framework.modes, framework.metrics):
            moved = sorted(
                m
                for m in set(was.modes) | set(framework.modes)
                if was.modes.get(m) != framework.modes.get(m)
            )
            what = "mapping of " + (", ".join(moved) if moved else "metrics") + " changed"
            out.append(GuidelineChange(f"framework {framework.id}", what, Effect.CHANGED))
    return out
