"""The JSON contract for saved threat models and assessments: write, read back, and its schema.

A saved file is what ``failmodes report`` and ``failmodes diff`` re-render and compare without
rerunning anything, and what other tools parse, so it is versioned data: the threat model's
contract (:mod:`failmodes.report.jsonout`) with ``kind: assessment`` and the assessment's own
fields (``probe_runs``, ``seed``, ``target``, ``coverage``) added. Fields are only ever added
within a schema version. Reading a file validates it completely; a file that is not JSON, not
ours, of a newer schema version or that does not validate is an :class:`InputError` in one line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from failmodes.assessment import Assessment
from failmodes.errors import InputError, MissingFileError
from failmodes.report.jsonout import JSON_SCHEMA_VERSION, threat_model_dict
from failmodes.threatmodel.model import ThreatModel
from failmodes.validation import dotted

#: Keys of the envelope that are not fields of the model.
_ENVELOPE = ("schema_version", "kind", "tool")
_KINDS: dict[str, type[ThreatModel]] = {"threat_model": ThreatModel, "assessment": Assessment}
SCHEMA_ID = "https://failmodes.dev/schema/assessment-1.json"


def to_dict(model: ThreatModel) -> dict[str, Any]:
    """The contract as plain data; ``kind`` says whether probes measured anything."""
    data = threat_model_dict(model)
    if isinstance(model, Assessment):
        data["kind"] = "assessment"
    return data


def to_json(model: ThreatModel) -> str:
    """The contract as JSON text, as ``--format json`` writes it."""
    return json.dumps(to_dict(model), indent=2, ensure_ascii=False) + "\n"


def from_json(text: str, *, source: str = "input") -> ThreatModel:
    """Read a saved threat model or assessment back; an :class:`Assessment` for ``assessment``.

    ``source`` names the file in error messages.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{source}:{exc.lineno}: not valid JSON ({exc.msg}); expected a file written by "
            "`failmodes threat-model --format json` or `failmodes scan --format json`."
        ) from None
    if not isinstance(data, dict) or data.get("kind") not in _KINDS:
        found = data.get("kind") if isinstance(data, dict) else type(data).__name__
        raise InputError(
            f"{source}: not a failmodes threat model or assessment (kind {found!r}); expected "
            "`kind: threat_model` or `kind: assessment`."
        )
    version = data.get("schema_version")
    if not isinstance(version, int) or not 1 <= version <= JSON_SCHEMA_VERSION:
        raise InputError(
            f"{source}: schema_version {version!r} is not one this failmodes reads "
            f"(1 to {JSON_SCHEMA_VERSION}); upgrade failmodes to read newer files."
        )
    cls = _KINDS[data["kind"]]
    body = {k: v for k, v in data.items() if k not in _ENVELOPE}
    try:
        return cls.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise InputError(
            f"{source}: {dotted(first['loc'])}: {first['msg'][:1].lower()}{first['msg'][1:]}"
            f"{more}; the file does not match the {data['kind']} contract."
        ) from None


def load(path: str | Path) -> ThreatModel:
    """Read a saved threat model or assessment from ``path``."""
    file = Path(path)
    try:
        text = file.read_text("utf-8")
    except FileNotFoundError:
        raise MissingFileError(f"{file}: no such file.") from None
    except IsADirectoryError:
        raise InputError(f"{file}: is a directory; give a saved JSON file.") from None
    except UnicodeDecodeError:
        raise InputError(f"{file}: not UTF-8 text; expected a saved JSON file.") from None
    return from_json(text, source=str(file))


def assessment_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a saved assessment, as ``to_json`` writes it.

    Built from the pydantic models in serialization mode, so the computed fields of the
    contract (each mode's ``name``, ``likelihood``, ``risk`` …, the ``coverage``) are in it and
    marked required; published as ``docs/schema/assessment.schema.json``.
    """
    schema = Assessment.model_json_schema(mode="serialization", by_alias=True)
    properties = {
        "schema_version": {"const": JSON_SCHEMA_VERSION},
        "kind": {"const": "assessment"},
        "tool": {
            "type": "object",
            "properties": {"name": {"const": "failmodes"}, "version": {"type": "string"}},
            "required": ["name", "version"],
        },
        **schema["properties"],
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
        "title": "failmodes assessment",
        "properties": properties,
        "required": [*_ENVELOPE, *schema.get("required", [])],
    }
