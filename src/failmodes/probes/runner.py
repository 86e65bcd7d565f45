"""The framework-owned runner: capabilities, seeds, timing, query counts, verdicts, errors.

Probes only measure. This module checks a probe's needs before it starts (a probe that cannot
run is *skipped with a reason*), times it, counts the target's queries, turns each
measurement into a finding with a verdict from the thresholds, and turns an exception into an
``error`` run that still keeps every finding measured before it.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable

from failmodes.catalog.schema import Severity, Threshold
from failmodes.findings import Finding, Status
from failmodes.probes.base import (
    CAPABILITY_NEEDS,
    Measurement,
    Need,
    Probe,
    ProbeContext,
    ProbeRun,
    RunStatus,
)

#: The module each optional extra of failmodes installs, to tell whether it is there.
EXTRA_MODULES = {"torch": "torch", "labels": "cleanlab", "parquet": "pyarrow"}

#: (failure mode id, metric) → (threshold, severity when it fails)
ThresholdLookup = Callable[[str, str], tuple[Threshold | None, Severity | None]]


def missing_needs(probe: Probe, ctx: ProbeContext) -> list[str]:
    """Why the probe cannot run on this target and data, in words; empty if it can."""
    reasons = [
        f"needs failmodes[{extra}] (pip install 'failmodes[{extra}]')"
        for extra in probe.spec.extras
        if importlib.util.find_spec(EXTRA_MODULES.get(extra, extra)) is None
    ]
    needs = probe.spec.needs
    target = ctx.target
    if (needs & ({Need.TARGET} | set(CAPABILITY_NEEDS))) and target is None:
        reasons.append(
            "no model target is configured (profile `target.model` or `target.endpoint`)"
        )
    elif target is not None:
        for need, capability in CAPABILITY_NEEDS.items():
            if need in needs and capability not in target.capabilities:
                reasons.append(
                    f"the target ({target.describe()}) does not offer {capability.value}"
                )
    for role in ("train", "test", "reference", "production"):
        if Need(f"{role}_data") in needs and getattr(ctx.data, role) is None:
            reasons.append(f"no {role} data (profile `target.data.{role}`)")
    production = ctx.data.production
    if Need.PRODUCTION_LABELS in needs and (production is None or production.y is None):
        reasons.append("production data has no labels")
    if Need.TABULAR_DATA in needs:
        sets = [getattr(ctx.data, r) for r in ctx.data.present()]
        if not sets or not all(s.tabular for s in sets):
            reasons.append("the probe needs tabular data")
    if Need.SENSITIVE_ATTRIBUTE in needs and not ctx.data.sensitive_attribute:
        reasons.append("no sensitive attribute named (profile `target.sensitive_attribute`)")
    if Need.MODEL_FILE in needs and (
        ctx.profile is None or ctx.profile.target is None or not ctx.profile.target.model
    ):
        reasons.append("no model file named (profile `target.model`)")
    if Need.DEPENDENCY_FILES in needs and (ctx.profile is None or not ctx.profile.dependencies):
        reasons.append("no dependency files named (profile `dependencies`)")
    return reasons


def verdict(m: Measurement, lookup: ThresholdLookup, *, probe: str, seed: int) -> Finding:
    """Measurement, then verdict."""
    threshold, severity = lookup(m.failure_mode, m.metric)
    if m.value is None or threshold is None:
        status = Status.INFO
    else:
        status = Status(threshold.verdict(m.value).value)
    return Finding(
        failure_mode=m.failure_mode,
        probe=probe,
        metric=m.metric,
        dataset=m.dataset,
        value=m.value,
        threshold=threshold,
        status=status,
        severity=severity if status == Status.FAIL else None,
        message=m.message,
        evidence=m.evidence,
        location=m.location,
        seed=seed,
    )


def run_probe(probe: Probe, ctx: ProbeContext, lookup: ThresholdLookup) -> ProbeRun:
    """Run one probe safely; never raises for a probe's own failure."""
    spec = probe.spec
    base = {"probe": spec.id, "failure_modes": list(spec.failure_modes), "seed": ctx.seed}
    missing = missing_needs(probe, ctx)
    if missing:
        return ProbeRun(**base, status=RunStatus.SKIPPED, reason="; ".join(missing) + ".")
    queries_before = ctx.target.queries if ctx.target is not None else 0
    findings: list[Finding] = []
    start = time.perf_counter()
    status, reason = RunStatus.RAN, None
    try:
        for measurement in probe.run(ctx):
            if measurement.failure_mode not in spec.failure_modes:
                raise ValueError(
                    f"probe {spec.id} measured {measurement.failure_mode!r}, which its spec "
                    "does not declare"
                )
            findings.append(verdict(measurement, lookup, probe=spec.id, seed=ctx.seed))
    except Exception as exc:
        status = RunStatus.ERROR
        reason = f"{type(exc).__name__}: {exc}"
    duration = time.perf_counter() - start
    queries = (ctx.target.queries if ctx.target is not None else 0) - queries_before
    # Findings of one run share its totals; sum ProbeRun values, not findings, for totals.
    findings = [f.model_copy(update={"duration_s": duration, "queries": queries}) for f in findings]
    return ProbeRun(
        **base,
        status=status,
        reason=reason,
        findings=findings,
        duration_s=duration,
        queries=queries,
    )
