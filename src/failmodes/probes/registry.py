"""The probe registry: an instance, not a global.

Built-in probes are listed in one place (:mod:`failmodes.probes.builtin`); third-party
probes arrive through the ``failmodes.probes`` entry-point group. Tests build registries of
their own, so nothing registered in one test leaks into another.
"""

from __future__ import annotations

from collections.abc import Iterable
from difflib import get_close_matches
from importlib.metadata import entry_points

from failmodes.errors import UnknownIdError
from failmodes.probes.base import Probe

ENTRY_POINT_GROUP = "failmodes.probes"


class ProbeRegistry:
    """Probe classes by id."""

    def __init__(self, probes: Iterable[type[Probe]] = ()) -> None:
        self._probes: dict[str, type[Probe]] = {}
        for probe in probes:
            self.register(probe)

    def register(self, probe: type[Probe]) -> type[Probe]:
        """Add a probe class; usable as a decorator on a registry instance."""
        spec = getattr(probe, "spec", None)
        if spec is None:
            raise TypeError(f"{probe.__name__} has no `spec`; every probe declares one")
        if spec.id in self._probes and self._probes[spec.id] is not probe:
            raise ValueError(f"probe id {spec.id!r} is registered twice")
        self._probes[spec.id] = probe
        return probe

    def get(self, probe_id: str) -> type[Probe]:
        try:
            return self._probes[probe_id]
        except KeyError:
            near = get_close_matches(probe_id, list(self._probes), n=3)
            hint = f" Did you mean {', '.join(near)}?" if near else ""
            raise UnknownIdError(f"unknown probe id {probe_id!r}.{hint}") from None

    def ids(self) -> list[str]:
        return sorted(self._probes)

    def all(self) -> list[type[Probe]]:
        return [self._probes[i] for i in self.ids()]

    def for_modes(self, mode_ids: Iterable[str]) -> list[type[Probe]]:
        """Probes that give evidence for any of ``mode_ids``, in id order."""
        wanted = set(mode_ids)
        return [p for p in self.all() if wanted & set(p.spec.failure_modes)]

    def __contains__(self, probe_id: object) -> bool:
        return probe_id in self._probes

    def __len__(self) -> int:
        return len(self._probes)


def default_registry(*, plugins: bool = True) -> ProbeRegistry:
    """The built-in probes, plus installed third-party ones unless ``plugins`` is false."""
    from failmodes.probes.builtin import BUILTIN_PROBES

    registry = ProbeRegistry(BUILTIN_PROBES)
    if plugins:
        for entry in entry_points(group=ENTRY_POINT_GROUP):
            registry.register(entry.load())
    return registry
