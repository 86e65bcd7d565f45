"""The one result type every probe returns: a finding.

A finding is a measurement (``metric`` = ``value``) with its verdict against a threshold, the
failure mode it is evidence for, and what a renderer needs to show it (``evidence``: curves,
histograms, examples as plain lists). It never holds the model or the data set, so it
serializes to JSON and back unchanged. Renderers and the risk engine know nothing about
individual probes: they read findings.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from failmodes.catalog.schema import Severity, Threshold


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


class Finding(BaseModel):
    """One measured indicator of one failure mode."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    failure_mode: str
    probe: str
    metric: str
    value: float | None = None
    threshold: Threshold | None = None
    status: Status
    severity: Severity | None = None
    message: str = ""
    evidence: dict[str, Any] = Field(
        default_factory=dict,
        description="Plain data for plots and tables (curves, histograms, examples).",
    )
    location: Location | None = None
    seed: int | None = None
    duration_s: float = Field(0.0, description="Run time of the probe run that measured it.")
    queries: int = Field(0, description="Queries that probe run sent to the target.")
