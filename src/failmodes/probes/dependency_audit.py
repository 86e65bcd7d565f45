"""Dependency audit: the profile's dependency files against an offline OSV database.

Evidence for *exploiting software dependencies of ML systems*. Reads the files named in the
profile's ``dependencies`` and measures ``known_vulnerable_packages``, ``unaudited_packages``
(pinned packages that could not be checked, and every package when the database has holes)
and ``unpinned_dependencies``. Unpinned packages are never counted clean.

Options (``ctx.options``): ``advisories``, the OSV database folder or zip (default: the one
``failmodes advisories update`` saved).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from failmodes.dependencies import (
    DeclaredPackage,
    PackageStatus,
    audit,
    default_database,
    load_database,
    read_dependencies,
)
from failmodes.probes.base import Measurement, Need, Probe, ProbeContext, ProbeSpec


class DependencyAudit(Probe):
    """Known-vulnerable, unaudited and unpinned dependencies (OSV advisories, PEP 440 ranges).

    Like ``pip-audit --strict``, but offline and honest: a package that could not be checked
    is counted as unaudited, never as clean, and with no advisory database at all every
    declared package is unaudited.
    """

    spec = ProbeSpec(
        id="dependency_audit",
        name="Dependency audit",
        summary="Matches the declared dependencies against OSV advisories with PEP 440 "
        "ranges; reports vulnerable, unaudited and unpinned packages.",
        failure_modes=("software_dependency_exploit",),
        needs=frozenset({Need.DEPENDENCY_FILES}),
        tags=frozenset({"supply_chain", "static"}),
    )

    def run(self, ctx: ProbeContext) -> Iterator[Measurement]:
        if ctx.profile is None:
            raise LookupError("no profile; declare Need.DEPENDENCY_FILES in the spec")
        packages: list[DeclaredPackage] = []
        for name in ctx.profile.dependencies:
            packages.extend(read_dependencies(ctx.profile.resolve(name)))
        unpinned = [p for p in packages if p.version is None]
        source = Path(ctx.options.get("advisories") or default_database())
        if not source.exists():
            yield Measurement(
                "software_dependency_exploit",
                "unaudited_packages",
                float(len(packages)),
                message=f"no advisory database at {source}: nothing was checked; run "
                "`failmodes advisories update` or pass one with --advisories",
                evidence={"packages": [p.model_dump(mode="json") for p in packages]},
            )
            yield self._unpinned(unpinned)
            return
        report = audit(packages, load_database(source))
        by_status = {s: [p for p in report.packages if p.status is s] for s in PackageStatus}
        vulnerable = by_status[PackageStatus.VULNERABLE]
        yield Measurement(
            "software_dependency_exploit",
            "known_vulnerable_packages",
            float(len(vulnerable)),
            message=", ".join(
                f"{p.name} {p.version} ({', '.join(a.id for a in p.advisories)})"
                for p in vulnerable
            )
            or "no pinned package matches an advisory",
            evidence={"packages": [p.model_dump(mode="json") for p in vulnerable]},
        )
        unaudited = [p for p in by_status[PackageStatus.NOT_AUDITED] if p.version is not None]
        holes = len(report.database_problems)
        yield Measurement(
            "software_dependency_exploit",
            "unaudited_packages",
            float(len(packages) if holes else len(unaudited)),
            message=f"{holes} advisory files could not be read"
            if holes
            else f"{len(unaudited)} pinned packages could not be checked",
            evidence={"packages": [p.model_dump(mode="json") for p in unaudited]},
        )
        yield self._unpinned(unpinned)

    @staticmethod
    def _unpinned(unpinned: list[DeclaredPackage]) -> Measurement:
        return Measurement(
            "software_dependency_exploit",
            "unpinned_dependencies",
            float(len(unpinned)),
            message=f"{len(unpinned)} dependencies are not pinned to one version",
            evidence={"packages": [p.model_dump(mode="json") for p in unpinned]},
        )
