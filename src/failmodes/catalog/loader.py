"""Loading the failure-mode catalog: the built-in files, then any overlays, validated.

The built-in catalog lives in ``failmodes/catalog/data``: ``catalog.yaml`` (version and the
default risk policy) and one file per failure mode under ``modes/``. A broken file fails with
its path, line and field named; a cross-reference that is not a real ATLAS, OWASP or NIST id
fails too.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from failmodes.catalog.checks import check_modes, validate_mode
from failmodes.catalog.frameworks import builtin_frameworks
from failmodes.catalog.model import Catalog
from failmodes.catalog.overlay import Overlay, apply_overlay, load_overlay
from failmodes.catalog.schema import CatalogSettings, ReviewQuestions
from failmodes.errors import CatalogError
from failmodes.safeyaml import parse_yaml
from failmodes.validation import summarize


def _data_dir() -> Any:
    return resources.files("failmodes.catalog").joinpath("data")


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
        mode = validate_mode(doc.data, doc, where)
        if f"{mode.id}.yaml" != entry.name:
            raise CatalogError(f"{where}: file name must be the mode id: {mode.id}.yaml.")
        modes.append(mode)
    modes.sort(key=lambda m: (m.number is None, m.number or 0, m.id))
    check_modes(modes, "failmodes/catalog/data")
    review = _review_questions(data, {m.id for m in modes})
    return Catalog(
        version=settings.catalog_version,
        taxonomy=settings.taxonomy,
        modes=tuple(modes),
        risk=settings.risk,
        policy=settings.policy,
        questions=tuple(review.questions),
        considerations=review.considerations,
        frameworks=builtin_frameworks(modes),
    )


def _review_questions(data: Any, known: set[str]) -> ReviewQuestions:
    """The threat-modeling review questions, each tied to failure modes that exist."""
    where = "failmodes/catalog/data/questions.yaml"
    doc = parse_yaml(
        data.joinpath("questions.yaml").read_text("utf-8"),
        path=Path(where),
        what="review questions",
        error=CatalogError,
    )
    try:
        review = ReviewQuestions.model_validate(doc.data)
    except ValidationError as exc:
        raise CatalogError(summarize(exc, ReviewQuestions, doc)) from None
    for question in review.questions:
        unknown = sorted(set(question.modes) - known)
        if unknown:
            raise CatalogError(f"{where}: {question.id}: unknown failure mode {unknown[0]!r}.")
    return review


def load_catalog(overlays: Iterable[str | Path | Overlay] = ()) -> Catalog:
    """The built-in catalog with ``overlays`` applied in order (later ones win)."""
    catalog = builtin_catalog()
    for item in overlays:
        overlay = item if isinstance(item, Overlay) else load_overlay(item)
        catalog = apply_overlay(catalog, overlay)
    return catalog
