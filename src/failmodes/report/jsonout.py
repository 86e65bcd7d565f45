"""The JSON contract: the threat model (or assessment) as documented, versioned data.

Top level: ``schema_version``, ``kind``, ``tool``, ``profile``, ``profile_path``,
``catalog_version``, ``overlays``, ``risk_policy``, ``assumed_facts`` and ``modes``; per mode
at least ``id``, ``applicable``, ``likelihood``, ``impact``, ``risk``, ``score``,
``reasons`` and ``decision`` (see ``docs/json-contract.md``). Other tools rely on it: fields
are only ever added within a schema version.
"""

from __future__ import annotations

import json
from typing import Any

from failmodes import __version__
from failmodes.threatmodel.model import ThreatModel

JSON_SCHEMA_VERSION = 1


def threat_model_dict(model: ThreatModel) -> dict[str, Any]:
    body = model.model_dump(mode="json", by_alias=True, exclude_none=False)
    return {
        "schema_version": JSON_SCHEMA_VERSION,
        "kind": "threat_model",
        "tool": {"name": "failmodes", "version": __version__},
        **body,
    }


def render_json(model: ThreatModel) -> str:
    return json.dumps(threat_model_dict(model), indent=2, ensure_ascii=False) + "\n"
