"""The loading guard: a model file the scanner flags is not loaded unless the user trusts it.

Every place in failmodes that deserializes a model (the probes' targets) calls
:func:`ensure_safe_to_load` first. It scans the file; any verdict but ``safe`` raises
:class:`~failmodes.errors.UnsafeArtifactError` naming the worst finding, unless the caller
passes ``trust=True`` (the command line's explicit trust flag), in which case the report is
returned for the caller to log.
"""

from __future__ import annotations

from pathlib import Path

from failmodes.artifacts.limits import ScanLimits
from failmodes.artifacts.results import VERDICT_ORDER, FileReport
from failmodes.artifacts.scanner import scan_file
from failmodes.catalog.schema import ArtifactPolicy
from failmodes.errors import UnsafeArtifactError


def ensure_safe_to_load(
    path: str | Path,
    *,
    trust: bool = False,
    policy: ArtifactPolicy | None = None,
    limits: ScanLimits | None = None,
) -> FileReport:
    """Scan ``path`` and refuse it (raise) unless it is ``safe`` or ``trust`` is set."""
    report = scan_file(path, policy=policy, limits=limits)
    if report.flagged and not trust:
        worst = min(report.findings, key=lambda f: VERDICT_ORDER.index(f.implies))
        raise UnsafeArtifactError(
            f"{path}: refused to load a {report.verdict} model file ({worst.location}: "
            f"{worst.message}). Run `failmodes scan-artifact {path}` for every finding; "
            "load it only if you trust its source, with the explicit trust flag."
        )
    return report
