"""The starter profile that ``failmodes init`` writes, generated from the schema itself.

Writing the template from the pydantic models means it can never fall out of step with what
the loader accepts: every fact appears with its description, its allowed values and its
default, ready to be edited. ``--interactive`` asks the same questions in the terminal.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from enum import Enum
from typing import Any

import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from failmodes.profile.loader import FACT_SECTIONS
from failmodes.profile.schema import PROFILE_SCHEMA_VERSION, Profile

#: Asks one question: (dotted path, description, allowed values or None, default, is_list) → answer.
Ask = Callable[[str, str, list[str] | None, Any, bool], Any]


def _choices(annotation: Any) -> tuple[list[str] | None, bool]:
    origin = typing.get_origin(annotation)
    if origin is list:
        inner, _ = _choices(typing.get_args(annotation)[0])
        return inner, True
    if origin in (types.UnionType, typing.Union):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _choices(args[0])[0], False
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return [m.value for m in annotation], False
    if annotation is bool:
        return ["true", "false"], False
    return None, False


def _default(field: FieldInfo) -> Any:
    value = field.get_default(call_default_factory=True)
    if isinstance(value, BaseModel):
        return None
    if isinstance(value, list):
        return [v.value if isinstance(v, Enum) else v for v in value]
    return value.value if isinstance(value, Enum) else value


def _yaml_scalar(value: Any) -> str:
    """One value as inline YAML (lists in flow style, so they fit after their key)."""
    return (
        yaml.safe_dump(value, default_flow_style=True, width=1000)
        .strip()
        .removesuffix("...")
        .strip()
    )


def _lines(model: type[BaseModel], indent: int, prefix: str, ask: Ask | None) -> list[str]:
    pad = "  " * indent
    out: list[str] = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if field.description:
                out.append(f"{pad}# {field.description}")
            out.append(f"{pad}{name}:")
            out += _lines(annotation, indent + 1, f"{prefix}{name}.", ask)
            continue
        choices, is_list = _choices(annotation)
        default = _default(field)
        value = (
            ask(f"{prefix}{name}", field.description or "", choices, default, is_list)
            if ask
            else default
        )
        if field.description:
            out.append(f"{pad}# {field.description}")
        if choices and choices != ["true", "false"]:
            out.append(f"{pad}# allowed: {', '.join(choices)}")
        rendered = "null" if value is None else _yaml_scalar(value)
        out.append(f"{pad}{name}: {rendered}")
    return out


def starter_profile(name: str = "My ML system", ask: Ask | None = None) -> str:
    """Commented YAML for a new profile; with ``ask``, the answers replace the defaults."""
    lines = [
        "# failmodes system profile. Every fact below is optional: a fact you delete takes the",
        "# conservative default shown, and the threat model lists it as assumed.",
        "# Check it with `failmodes threat-model THIS_FILE`; editor completion:",
        "# `failmodes schema profile > profile.schema.json`.",
        f"schema_version: {PROFILE_SCHEMA_VERSION}",
        f"name: {_yaml_scalar(name)}",
        "owner: team@example.com",
        "description: What the system does, for whom, in a sentence or two.",
    ]
    for section in FACT_SECTIONS:
        field = Profile.model_fields[section]
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            doc = (annotation.__doc__ or "").strip().splitlines()[0]
            lines.append(f"# {doc}")
            lines.append(f"{section}:")
            lines += _lines(annotation, 1, f"{section}.", ask)
        else:
            lines += _lines(
                type(
                    "_Section",
                    (BaseModel,),
                    {"__annotations__": {section: annotation}, section: field},
                ),
                0,
                "",
                ask,
            )
    lines += [
        "# Dependency files to audit, relative to this file.",
        "dependencies: []",
        "# Decisions per failure mode id: mitigate | accept | transfer | not_applicable.",
        "decisions: {}",
    ]
    return "\n".join(lines) + "\n"
