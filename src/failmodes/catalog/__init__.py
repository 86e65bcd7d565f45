"""The failure-mode catalog: the taxonomy as versioned, validated data, and overlays on it."""

from failmodes.catalog.loader import builtin_catalog, load_catalog
from failmodes.catalog.model import Catalog
from failmodes.catalog.overlay import Overlay, load_overlay
from failmodes.catalog.schema import FailureMode, RiskLevel, Threshold, Verdict

__all__ = [
    "Catalog",
    "FailureMode",
    "Overlay",
    "RiskLevel",
    "Threshold",
    "Verdict",
    "builtin_catalog",
    "load_catalog",
    "load_overlay",
]
