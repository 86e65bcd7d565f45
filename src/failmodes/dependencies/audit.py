"""Matching declared dependencies against advisories: vulnerable, clean or not audited.

*Clean* is a claim that the package was looked up: its exact version parsed, the database
consulted, and no advisory matched. Everything that falls short of that — a range instead of
a pin, a URL, a version that is not PEP 440, an advisory whose ranges cannot be read — is
*not audited*, and flags the report just as a vulnerability does. (A plain ``pip-audit`` that
cannot reach its service prints "No known vulnerabilities found" having checked nothing.)
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from packaging.version import InvalidVersion, Version
from pydantic import BaseModel, ConfigDict

from failmodes.dependencies.declared import DeclaredPackage
from failmodes.dependencies.matching import is_affected
from failmodes.dependencies.osv import AdvisoryDatabase


class PackageStatus(StrEnum):
    VULNERABLE = "vulnerable"
    NOT_AUDITED = "not_audited"
    CLEAN = "clean"


class AdvisoryMatch(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    aliases: tuple[str, ...] = ()
    summary: str = ""
    fixed_in: tuple[str, ...] = ()
    url: str | None = None


class PackageAudit(BaseModel):
    """The audit of one declared package."""

    model_config = ConfigDict(frozen=True)

    name: str
    version: str | None
    source: str
    status: PackageStatus
    reason: str | None = None
    advisories: tuple[AdvisoryMatch, ...] = ()


class AuditReport(BaseModel):
    """Every package audited, against which database, and what the database lacked."""

    model_config = ConfigDict(frozen=True)

    database: str
    advisories_loaded: int
    database_problems: tuple[str, ...] = ()
    packages: tuple[PackageAudit, ...] = ()

    @property
    def flagged(self) -> bool:
        """A vulnerable or unaudited package, or a database with unreadable files."""
        return bool(self.database_problems) or any(
            p.status is not PackageStatus.CLEAN for p in self.packages
        )

    def counts(self) -> dict[PackageStatus, int]:
        return {s: sum(1 for p in self.packages if p.status is s) for s in PackageStatus}


def audit_package(package: DeclaredPackage, database: AdvisoryDatabase) -> PackageAudit:
    base = {"name": package.name, "version": package.version, "source": package.source}
    if package.problem is not None or package.version is None:
        reason = package.problem or "no version"
        return PackageAudit(**base, status=PackageStatus.NOT_AUDITED, reason=reason)
    try:
        version = Version(package.version)
    except InvalidVersion:
        return PackageAudit(
            **base,
            status=PackageStatus.NOT_AUDITED,
            reason=f"{package.version!r} is not a PEP 440 version, so ranges cannot be compared",
        )
    matches, unsure = [], []
    for advisory in database.lookup(package.name):
        verdict = is_affected(version, advisory.affected[package.key])
        if verdict:
            matches.append(
                AdvisoryMatch(
                    id=advisory.id,
                    aliases=advisory.aliases,
                    summary=advisory.summary,
                    fixed_in=advisory.fixed_in(package.key),
                    url=advisory.url,
                )
            )
        elif verdict is None:
            unsure.append(advisory.id)
    if matches:
        return PackageAudit(**base, status=PackageStatus.VULNERABLE, advisories=tuple(matches))
    if unsure:
        return PackageAudit(
            **base,
            status=PackageStatus.NOT_AUDITED,
            reason=f"advisories {', '.join(unsure)} have version ranges that are not PEP 440",
        )
    return PackageAudit(**base, status=PackageStatus.CLEAN)


def audit(packages: Iterable[DeclaredPackage], database: AdvisoryDatabase) -> AuditReport:
    """Audit each package against ``database``, in the order given."""
    return AuditReport(
        database=database.source,
        advisories_loaded=database.count,
        database_problems=tuple(database.problems),
        packages=tuple(audit_package(p, database) for p in packages),
    )
