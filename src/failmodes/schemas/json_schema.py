"""JSON Schemas exported for editors and other tools (``failmodes schema profile|catalog``)."""

from __future__ import annotations

from typing import Any

from failmodes.catalog.schema import FailureMode
from failmodes.profile.schema import Profile

_BASE = "https://failmodes.dev/schema"


def profile_json_schema() -> dict[str, Any]:
    schema = Profile.model_json_schema(by_alias=True)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{_BASE}/profile-1.json",
        **schema,
    }


def catalog_json_schema() -> dict[str, Any]:
    """Schema of one catalog file (one failure mode), also used for overlay ``add`` entries."""
    schema = FailureMode.model_json_schema(by_alias=True)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{_BASE}/failure-mode-1.json",
        **schema,
    }
