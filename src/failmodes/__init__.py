"""failmodes: Microsoft's *Failure Modes in Machine Learning* as working software.

Everything the command line does is one import away::

    import failmodes
    profile = failmodes.load_profile("examples/fraud-detection.yaml")
    model = failmodes.threat_model(profile, catalog=failmodes.load_catalog())
    assessment = failmodes.scan(profile, failmodes.load_target(profile),
                                failmodes.load_data(profile))
    html = failmodes.render_html(assessment)
    guideline = failmodes.render_guideline_markdown(failmodes.load_catalog(["contoso.yaml"]))
    eu = failmodes.framework_view(assessment, failmodes.load_catalog().framework("eu-ai-act"))
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
    "begin_workshop": ("failmodes.workshop", "begin"),
    "workshop_agenda": ("failmodes.workshop", "build_agenda"),
    "AgentTarget": ("failmodes.targets.agent", "AgentTarget"),
    "render_guideline_markdown": ("failmodes.report.guideline", "render_guideline_markdown"),
    "render_guideline_html": ("failmodes.report.guideline_html", "render_guideline_html"),
    "compare_guidelines": ("failmodes.catalog.compare", "compare_catalogs"),
    "framework_view": ("failmodes.assessment.frameworks", "framework_view"),
    "render_framework_markdown": ("failmodes.report.frameworks", "render_framework_markdown"),
    "monitor_run": ("failmodes.monitor.run", "monitor_run"),
    "MonitorConfig": ("failmodes.monitor.engine", "MonitorConfig"),
    "WindowRule": ("failmodes.monitor.windows", "WindowRule"),
    "read_monitor_state": ("failmodes.monitor.state", "read_state"),
    "evaluate_findings": ("failmodes.assessment.gate", "evaluate_findings"),
    "render_monitor_html": ("failmodes.report.monitor", "render_monitor_html"),
    "render_monitor_markdown": ("failmodes.report.monitor", "render_monitor_markdown"),
    "TorchTarget": ("failmodes.targets.torch_model", "TorchTarget"),
    "serve": ("failmodes.web", "serve"),
    "create_web_admin": ("failmodes.web", "create_admin"),
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
    "AgentTarget",
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
    "MonitorConfig",
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
    "WindowRule",
    "__version__",
    "audit",
    "begin_workshop",
    "check_manifest",
    "compare_guidelines",
    "create_web_admin",
    "diff_assessments",
    "ensure_safe_to_load",
    "evaluate_findings",
    "evaluate_gate",
    "framework_view",
    "load_assessment",
    "load_catalog",
    "load_data",
    "load_database",
    "load_overlay",
    "load_profile",
    "load_target",
    "monitor_run",
    "open_register",
    "profile_from_dict",
    "read_dependencies",
    "read_monitor_state",
    "record_manifest",
    "render_framework_markdown",
    "render_guideline_html",
    "render_guideline_markdown",
    "render_html",
    "render_junit",
    "render_markdown",
    "render_monitor_html",
    "render_monitor_markdown",
    "render_sarif",
    "scan",
    "scan_paths",
    "serve",
    "threat_model",
    "to_json",
    "workshop_agenda",
]
