"""An assessment: the threat model of a system plus the evidence its probes measured.

It extends the threat model's JSON contract (same top-level fields and per-mode fields) with
``probe_runs``, ``seed``, ``target`` and ``coverage``; per mode, ``tested``, ``findings`` and,
for an applicable mode nothing could test, ``untested_reason``.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, computed_field

from failmodes.findings import ProbeRun
from failmodes.threatmodel.model import ThreatModel


class Coverage(BaseModel):
    """How much of the threat model was measured rather than assessed on paper."""

    model_config = ConfigDict(frozen=True)

    catalog_modes: int
    applicable: int
    tested: int
    untested: list[str]


class Assessment(ThreatModel):
    """A threat model with findings."""

    probe_runs: list[ProbeRun]
    seed: int
    target: str | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def coverage(self) -> Coverage:
        applicable = self.applicable
        return Coverage(
            catalog_modes=len(self.modes),
            applicable=len(applicable),
            tested=sum(1 for m in applicable if m.tested),
            untested=[m.id for m in applicable if not m.tested],
        )
