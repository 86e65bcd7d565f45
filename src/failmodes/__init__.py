"""failmodes: Microsoft's *Failure Modes in Machine Learning* as working software.

Everything the command line does is one import away::

    import failmodes
    profile = failmodes.load_profile("examples/fraud-detection.yaml")
    model = failmodes.threat_model(profile, catalog=failmodes.load_catalog())
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("failmodes")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"

from failmodes.catalog import Catalog, FailureMode, Overlay, load_catalog, load_overlay
from failmodes.errors import (
    CatalogError,
    DataError,
    FailmodesError,
    InputError,
    MissingFileError,
    ProfileError,
    UnknownIdError,
    UnsafeArtifactError,
)
from failmodes.findings import Finding, Status
from failmodes.profile import Profile, load_profile, profile_from_dict
from failmodes.threatmodel import ModeAssessment, ThreatModel, threat_model

__all__ = [
    "Catalog",
    "CatalogError",
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
    "Status",
    "ThreatModel",
    "UnknownIdError",
    "UnsafeArtifactError",
    "__version__",
    "load_catalog",
    "load_overlay",
    "load_profile",
    "profile_from_dict",
    "threat_model",
]
