"""Bounds on what one scan may read, unpack and spend, because the files are hostile.

A model file from a stranger can be a zip bomb, a pickle that memoizes a million objects, an
archive of a hundred thousand members or a thousand nested levels. Every reader in this
package charges a :class:`Budget` for what it reads or decompresses, and stops with
:class:`LimitExceeded` when a bound is hit; the scanner turns that into a finding with the
verdict ``error`` ("not fully scanned"), never a pass and never a crash.
"""

from __future__ import annotations

import time

from pydantic import BaseModel, ConfigDict, Field

MiB = 1024 * 1024


class ScanLimits(BaseModel):
    """The bounds of one file's scan. Defaults suit multi-gigabyte checkpoints: tensor data
    is skipped, not read, so they do not count against ``max_read_bytes``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_read_bytes: int = Field(
        2048 * MiB, ge=1, description="Bytes read or decompressed per file, all members together."
    )
    max_member_bytes: int = Field(
        512 * MiB, ge=1, description="Size of one decompressed member or embedded payload."
    )
    max_ratio: int = Field(
        250, ge=1, description="Decompressed-to-compressed ratio allowed past the first MiB."
    )
    max_members: int = Field(10_000, ge=1, description="Members per archive.")
    max_depth: int = Field(4, ge=0, description="Archives and payloads nested in one another.")
    max_seconds: float = Field(120.0, gt=0, description="Wall time per file.")
    max_header_bytes: int = Field(
        100_000_000, ge=1, description="Largest safetensors JSON header (the format's own limit)."
    )
    max_pickle_objects: int = Field(
        5_000_000, ge=1, description="Stack and memo entries a pickle may create."
    )


class LimitExceeded(Exception):
    """A bound of :class:`ScanLimits` was reached; the message says which."""


class Budget:
    """What one file's scan has spent so far, checked against its limits."""

    def __init__(self, limits: ScanLimits) -> None:
        self.limits = limits
        self.bytes_read = 0
        self._deadline = time.monotonic() + limits.max_seconds

    def charge(self, nbytes: int) -> None:
        """Count ``nbytes`` read or decompressed; raise when over the per-file bound.

        Cheap enough to call per opcode; the clock is checked by :meth:`check_time`.
        """
        self.bytes_read += nbytes
        if self.bytes_read > self.limits.max_read_bytes:
            raise LimitExceeded(
                f"read more than {self.limits.max_read_bytes:,} bytes (max_read_bytes)"
            )

    @property
    def exhausted(self) -> bool:
        """Whether the bytes or the time of this file's scan are spent."""
        spent = self.bytes_read > self.limits.max_read_bytes
        return spent or time.monotonic() > self._deadline

    def check_time(self) -> None:
        if time.monotonic() > self._deadline:
            raise LimitExceeded(f"took longer than {self.limits.max_seconds:g} s (max_seconds)")
