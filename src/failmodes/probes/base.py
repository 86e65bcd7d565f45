"""The probe contract: a spec that declares, and one ``run`` method that measures.

A probe is a class with a :class:`ProbeSpec` — id, the failure modes it gives evidence for,
what it needs, tags, the papers it follows — and a ``run(ctx)`` method that *yields*
:class:`Measurement` values. It never decides pass or fail: the runner
(:mod:`failmodes.probes.runner`) looks up the threshold of each metric in the catalog (or the
overlay, profile or command line) and turns measurements into findings. Because ``run`` yields,
whatever was measured before an exception is kept.

Writing a probe::

    class MyProbe(Probe):
        spec = ProbeSpec(
            id="my_probe", name="…", failure_modes=("distributional_shift",),
            needs=frozenset({Need.TEST_DATA, Need.PRODUCTION_DATA}), summary="…",
            references=("Author et al., Venue 2020",),
        )

        def run(self, ctx: ProbeContext) -> Iterator[Measurement]:
            yield Measurement("distributional_shift", "max_psi", 0.31, evidence={...})
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, TypeVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from failmodes.findings import Location, ProbeRun, RunStatus
from failmodes.profile.schema import Profile
from failmodes.targets.base import Capability, Target
from failmodes.targets.datasets import DataBundle, Dataset

__all__ = [
    "CAPABILITY_NEEDS",
    "Measurement",
    "Need",
    "Probe",
    "ProbeContext",
    "ProbeRun",
    "ProbeSpec",
    "RunStatus",
]

T = TypeVar("T")


class Need(StrEnum):
    """What a probe needs before it can run. Capabilities of the target, then data."""

    TARGET = "target"
    LABELS = "labels"
    SCORES = "scores"
    TRAIN = "train"
    EMBEDDINGS = "embeddings"
    GRADIENTS = "gradients"
    TRAIN_DATA = "train_data"
    TEST_DATA = "test_data"
    REFERENCE_DATA = "reference_data"
    PRODUCTION_DATA = "production_data"
    PRODUCTION_LABELS = "production_labels"
    TABULAR_DATA = "tabular_data"
    SENSITIVE_ATTRIBUTE = "sensitive_attribute"
    MODEL_FILE = "model_file"
    DEPENDENCY_FILES = "dependency_files"


#: Needs that are target capabilities.
CAPABILITY_NEEDS = {
    Need.LABELS: Capability.LABELS,
    Need.SCORES: Capability.SCORES,
    Need.TRAIN: Capability.TRAIN,
    Need.EMBEDDINGS: Capability.EMBEDDINGS,
    Need.GRADIENTS: Capability.GRADIENTS,
}


class ProbeSpec(BaseModel):
    """What a probe is and what it needs; declared once, on the class."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    summary: str
    failure_modes: tuple[str, ...] = Field(min_length=1)
    needs: frozenset[Need] = frozenset()
    tags: frozenset[str] = frozenset()
    references: tuple[str, ...] = ()
    default_budget: int | None = Field(
        None, description="Queries the probe plans to spend by default; --budget caps it."
    )
    extras: tuple[str, ...] = Field(
        (),
        description="Optional extras of failmodes the probe needs installed (e.g. torch); "
        "without one it is skipped as needing failmodes[EXTRA].",
    )


@dataclass(frozen=True)
class Measurement:
    """A measured indicator, before any verdict."""

    failure_mode: str
    metric: str
    value: float | None
    message: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)
    location: Location | None = None
    #: The data set measured, when the probe measures the same metric on several.
    dataset: str | None = None


@dataclass
class ProbeContext:
    """Everything a probe may use, handed in by the runner."""

    profile: Profile | None
    target: Target | None
    data: DataBundle
    seed: int
    budget: int | None = None
    options: dict[str, Any] = field(default_factory=dict)
    track: Callable[[Iterable[Any], int | None, str], Iterable[Any]] = field(
        default=lambda items, total, label: items
    )

    @property
    def rng(self) -> np.random.Generator:
        """A fresh generator from the seed: the same seed gives the same draws."""
        return np.random.default_rng(self.seed)

    def progress(
        self, items: Iterable[T], total: int | None = None, label: str = ""
    ) -> Iterable[T]:
        """Iterate ``items`` with a progress bar when the caller shows one."""
        return self.track(items, total, label)

    def dataset(self, role: str) -> Dataset:
        """The data set ``role`` (train, test, reference, production); declared needs make it
        present, so a missing one here is a probe bug."""
        found = getattr(self.data, role)
        if found is None:
            raise LookupError(f"no {role} data; declare Need.{role.upper()}_DATA in the spec")
        return found  # type: ignore[no-any-return]


class Probe(ABC):
    """Base class of every probe: a spec and one ``run`` method."""

    spec: ClassVar[ProbeSpec]

    @abstractmethod
    def run(self, ctx: ProbeContext) -> Iterator[Measurement]:
        """Measure; yield each measurement as soon as it is known."""
