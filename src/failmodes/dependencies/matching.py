"""Whether a version is affected, by OSV's range rules and PEP 440 ordering.

Events of a range are applied in version order: ``introduced`` starts an affected span,
``fixed`` (exclusive) and ``limit`` end it, ``last_affected`` ends it after that version.
PEP 440 ordering puts pre-releases before their release, so ``2.0.0rc1`` is affected by a
range fixed in ``2.0.0``. A version listed explicitly in ``versions`` is affected too.
"""

from __future__ import annotations

from packaging.version import InvalidVersion, Version

from failmodes.dependencies.osv import AffectedPackage, Event


def _key(event: Event) -> tuple[int, Version]:
    return (0, Version("0")) if event.version is None else (1, event.version)


def in_range(version: Version, events: tuple[Event, ...]) -> bool:
    affected = False
    for event in sorted(events, key=_key):
        bound = event.version
        if event.kind == "introduced":
            if bound is None or version >= bound:
                affected = True
        elif bound is None:
            continue
        elif event.kind in ("fixed", "limit"):
            if version >= bound:
                affected = False
        elif event.kind == "last_affected" and version > bound:
            affected = False
    return affected


def is_affected(version: Version, affected: AffectedPackage) -> bool | None:
    """True or False; None when the advisory has ranges that cannot be read and the
    readable ones do not settle it."""
    public = Version(version.public)
    for listed in affected.versions:
        try:
            if Version(listed) in (version, public):
                return True
        except InvalidVersion:
            continue
    if any(in_range(version, events) for events in affected.ranges):
        return True
    return None if affected.unreadable else False
