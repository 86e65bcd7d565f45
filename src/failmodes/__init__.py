"""failmodes: Microsoft's *Failure Modes in Machine Learning* as working software.

Everything the command line does is one import away::

    import failmodes
    profile = failmodes.load_profile("examples/fraud-detection.yaml")
    model = failmodes.threat_model(profile, catalog=failmodes.load_catalog())
    assessment = failmodes.scan(profile, failmodes.load_target(profile),
                                failmodes.load_data(profile))
    html = failmodes.render_html(assessment)
    with failmodes.open_register("failmodes-register.sqlite") as register:
        register.add_profile(Path("fraud.yaml").read_text(), actor="ana")

Names that need NumPy, pandas, scikit-learn or Matplotlib (``scan``, ``load_target``,
``load_data``, the renderers, the scanners) are imported on first use, so ``import failmodes``
and the command line start quickly.
"""

from __future__ import annotations

import importlib as _importlib
from importlib.metadata import PackageNotFoundError as _PackageNotFoundError
from importlib.metadata import version as _version

try:
    __version__ = _version("failmodes")
except _PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"

from failmodes.assessment import Assessment
from failmodes.catalog import Catalog, FailureMode, Overlay, load_catalog, load_overlay
from failmodes.errors import (
    CatalogError,
    ConflictError,
    DataError,
    FailmodesError,
    InputError,
    MissingFileError,
    ProfileError,
    RegisterError,
    UnknownIdError,
    UnsafeArtifactError,
)
from failmodes.findings import Finding, Status
from failmodes.profile import Profile, load_profile, profile_from_dict
from failmodes.threatmodel import ModeAssessment, ThreatModel, threat_model

#: Public names imported on first use: name -> (module, attribute).
_LAZY = {
    "scan": ("failmodes.assessment.scan", "scan"),
    "load_target": ("failmodes.targets.loading", "load_target"),
    "load_data": ("failmodes.targets.loading", "load_data"),
    "scan_paths": ("failmodes.artifacts", "scan_paths"),
    "ensure_safe_to_load": ("failmodes.artifacts", "ensure_safe_to_load"),
    "audit": ("failmodes.dependencies", "audit"),
    "read_dependencies": ("failmodes.dependencies", "read_dependencies"),
    "load_database": ("failmodes.dependencies", "load_database"),
    "check_manifest": ("failmodes.artifacts.provenance", "check_manifest"),
    "record_manifest": ("failmodes.artifacts.provenance", "record_manifest"),
    "evaluate_gate": ("failmodes.assessment.gate", "evaluate_gate"),
    "diff_assessments": ("failmodes.assessment.diff", "diff"),
    "load_assessment": ("failmodes.report.contract", "load"),
    "to_json": ("failmodes.report.contract", "to_json"),
    "render_html": ("failmodes.report.html", "render_html"),
    "render_markdown": ("failmodes.report.markdown", "render_markdown"),
    "render_sarif": ("failmodes.report.sarif", "render_sarif"),
    "render_junit": ("failmodes.report.junit", "render_junit"),
    "open_register": ("failmodes.store", "open_register"),
    "RegisterDecision": ("failmodes.store", "RegisterDecision"),
    "TorchTarget": ("failmodes.targets.torch_model", "TorchTarget"),
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        module, attribute = _LAZY[name]
        value = getattr(_importlib.import_module(module), attribute)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'failmodes' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__all__ = [
    "Assessment",
    "Catalog",
    "CatalogError",
    "ConflictError",
    "DataError",
    "FailmodesError",
    "FailureMode",
    "Finding",
    "InputError",
    "MissingFileError",
    "ModeAssessment",
    "Overlay",
    "Profile",
    "ProfileError",
    "RegisterDecision",
    "RegisterError",
    "Status",
    "ThreatModel",
    "TorchTarget",
    "UnknownIdError",
    "UnsafeArtifactError",
    "__version__",
    "audit",
    "check_manifest",
    "diff_assessments",
    "ensure_safe_to_load",
    "evaluate_gate",
    "load_assessment",
    "load_catalog",
    "load_data",
    "load_database",
    "load_overlay",
    "load_profile",
    "load_target",
    "open_register",
    "profile_from_dict",
    "read_dependencies",
    "record_manifest",
    "render_html",
    "render_junit",
    "render_markdown",
    "render_sarif",
    "scan",
    "scan_paths",
    "threat_model",
    "to_json",
]
