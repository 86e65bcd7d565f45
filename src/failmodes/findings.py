"""The one result type every probe returns: a finding.

A finding is a measurement (``metric`` = ``value``) with its verdict against a threshold, the
failure mode it is evidence for, and what a renderer needs to show it (``evidence``: curves,
histograms, examples as plain lists). It never holds the model or the data set, so it
serializes to JSON and back unchanged. Renderers and the risk engine know nothing about
individual probes: they read findings.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from failmodes.catalog.schema import Direction, Severity, Threshold


class Status(StrEnum):
    """What a finding says. ``error`` and ``skipped`` are not evidence either way."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    INFO = "info"  # a measurement with no threshold
    ERROR = "error"  # the probe failed while measuring this
    SKIPPED = "skipped"  # the probe could not run on this target


EVIDENCE_STATUSES = (Status.PASS, Status.WARN, Status.FAIL)


class Location(BaseModel):
    """Where a finding points: a file (and member, offset) or a field of the profile."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    path: str
    member: str | None = None
    offset: int | None = None
    line: int | None = None


class Series(BaseModel):
    """One line, one set of bars or one histogram in a plot."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    label: str
    x: list[float] = Field(default_factory=list)
    y: list[float] = Field(default_factory=list)


class Plot(BaseModel):
    """A plot described as data, so renderers draw it without knowing the probe.

    Probes put ``Plot(...).model_dump()`` dicts in ``evidence["plots"]``. Kinds:

    ``line``       series of (x, y) points (robustness against epsilon, fidelity against budget)
    ``roc``        ROC curves: x = false-positive rate, y = true-positive rate (log-log is usual)
    ``histogram``  x = bin edges (one more than y), y = counts or densities per series
    ``bar``        ``categories`` on the x axis, one bar per series value
    ``images``     ``images``: small arrays (H × W or H × W × C, values 0–1) with captions
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["line", "roc", "histogram", "bar", "images"]
    title: str
    xlabel: str = ""
    ylabel: str = ""
    xscale: Literal["linear", "log"] = "linear"
    yscale: Literal["linear", "log"] = "linear"
    series: list[Series] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)
    images: list[list[Any]] = Field(default_factory=list)
    captions: list[str] = Field(default_factory=list)
    reference_line: float | None = Field(None, description="A threshold to draw across.")
    alt: str = Field("", description="Text alternative for screen readers.")


class Finding(BaseModel):
    """One measured indicator of one failure mode."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    failure_mode: str
    probe: str
    metric: str
    dataset: str | None = Field(
        None,
        description="The data set measured (test, production, …) when a probe measures the "
        "same metric on several; with the metric it names the finding.",
    )
    value: float | None = None
    threshold: Threshold | None = None
    status: Status
    severity: Severity | None = None
    message: str = ""
    evidence: dict[str, Any] = Field(
        default_factory=dict,
        description="Plain data for plots and tables; `plots` holds a list of Plot dicts.",
    )
    location: Location | None = None
    seed: int | None = None
    duration_s: float = Field(0.0, description="Run time of the probe run that measured it.")
    queries: int = Field(0, description="Queries that probe run sent to the target.")

    @property
    def measured(self) -> str:
        return measured_name(self.metric, self.dataset)


class RunStatus(StrEnum):
    RAN = "ran"
    SKIPPED = "skipped"
    ERROR = "error"


class ProbeRun(BaseModel):
    """What happened when one probe ran: its findings, or why it could not run."""

    model_config = ConfigDict(frozen=True)

    probe: str
    failure_modes: list[str]
    status: RunStatus
    reason: str | None = None
    findings: list[Finding] = Field(default_factory=list)
    seed: int
    duration_s: float = 0.0
    queries: int = 0


def measured_name(metric: str, dataset: str | None) -> str:
    """A metric as reports name it: ``calibration_error (production)`` when a probe measured
    it on more than one data set, so two findings never read the same."""
    return metric if dataset is None else f"{metric} ({dataset})"


def number(value: float | None) -> str:
    """A measured value as every message and report writes it: four significant digits."""
    return "—" if value is None else f"{value:.4g}"


def threshold_text(threshold: Threshold | None) -> str:
    """``fail above 0.6 · warn above 0.55``: the verdict rule in words."""
    if threshold is None:
        return "no threshold"
    side = "above" if threshold.direction == Direction.ABOVE else "below"
    limits = (("fail", threshold.fail), ("warn", threshold.warn))
    return " · ".join(f"{name} {side} {limit:g}" for name, limit in limits if limit is not None)
