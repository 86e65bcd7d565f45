"""A CycloneDX 1.5 JSON bill of materials of what an audit saw, with its vulnerabilities.

Deterministic: the serial number is derived from the contents and there is no timestamp,
so the same audit gives the same file.
"""

from __future__ import annotations

import json
import uuid
from importlib import metadata
from typing import Any

from failmodes.dependencies.audit import AuditReport, PackageAudit

_NAMESPACE = uuid.UUID("6f1c0b84-7e51-4c4e-9d3a-2f1a3c1a9e55")


def _ref(package: PackageAudit) -> str:
    version = f"@{package.version}" if package.version else ""
    return f"pkg:pypi/{package.name.lower()}{version}"


def cyclonedx(report: AuditReport) -> dict[str, Any]:
    components: dict[str, dict[str, Any]] = {}
    vulnerabilities: dict[str, dict[str, Any]] = {}
    for package in report.packages:
        ref = _ref(package)
        component = components.setdefault(
            ref,
            {"type": "library", "bom-ref": ref, "name": package.name, "purl": ref},
        )
        if package.version:
            component["version"] = package.version
        component["properties"] = [
            {"name": "failmodes:audit", "value": package.status.value},
            {"name": "failmodes:source", "value": package.source},
        ] + ([{"name": "failmodes:reason", "value": package.reason}] if package.reason else [])
        for advisory in package.advisories:
            entry = vulnerabilities.setdefault(
                advisory.id,
                {
                    "id": advisory.id,
                    "source": {"name": "OSV", "url": advisory.url or ""},
                    "description": advisory.summary,
                    "affects": [],
                    **(
                        {"recommendation": f"Upgrade to {', '.join(advisory.fixed_in)} or later."}
                        if advisory.fixed_in
                        else {}
                    ),
                    **(
                        {
                            "references": [
                                {"id": a, "source": {"name": "alias"}} for a in advisory.aliases
                            ]
                        }
                        if advisory.aliases
                        else {}
                    ),
                },
            )
            if {"ref": ref} not in entry["affects"]:
                entry["affects"].append({"ref": ref})
    body = {
        "components": sorted(components.values(), key=lambda c: c["bom-ref"]),
        "vulnerabilities": sorted(vulnerabilities.values(), key=lambda v: v["id"]),
    }
    serial = uuid.uuid5(_NAMESPACE, json.dumps(body, sort_keys=True))
    try:
        version = metadata.version("failmodes")
    except metadata.PackageNotFoundError:
        version = "0"
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": f"urn:uuid:{serial}",
        "version": 1,
        "metadata": {
            "tools": {
                "components": [{"type": "application", "name": "failmodes", "version": version}]
            },
        },
        **body,
    }
