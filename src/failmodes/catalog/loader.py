"""Loading the failure-mode catalog: the built-in files, then any overlays, validated.

The built-in catalog lives in ``failmodes/catalog/data``: ``catalog.yaml`` (version and the
default risk policy) and one file per failure mode under ``modes/``. A broken file fails with
its path, line and field named; a cross-reference that is not a real ATLAS, OWASP or NIST id
fails too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from difflib import get_close_matches
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from failmodes.catalog.overlay import Overlay, apply_overlay, load_overlay
from failmodes.catalog.schema import (
    ArtifactPolicy,
    CatalogSettings,
    FailureMode,
    GatePolicy,
    RiskPolicy,
)
from failmodes.catalog.xref import unknown_references
from failmodes.errors import CatalogError, UnknownIdError
from failmodes.safeyaml import YamlDocument, parse_yaml
from failmodes.validation import summarize


class Catalog(BaseModel):
    """The failure modes in force, in taxonomy order, with the risk policy to rank them."""

    model_config = ConfigDict(frozen=True)

    version: str
    taxonomy: str
    modes: tuple[FailureMode, ...]
    risk: RiskPolicy
    artifact_policy: ArtifactPolicy = ArtifactPolicy()
    policy: GatePolicy = GatePolicy()
    overlays: tuple[str, ...] = ()

    def get(self, mode_id: str) -> FailureMode:
        """The failure mode ``mode_id``; an :class:`UnknownIdError` suggests near ids."""
        for mode in self.modes:
            if mode.id == mode_id:
                return mode
        ids = [m.id for m in self.modes]
        near = get_close_matches(mode_id, ids, n=3)
        hint = f" Did you mean {', '.join(near)}?" if near else " Run `failmodes catalog list`."
        raise UnknownIdError(f"unknown failure mode id {mode_id!r}.{hint}")

    @property
    def active(self) -> tuple[FailureMode, ...]:
        """Modes not retired by an overlay."""
        return tuple(m for m in self.modes if m.retired is None)

    def search(self, text: str) -> list[FailureMode]:
        """Modes whose id, name, aliases, summary, example, indicators or mitigations
        mention every word of ``text`` (case-insensitive)."""
        words = [w for w in re.split(r"\W+", text.lower()) if w]
        hits = []
        for mode in self.modes:
            haystack = " ".join(
                [mode.id, mode.name, *mode.aliases, mode.summary, mode.example]
                + [i.name + " " + i.description for i in mode.indicators]
                + [m.summary for m in mode.mitigations]
                + mode.xrefs.atlas
                + mode.xrefs.owasp_ml
            ).lower()
            if all(w in haystack for w in words):
                hits.append(mode)
        return hits


def _data_dir() -> Any:
    return resources.files("failmodes.catalog").joinpath("data")


def _validate_mode(
    raw: Any, doc: YamlDocument | None, where: str, prefix: Sequence[str | int] = ()
) -> FailureMode:
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


@cache
def builtin_catalog() -> Catalog:
    """The catalog shipped with failmodes, without overlays (read once; it is immutable)."""
    data = _data_dir()
    settings_doc = parse_yaml(
        data.joinpath("catalog.yaml").read_text("utf-8"),
        path=Path("failmodes/catalog/data/catalog.yaml"),
        what="catalog settings",
        error=CatalogError,
    )
    try:
        settings = CatalogSettings.model_validate(settings_doc.data)
    except ValidationError as exc:
        raise CatalogError(summarize(exc, CatalogSettings, settings_doc)) from None
    modes = []
    for entry in sorted(data.joinpath("modes").iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yaml"):
            continue
        where = f"failmodes/catalog/data/modes/{entry.name}"
        doc = parse_yaml(
            entry.read_text("utf-8"), path=Path(where), what="catalog file", error=CatalogError
        )
        mode = _validate_mode(doc.data, doc, where)
        if f"{mode.id}.yaml" != entry.name:
            raise CatalogError(f"{where}: file name must be the mode id: {mode.id}.yaml.")
        modes.append(mode)
    modes.sort(key=lambda m: (m.number is None, m.number or 0, m.id))
    check_modes(modes, "failmodes/catalog/data")
    return Catalog(
        version=settings.catalog_version,
        taxonomy=settings.taxonomy,
        modes=tuple(modes),
        risk=settings.risk,
        policy=settings.policy,
    )


def load_catalog(overlays: Iterable[str | Path | Overlay] = ()) -> Catalog:
    """The built-in catalog with ``overlays`` applied in order (later ones win)."""
    catalog = builtin_catalog()
    for item in overlays:
        overlay = item if isinstance(item, Overlay) else load_overlay(item)
        catalog = apply_overlay(catalog, overlay, validate_mode=_validate_mode, check=check_modes)
    return catalog
