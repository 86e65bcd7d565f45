"""Reading a system profile from YAML, with errors that name the file, line and field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from failmodes.errors import ProfileError
from failmodes.profile.schema import Profile
from failmodes.safeyaml import YamlDocument, parse_yaml, read_yaml
from failmodes.validation import summarize

#: Top-level sections that describe the system in facts the rules read. ``name``, ``owner``,
#: ``description``, ``target``, ``risk``, ``decisions`` and ``dependencies`` are not facts.
FACT_SECTIONS = (
    "task",
    "modalities",
    "learning",
    "training_data",
    "model",
    "deployment",
    "business_impact",
)


def load_profile(path: str | Path) -> Profile:
    """Load and validate the profile at ``path``.

    Raises :class:`~failmodes.errors.ProfileError` with ``file:line: field: problem`` for
    invalid YAML, unknown keys, wrong values or types, and
    :class:`~failmodes.errors.MissingFileError` for a missing file.
    """
    doc = read_yaml(path, what="system profile", error=ProfileError)
    profile = _validated(doc)
    profile._source = doc.path.resolve()
    return profile


def profile_from_text(text: str, *, source: str) -> Profile:
    """Validate a profile kept as YAML text (a register's stored version); ``source`` names it
    in error messages as a file would be named."""
    return _validated(
        parse_yaml(text, path=Path(source), what="system profile", error=ProfileError)
    )


def _validated(doc: YamlDocument) -> Profile:
    if not isinstance(doc.data, dict):
        raise ProfileError(
            f"{doc.path}: a system profile is a YAML mapping with at least `name:`; "
            "run `failmodes init` for a starter file."
        )
    try:
        return Profile.model_validate(doc.data)
    except ValidationError as exc:
        raise ProfileError(summarize(exc, Profile, doc)) from None


def profile_from_dict(data: dict[str, Any]) -> Profile:
    """Validate a profile given as a mapping (for programs that build profiles in code)."""
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        raise ProfileError(summarize(exc, Profile, None)) from None


def stated_and_assumed(profile: Profile) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split the profile's facts into those the user stated and those left to defaults.

    Returns two mappings from dotted fact path (``deployment.exposure``) to value.
    """
    stated: dict[str, Any] = {}
    assumed: dict[str, Any] = {}

    def walk(model: BaseModel, prefix: str, parent_stated: bool) -> None:
        for name in type(model).model_fields:
            value = getattr(model, name)
            path = f"{prefix}{name}"
            was_set = parent_stated and name in model.model_fields_set
            if isinstance(value, BaseModel):
                walk(value, f"{path}.", was_set)
            elif was_set:
                stated[path] = value
            elif value is not None:  # an optional fact with no default is unknown, not assumed
                assumed[path] = value

    for section in FACT_SECTIONS:
        value = getattr(profile, section)
        was_set = section in profile.model_fields_set
        if isinstance(value, BaseModel):
            walk(value, f"{section}.", was_set)
        else:
            (stated if was_set else assumed)[section] = value
    return stated, assumed


def fact_paths() -> dict[str, Any]:
    """Every fact path the rules may name, with the annotation of its field."""
    out: dict[str, Any] = {}

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, field in model.model_fields.items():
            annotation = field.annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                walk(annotation, f"{prefix}{name}.")
            else:
                out[f"{prefix}{name}"] = annotation

    for section in FACT_SECTIONS:
        annotation = Profile.model_fields[section].annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            walk(annotation, f"{section}.")
        else:
            out[section] = annotation
    return out
