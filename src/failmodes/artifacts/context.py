"""The state one file's scan carries down into archives and nested payloads.

A :class:`ScanContext` names where the scanner is (the file, the chain of archive members
above it), holds the budget and the policy, and collects findings. Format readers receive
one, add findings to it, and hand nested content back to the dispatcher through
:meth:`ScanContext.nested`, so a zip inside a zip inside a file is scanned by the same code
as the file itself, with depth and bytes charged to the same budget.
"""

from __future__ import annotations

import mmap
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TypeAlias

from failmodes.artifacts.limits import Budget, LimitExceeded
from failmodes.artifacts.policy import CallablePolicy
from failmodes.artifacts.results import ArtifactFinding, FindingKind, Verdict

#: Bytes a reader can index, slice and search without copying the whole file first.
Buffer: TypeAlias = bytes | mmap.mmap

#: Advice for a pickle-based file whose contents cannot be vouched for.
CONVERT_ADVICE = (
    "Do not load it. Ask the publisher for a format that stores no code: safetensors for "
    "tensors, skops or ONNX for scikit-learn models."
)


@dataclass
class ScanContext:
    """Where the scan is and what it has found so far."""

    file: str
    budget: Budget
    policy: CallablePolicy
    dispatch: Callable[[ScanContext, Buffer], str]
    findings: list[ArtifactFinding] = field(default_factory=list)
    member: tuple[str, ...] = ()
    depth: int = 0
    advice: str = CONVERT_ADVICE

    def add(
        self,
        kind: FindingKind,
        implies: Verdict,
        message: str,
        *,
        offset: int | None = None,
        callable_name: str | None = None,
        advice: str | None = None,
    ) -> None:
        self.findings.append(
            ArtifactFinding(
                kind=kind,
                implies=implies,
                file=self.file,
                member="!".join(self.member) or None,
                offset=offset,
                callable=callable_name,
                message=message,
                advice=advice or self.advice,
            )
        )

    def note(self, message: str, *, offset: int | None = None) -> None:
        """Record something not read and why; it does not flag the file."""
        self.add(FindingKind.NOTE, Verdict.SAFE, message, offset=offset, advice="Nothing to do.")

    def malformed(self, message: str, *, offset: int | None = None) -> None:
        self.add(
            FindingKind.MALFORMED,
            Verdict.ERROR,
            message,
            offset=offset,
            advice="Get a fresh copy from the publisher; a loader may behave unpredictably "
            "on a corrupt file, and the scanner cannot vouch for what it could not parse.",
        )

    def child(self, name: str, *, advice: str | None = None) -> ScanContext:
        """The context of a member or payload inside this one, one level deeper."""
        if self.depth >= self.budget.limits.max_depth:
            raise LimitExceeded(
                f"{name!r} is nested {self.depth + 1} levels deep (max_depth "
                f"{self.budget.limits.max_depth})"
            )
        return replace(
            self, member=(*self.member, name), depth=self.depth + 1, advice=advice or self.advice
        )

    def nested(self, buf: Buffer, name: str) -> str:
        """Scan ``buf``, found inside the current member as ``name``; returns its format."""
        return self.dispatch(self.child(name), buf)
