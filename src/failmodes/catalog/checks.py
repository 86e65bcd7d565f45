"""Checks every failure mode passes, wherever it comes from: the built-in files or an overlay.

Shared by the loader and the overlay so that a mode added by an organization is held to the
same schema, cross-reference and uniqueness rules as the taxonomy's own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from failmodes.catalog.schema import FailureMode
from failmodes.catalog.xref import unknown_references
from failmodes.errors import CatalogError
from failmodes.safeyaml import YamlDocument
from failmodes.validation import summarize


def validate_mode(
    raw: Any, doc: YamlDocument | None, where: str, prefix: Sequence[str | int] = ()
) -> FailureMode:
    """A validated mode from ``raw``; errors name the file, line and field, or the bad reference."""
    if not isinstance(raw, dict):
        raise CatalogError(f"{where}: a failure mode is a YAML mapping.")
    try:
        mode = FailureMode.model_validate(raw)
    except ValidationError as exc:
        raise CatalogError(summarize(exc, FailureMode, doc, prefix)) from None
    bad = unknown_references(
        mode.xrefs.model_dump(), [ref for m in mode.mitigations for ref in m.atlas]
    )
    if bad:
        raise CatalogError(
            f"{where}: {mode.id}: {bad[0]}" + (f" (+{len(bad) - 1} more)" if len(bad) > 1 else "")
        )
    return mode


def check_modes(modes: Sequence[FailureMode], origin: str) -> None:
    """Catalog-wide checks: unique ids and numbers."""
    ids = [m.id for m in modes]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise CatalogError(f"{origin}: failure mode id(s) defined twice: {', '.join(dupes)}.")
    numbers = [m.number for m in modes if m.number is not None]
    if len(numbers) != len(set(numbers)):
        raise CatalogError(f"{origin}: two failure modes share a taxonomy number.")
