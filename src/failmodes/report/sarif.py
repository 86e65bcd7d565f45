"""SARIF 2.1.0, so code-scanning services (GitHub, Azure DevOps, GitLab) show failure modes
beside the code that ships the model.

Rules are the catalog's failure modes — every one, so a result always names a known rule and
the rule's help carries the mitigations and the ATLAS / OWASP / NIST references. Results are

* each finding that warned or failed (``warning`` / ``error``; a failed finding of low or
  moderate severity is a ``warning``), located at the file it points to — an artifact with a
  byte offset, a dependency file with a line — or else at the system profile;
* each open risk above the tolerance (no owner decision), located at the profile, because the
  fix is a decision recorded there.

Both kinds of result keep SARIF's default ``kind: fail``, the only kind that may carry a level;
``properties.resultType`` tells them apart. Passing measurements are not results: code
scanning treats every result as an alert. Probe
runs that errored become tool notifications, so nothing is silently lost. GitHub ranks alerts
by each rule's ``security-severity`` property, which we set from the catalog's severity.
The output is checked against the OASIS schema in the tests.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import PurePath
from typing import Any
from urllib.parse import quote

from failmodes import __version__
from failmodes.assessment import Assessment
from failmodes.catalog.schema import RiskLevel, Severity
from failmodes.catalog.xref import reference_ids
from failmodes.findings import Finding, Location, RunStatus, Status
from failmodes.report.text import why
from failmodes.threatmodel.model import ModeAssessment, RiskScore, ThreatModel

SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
TAXONOMY_URL = (
    "https://learn.microsoft.com/en-us/security/engineering/failure-modes-in-machine-learning"
)
#: GitHub's numeric scale: 9.0+ critical, 7.0–8.9 high, 4.0–6.9 medium, below 4 low.
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.IMPORTANT: "8.0",
    Severity.MODERATE: "5.5",
    Severity.LOW: "3.0",
}
_SEVERITY_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.IMPORTANT: "error",
    Severity.MODERATE: "warning",
    Severity.LOW: "warning",
}
_RISK_LEVEL = {
    RiskLevel.CRITICAL: "error",
    RiskLevel.HIGH: "error",
    RiskLevel.MEDIUM: "warning",
    RiskLevel.LOW: "note",
}


def uri(path: str) -> str:
    """A path as a SARIF URI reference: relative paths stay relative (code scanning resolves
    them against the repository root), absolute ones become ``file://`` URIs."""
    pure = PurePath(path)
    return pure.as_uri() if pure.is_absolute() else quote(pure.as_posix())


def _help(mode: ModeAssessment) -> dict[str, str]:
    fm = mode.mode
    ids = reference_ids()
    refs = [f"{t} {ids.atlas_techniques.get(t, '')}".strip() for t in fm.xrefs.atlas]
    refs += [f"OWASP {o} {ids.owasp_ml.get(o, '')}".strip() for o in fm.xrefs.owasp_ml]
    refs += [f"NIST {n} {ids.nist_ai_100_2.get(n, '')}".strip() for n in fm.xrefs.nist_ai_100_2]
    mitigations = [m.summary for m in fm.mitigations]
    text = (
        f"{fm.summary}\n\nMitigations:\n"
        + "\n".join(f"- {m}" for m in mitigations)
        + ("\n\nReferences: " + "; ".join(refs) if refs else "")
    )
    markdown = (
        f"{fm.summary}\n\n**Mitigations**\n\n"
        + "\n".join(f"- {m}" for m in mitigations)
        + ("\n\n**References:** " + "; ".join(refs) if refs else "")
    )
    return {"text": text, "markdown": markdown}


def _rule(mode: ModeAssessment) -> dict[str, Any]:
    fm = mode.mode
    return {
        "id": fm.id,
        "name": "".join(part.capitalize() for part in fm.id.split("_")),
        "shortDescription": {"text": fm.name},
        "fullDescription": {"text": fm.summary},
        "help": _help(mode),
        "helpUri": TAXONOMY_URL,
        "defaultConfiguration": {"level": _SEVERITY_LEVEL[fm.severity.default]},
        "properties": {
            "tags": ["security", "machine-learning", fm.kind.value, *fm.xrefs.owasp_ml],
            "security-severity": SECURITY_SEVERITY[fm.severity.default],
            "precision": "high",
        },
    }


def _location(where: Location | None, profile_path: str | None) -> list[dict[str, Any]]:
    if where is None:
        if profile_path is None:
            return []
        return [{"physicalLocation": {"artifactLocation": {"uri": uri(profile_path)}}}]
    physical: dict[str, Any] = {"artifactLocation": {"uri": uri(where.path)}}
    if where.line is not None:
        physical["region"] = {"startLine": where.line}
    elif where.offset is not None:
        physical["region"] = {"byteOffset": where.offset}
    location: dict[str, Any] = {"physicalLocation": physical}
    if where.member:
        location["logicalLocations"] = [{"fullyQualifiedName": where.member, "kind": "resource"}]
    return [location]


def _fingerprint(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def _finding_result(f: Finding, index: int, profile_path: str | None) -> dict[str, Any]:
    if f.status == Status.FAIL:
        level = _SEVERITY_LEVEL[f.severity] if f.severity is not None else "error"
    else:
        level = "warning"
    value = "" if f.value is None else f" = {f.value:.4g}"
    text = f"{f.probe}: {f.measured}{value} ({f.status.value})"
    if f.message:
        text += f". {f.message}"
    where = f.location.path if f.location is not None else (profile_path or "")
    return {
        "ruleId": f.failure_mode,
        "ruleIndex": index,
        "level": level,
        "message": {"text": text},
        "locations": _location(f.location, profile_path),
        "partialFingerprints": {
            "failmodesFinding/v1": _fingerprint(
                f.failure_mode, f.probe, f.metric, where, *([f.dataset] if f.dataset else [])
            )
        },
        "properties": {
            "resultType": "finding",
            "probe": f.probe,
            "metric": f.metric,
            **({"dataset": f.dataset} if f.dataset else {}),
            "value": f.value,
            "status": f.status.value,
        },
    }


def _risk_result(
    mode: ModeAssessment, risk: RiskScore, index: int, model: ThreatModel
) -> dict[str, Any]:
    return {
        "ruleId": mode.id,
        "ruleIndex": index,
        "level": _RISK_LEVEL[risk.risk],
        "message": {
            "text": f"{mode.name}: {risk.risk.value} risk (likelihood {risk.likelihood} × "
            f"impact {risk.impact}) is above the tolerance "
            f"({model.risk_policy.tolerance.value}) and no owner has decided on it. "
            f"Why it applies: {why(mode)}"
        },
        "locations": _location(None, model.profile_path),
        "partialFingerprints": {"failmodesRisk/v1": _fingerprint(mode.id, model.profile.name)},
        "properties": {"resultType": "open-risk", "risk": risk.risk.value, "score": risk.score},
    }


def sarif_dict(model: ThreatModel) -> dict[str, Any]:
    """The SARIF log as plain data."""
    rule_index = {m.id: i for i, m in enumerate(model.modes)}
    results = [
        _finding_result(f, rule_index[f.failure_mode], model.profile_path)
        for m in model.modes
        for f in m.findings
        if f.status in (Status.FAIL, Status.WARN) and f.failure_mode in rule_index
    ]
    results += [
        _risk_result(m, m.inherent, rule_index[m.id], model)
        for m in model.modes
        if m.needs_decision and m.inherent is not None
    ]
    notifications = []
    if isinstance(model, Assessment):
        notifications = [
            {
                "level": "error",
                "message": {"text": f"probe {run.probe} failed: {run.reason}"},
                "descriptor": {"id": run.probe},
            }
            for run in model.probe_runs
            if run.status == RunStatus.ERROR
        ]
    invocation: dict[str, Any] = {"executionSuccessful": True}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "failmodes",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": [_rule(m) for m in model.modes],
                    }
                },
                "automationDetails": {"id": f"failmodes/{model.profile.name}/"},
                "invocations": [invocation],
                "results": results,
                "properties": {
                    "system": model.profile.name,
                    "catalogVersion": model.catalog_version,
                },
            }
        ],
    }


def render_sarif(model: ThreatModel) -> str:
    return json.dumps(sarif_dict(model), indent=2, ensure_ascii=False) + "\n"
