"""``failmodes.scan`` (this module): turn a threat model into measured evidence.

Plan the probes that give evidence for the applicable failure modes, run each on the target
and data with the runner, and assess again with the findings, so that measurements move the
risk scores. Modes that apply but that nothing could test are marked *not tested*, with the
reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from failmodes.assessment import Assessment
from failmodes.catalog import Catalog, load_catalog
from failmodes.catalog.schema import Direction, Severity, Threshold
from failmodes.errors import InputError
from failmodes.probes.base import Probe, ProbeContext, ProbeRun, RunStatus
from failmodes.probes.registry import ProbeRegistry, default_registry
from failmodes.probes.runner import ThresholdLookup, run_probe
from failmodes.profile.schema import MetricThreshold, Profile
from failmodes.targets.base import Target
from failmodes.targets.datasets import DataBundle
from failmodes.threatmodel.engine import threat_model
from failmodes.threatmodel.model import ModeAssessment

#: Wraps an iterable with a progress display: (items, total, label) → items.
Tracker = Callable[[Iterable[Any], int | None, str], Iterable[Any]]


def threshold_lookup(
    catalog: Catalog, profile: Profile, overrides: Mapping[str, MetricThreshold] | None = None
) -> ThresholdLookup:
    """Thresholds by precedence: command line, then profile, then catalog (with overlays)."""
    layers = [dict(overrides or {}), dict(profile.thresholds)]

    def lookup(mode_id: str, metric: str) -> tuple[Threshold | None, Severity | None]:
        try:
            mode = catalog.get(mode_id)
        except KeyError:
            return None, None
        base = mode.threshold_for(metric)
        for layer in layers:
            custom = layer.get(f"{mode_id}.{metric}") or layer.get(metric)
            if custom is not None:
                direction = custom.direction or (base.direction if base else None)
                if direction is None:
                    raise InputError(
                        f"threshold for {metric!r}: the catalog has none, so give its "
                        "`direction` (above or below)."
                    )
                base = Threshold(direction=Direction(direction), warn=custom.warn, fail=custom.fail)
                break
        return base, mode.severity.default

    return lookup


def options_for(probe_id: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """The options one probe sees: plain keys go to every probe, ``probe_id.key`` to that
    probe only (and win over a plain key of the same name)."""
    shared = {k: v for k, v in options.items() if "." not in k}
    own = {k.split(".", 1)[1]: v for k, v in options.items() if k.startswith(f"{probe_id}.")}
    return {**shared, **own}


def plan(
    model_modes: Sequence[ModeAssessment], registry: ProbeRegistry, only: Sequence[str] = ()
) -> list[type[Probe]]:
    """The probes to run: those asked for, or those covering an applicable mode."""
    if only:
        return [registry.get(probe_id) for probe_id in dict.fromkeys(only)]
    return registry.for_modes(m.id for m in model_modes if m.applicable)


def _untested_reason(
    mode: ModeAssessment, runs: Sequence[ProbeRun], registry: ProbeRegistry
) -> str:
    mine = [r for r in runs if mode.id in r.failure_modes]
    if mine:
        parts = [
            f"{r.probe} {r.status.value}: {r.reason or 'no measurement'}"
            for r in mine
            if r.status != RunStatus.RAN or r.reason
        ]
        return "; ".join(parts) or "its probes ran but measured nothing for it"
    if any(mode.id in p.spec.failure_modes for p in registry.all()):
        return "its probes were not selected for this scan"
    planned = [p.id for p in mode.mode.probes]
    if planned:
        return f"no probe is built for it yet (planned: {', '.join(planned)})"
    return "no automated probe exists for it; assess it in review"


def scan(
    profile: Profile,
    target: Target | None = None,
    data: DataBundle | None = None,
    *,
    catalog: Catalog | None = None,
    registry: ProbeRegistry | None = None,
    probes: Sequence[str] = (),
    seed: int = 0,
    budget: int | None = None,
    thresholds: Mapping[str, MetricThreshold] | None = None,
    options: Mapping[str, Any] | None = None,
    track: Tracker | None = None,
    on_probe: Callable[[str], None] | None = None,
) -> Assessment:
    """Assess ``profile`` with the probes its threat model plans, on ``target`` and ``data``.

    ``target`` and ``data`` default to nothing: probes that need them are skipped with a
    reason. (The command line loads them from the profile's ``target`` section.)
    """
    catalog = catalog if catalog is not None else load_catalog()
    registry = registry if registry is not None else default_registry()
    data = data if data is not None else DataBundle()
    if target is not None and budget is not None:
        target.budget = target.queries + budget
    paper = threat_model(profile, catalog)
    lookup = threshold_lookup(catalog, profile, thresholds)
    runs = []
    for probe_cls in plan(paper.modes, registry, probes):
        if on_probe is not None:
            on_probe(probe_cls.spec.id)
        ctx = ProbeContext(
            profile=profile,
            target=target,
            data=data,
            seed=seed,
            budget=budget,
            options=options_for(probe_cls.spec.id, options or {}),
            track=track if track is not None else (lambda items, total, label: items),
        )
        runs.append(run_probe(probe_cls(), ctx, lookup))
    findings = [f for run in runs for f in run.findings]
    measured = threat_model(profile, catalog, findings=findings)
    modes = [
        m
        if m.tested or not m.applicable
        else m.model_copy(update={"untested_reason": _untested_reason(m, runs, registry)})
        for m in measured.modes
    ]
    return Assessment(
        **{**dict(measured), "modes": modes},
        probe_runs=runs,
        seed=seed,
        target=target.describe() if target is not None else None,
    )
