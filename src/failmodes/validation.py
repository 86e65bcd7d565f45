"""Turn pydantic validation errors into the one- or two-line messages a user can act on.

Shared by the profile and catalog loaders so that both speak the same way:
``file:line: field.path: what is wrong; what is allowed``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from failmodes.safeyaml import YamlDocument

_ENUM_MSG = re.compile(r"^Input should be (.+)$")


def dotted(location: Sequence[str | int]) -> str:
    """``('deployment', 'outputs', 0)`` → ``deployment.outputs[0]``."""
    out = ""
    for part in location:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def _allowed_keys(model: type[BaseModel], location: Sequence[str | int]) -> list[str]:
    """Field names allowed at the mapping that holds ``location``'s last key."""
    current: Any = model
    for part in location[:-1]:
        if isinstance(part, int) or current is None:
            continue
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            current = _model_in(field.annotation) if field else None
        else:
            current = None
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside an annotation such as ``X | None`` or ``list[X]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def describe_error(
    err: dict[str, Any],
    model: type[BaseModel],
    doc: YamlDocument | None,
    prefix: Sequence[str | int] = (),
) -> str:
    """One line for one pydantic error dict; ``prefix`` locates the model inside the file."""
    loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
    # Unions add the member's class name to the location; it is noise to a user.
    loc = [p for p in loc if not (isinstance(p, str) and p[:1].isupper())]
    allowed_keys = _allowed_keys(model, loc) if err["type"] == "extra_forbidden" else []
    loc = [*prefix, *loc]
    where = f"{doc.path}:{doc.line_of(loc)}" if doc is not None else "input"
    field = dotted(loc)
    kind = err["type"]
    if kind == "extra_forbidden":
        hint = f"; allowed keys here: {', '.join(allowed_keys)}" if allowed_keys else ""
        return f"{where}: unknown key '{loc[-1]}'{hint}."
    if kind == "missing":
        return f"{where}: {field}: this field is required."
    got = err.get("input")
    shown = repr(got) if not isinstance(got, dict | list) else type(got).__name__
    match = _ENUM_MSG.match(err["msg"])
    if kind == "enum" and match:
        allowed = match.group(1).replace("'", "").replace(" or ", ", ")
        return f"{where}: {field}: {shown} is not allowed; expected one of: {allowed}."
    return f"{where}: {field}: {err['msg'][:1].lower()}{err['msg'][1:]} (got {shown})."


def summarize(
    exc: ValidationError,
    model: type[BaseModel],
    doc: YamlDocument | None,
    prefix: Sequence[str | int] = (),
) -> str:
    """The first problem on one line, and a count of the rest on a second."""
    errors = exc.errors()
    first = describe_error(dict(errors[0]), model, doc, prefix)
    if len(errors) > 1:
        first += f"\n({len(errors) - 1} more problem(s) in this file; fix this one and run again.)"
    return first
