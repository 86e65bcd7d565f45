"""``failmodes scan-artifact | audit-deps | verify | advisories update``: the supply chain.

Exit codes: 0 when every file is safe, every package audited clean, every artifact matches
its manifest; 1 when anything is flagged (a malicious, suspicious, unreadable or unsupported
file; a vulnerable or unaudited package; a changed, missing or unrecorded artifact); 2 for
bad arguments.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from failmodes.artifacts import ScanReport, scan_paths
from failmodes.artifacts.provenance import (
    ProvenanceReport,
    check_manifest,
    manifest_path,
    record_manifest,
)
from failmodes.catalog import load_catalog
from failmodes.cli.common import (
    AdvisoriesOption,
    OutputOption,
    OverlayOption,
    err_console,
    overlays,
    write_result,
)
from failmodes.dependencies import (
    AuditReport,
    DeclaredPackage,
    PackageStatus,
    audit,
    cyclonedx,
    default_database,
    download_advisories,
    installed_packages,
    load_database,
    read_dependencies,
)
from failmodes.errors import EXIT_POLICY_FAILED, InputError


class ResultFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


FormatOption = Annotated[
    ResultFormat, typer.Option("--format", "-f", help="text for people, json for programs.")
]


def render_scan(report: ScanReport) -> str:
    lines = []
    for file in report.files:
        lines.append(f"{file.verdict.upper():<12}{file.path}  ({file.format})")
        for finding in file.findings:
            if finding.implies == "safe":
                continue
            where = f"{finding.member}" if finding.member else ""
            where += f"@{finding.offset}" if finding.offset is not None else ""
            lines.append(
                f"  {finding.severity:<10}{where + '  ' if where else ''}{finding.message}"
            )
            lines.append(f"  {'':<10}-> {finding.advice}")
    counts = ", ".join(f"{n} {v}" for v, n in report.counts().items() if n)
    lines.append(f"{len(report.files)} files: {counts or 'none'}")
    return "\n".join(lines) + "\n"


def scan_artifact(
    paths: Annotated[
        list[Path],
        typer.Argument(exists=True, help="Model files or folders (scanned recursively)."),
    ],
    fmt: FormatOption = ResultFormat.TEXT,
    output: OutputOption = None,
    overlay: OverlayOption = None,
) -> None:
    """Scan model files for code that runs when they are loaded, without loading them."""
    policy = load_catalog(overlays(overlay)).artifact_policy if overlay else None
    report = scan_paths(paths, policy=policy)
    if fmt is ResultFormat.JSON:
        data = {
            "files": [f.model_dump(mode="json") for f in report.files],
            "summary": {v.value: n for v, n in report.counts().items()},
        }
        write_result(json.dumps(data, indent=2) + "\n", output)
    else:
        write_result(render_scan(report), output)
    if report.flagged:
        raise typer.Exit(EXIT_POLICY_FAILED)


def render_audit(report: AuditReport) -> str:
    lines = [f"Advisories: {report.advisories_loaded:,} from {report.database}"]
    if report.database_problems:
        lines.append(
            f"WARNING: {len(report.database_problems)} advisory files could not be read; "
            f"the audit may miss their advisories (first: {report.database_problems[0]})"
        )
    for package in report.packages:
        version = package.version or "-"
        lines.append(f"{package.status.upper():<12}{package.name} {version}  ({package.source})")
        if package.reason:
            lines.append(f"  {package.reason}")
        for advisory in package.advisories:
            fixed = f"; fixed in {', '.join(advisory.fixed_in)}" if advisory.fixed_in else ""
            aliases = f" ({', '.join(advisory.aliases)})" if advisory.aliases else ""
            lines.append(f"  {advisory.id}{aliases}: {advisory.summary}{fixed}")
    counts = report.counts()
    lines.append(
        f"{len(report.packages)} packages: {counts[PackageStatus.VULNERABLE]} vulnerable, "
        f"{counts[PackageStatus.NOT_AUDITED]} not audited, {counts[PackageStatus.CLEAN]} clean"
    )
    return "\n".join(lines) + "\n"


def audit_deps(
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            help="requirements*.txt, pyproject.toml, poetry.lock, uv.lock or pylock.toml.",
            show_default=False,
        ),
    ] = None,
    *,
    advisories: AdvisoriesOption = None,
    environment: Annotated[
        bool, typer.Option("--environment", help="Also audit the running Python environment.")
    ] = False,
    fmt: FormatOption = ResultFormat.TEXT,
    output: OutputOption = None,
    sbom: Annotated[
        Path | None,
        typer.Option("--sbom", help="Also write a CycloneDX JSON SBOM to this file."),
    ] = None,
) -> None:
    """Match dependencies against known vulnerabilities; unpinned ones are not audited."""
    if not files and not environment:
        raise InputError("give dependency files to audit, or --environment for this Python.")
    packages: list[DeclaredPackage] = []
    for file in files or []:
        packages.extend(read_dependencies(file))
    if environment:
        packages.extend(installed_packages())
    report = audit(packages, load_database(advisories or default_database()))
    if fmt is ResultFormat.JSON:
        write_result(report.model_dump_json(indent=2) + "\n", output)
    else:
        write_result(render_audit(report), output)
    if sbom is not None:
        write_result(json.dumps(cyclonedx(report), indent=2) + "\n", sbom)
    if report.flagged:
        raise typer.Exit(EXIT_POLICY_FAILED)


def render_provenance(report: ProvenanceReport) -> str:
    lines = [f"{f.kind.upper():<12}{f.message}" for f in report.findings]
    verdict = "all match" if report.ok else f"{len(report.findings)} problems"
    lines.append(f"{report.checked} artifacts checked against {report.manifest}: {verdict}")
    return "\n".join(lines) + "\n"


def verify(
    target: Annotated[
        Path,
        typer.Argument(
            exists=True, help="A system profile (its target.model and target.data) or a folder."
        ),
    ],
    record: Annotated[
        bool, typer.Option("--record", help="Record the current digests as trusted.")
    ] = False,
    fmt: FormatOption = ResultFormat.TEXT,
) -> None:
    """Check model and data files against their recorded SHA-256 digests."""
    if record:
        manifest = record_manifest(target)
        write_result(manifest.to_json(), manifest_path(target))
        err_console.print(f"Recorded {len(manifest.entries)} artifacts.", highlight=False)
        return
    report = check_manifest(target)
    if fmt is ResultFormat.JSON:
        typer.echo(report.model_dump_json(indent=2))
    else:
        typer.echo(render_provenance(report), nl=False)
    if not report.ok:
        raise typer.Exit(EXIT_POLICY_FAILED)


advisories_app = typer.Typer(help="Manage the offline advisory database.", no_args_is_help=True)


@advisories_app.command("update")
def update(
    dest: Annotated[
        Path | None,
        typer.Option("--dest", help="Where to save the zip. Default: the user cache folder."),
    ] = None,
) -> None:
    """Download OSV's export of PyPI advisories for offline audits."""
    saved = download_advisories(dest or default_database())
    err_console.print(f"Saved the advisories to {saved}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add the supply-chain commands to the ``failmodes`` application."""
    app.command("scan-artifact")(scan_artifact)
    app.command("audit-deps")(audit_deps)
    app.command("verify")(verify)
    app.add_typer(advisories_app, name="advisories")
