"""Scanning model files for code that runs when they are loaded, without loading them.

::

    from failmodes.artifacts import scan_paths, ensure_safe_to_load

    report = scan_paths(["models/"])          # every file, recursively
    for file in report.files:
        print(file.verdict, file.path, [f.message for f in file.findings])

    ensure_safe_to_load("model.pkl")          # raises UnsafeArtifactError if flagged

See ``docs/supply-chain.md`` for the formats read, the verdicts and the limits.
"""

from failmodes.artifacts.guard import ensure_safe_to_load
from failmodes.artifacts.limits import ScanLimits
from failmodes.artifacts.policy import CallablePolicy, load_policy
from failmodes.artifacts.results import (
    ArtifactFinding,
    FileReport,
    FindingKind,
    ScanReport,
    Verdict,
)
from failmodes.artifacts.scanner import files_under, scan_bytes, scan_file, scan_paths

__all__ = [
    "ArtifactFinding",
    "CallablePolicy",
    "FileReport",
    "FindingKind",
    "ScanLimits",
    "ScanReport",
    "Verdict",
    "ensure_safe_to_load",
    "files_under",
    "load_policy",
    "scan_bytes",
    "scan_file",
    "scan_paths",
]
