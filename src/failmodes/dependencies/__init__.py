"""Auditing a system's software dependencies against an OSV advisory database, offline.

::

    from failmodes.dependencies import load_database, read_dependencies, audit

    report = audit(read_dependencies("requirements.txt"), load_database("advisories/"))
    for package in report.packages:
        print(package.status, package.name, package.version, [a.id for a in package.advisories])

Unpinned and unresolvable packages are reported as *not audited*, never as clean.
"""

from failmodes.dependencies.audit import (
    AdvisoryMatch,
    AuditReport,
    PackageAudit,
    PackageStatus,
    audit,
)
from failmodes.dependencies.declared import DeclaredPackage
from failmodes.dependencies.download import default_database, download_advisories
from failmodes.dependencies.osv import AdvisoryDatabase, load_database
from failmodes.dependencies.sbom import cyclonedx
from failmodes.dependencies.sources import installed_packages, read_dependencies

__all__ = [
    "AdvisoryDatabase",
    "AdvisoryMatch",
    "AuditReport",
    "DeclaredPackage",
    "PackageAudit",
    "PackageStatus",
    "audit",
    "cyclonedx",
    "default_database",
    "download_advisories",
    "installed_packages",
    "load_database",
    "read_dependencies",
]
