"""Every built-in probe, listed in one place."""

from __future__ import annotations

from failmodes.probes.base import Probe

BUILTIN_PROBES: tuple[type[Probe], ...] = ()
