"""Governance frameworks: the requirements an auditor reads, mapped to failure modes as data.

A :class:`Framework` is an official list of requirement ids — NIST AI RMF 1.0 subcategories,
articles of the EU AI Act (Regulation (EU) 2024/1689), ISO/IEC 42001:2023 Annex A controls —
with the document and version it comes from, and two mappings onto the catalog: each failure
mode to the requirements its assessment is evidence for, and each probe metric to the
requirements it measures directly. The id lists ship in ``catalog/reference`` (each file
cites its source), the mappings in ``catalog/data/frameworks``; a mapping that cites an id the
list does not hold, a mode the catalog does not have or a metric no mode measures is refused
on load, so a typo cannot reach an auditor.

An overlay's ``frameworks:`` entries either extend a shipped framework (same ``id``: its
``modes`` and ``metrics`` merge mode by mode) or add a framework of the organization's own,
with its requirement list inline.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from failmodes.catalog.schema import FailureMode
from failmodes.errors import CatalogError
from failmodes.safeyaml import YamlDocument, parse_yaml
from failmodes.validation import summarize

FrameworkId = str


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RequirementList(_Strict):
    """An official list of requirement ids, as one file of ``catalog/reference`` holds it."""

    framework: str = Field(description="The framework's name, as its publisher writes it.")
    source: str = Field(min_length=3, description="The document the ids come from.")
    version: str = Field(min_length=1, description="Its version or edition.")
    url: str | None = None
    titles: str = Field(min_length=3, description="Where the titles come from.")
    ids: dict[str, str] = Field(min_length=1, description="Requirement id → short title.")


class Framework(_Strict):
    """One framework's requirements and how the catalog's failure modes map onto them."""

    id: str = Field(pattern=r"^[a-z][a-z0-9-]*$", description="Used by `report --by ID`.")
    name: str = Field(min_length=1)
    source: str = Field(min_length=3, description="The document the requirement ids come from.")
    version: str = Field(min_length=1)
    url: str | None = None
    titles: str | None = Field(None, description="Where the requirement titles come from.")
    notes: str | None = Field(None, description="Why the mapping maps as it does.")
    requirements: dict[str, str] = Field(
        min_length=1, description="Every requirement id of the framework, with a short title."
    )
    modes: dict[str, list[str]] = Field(
        default_factory=dict, description="Failure mode id → the requirement ids it serves."
    )
    metrics: dict[str, list[str]] = Field(
        default_factory=dict, description="Probe metric → the requirement ids it measures."
    )
    defined_by: str = Field("failmodes", description="failmodes, or the overlay that added it.")

    def for_mode(self, mode_id: str) -> list[str]:
        """The requirement ids ``mode_id`` maps to, in the mapping's order."""
        return list(self.modes.get(mode_id, []))

    def cited(self) -> list[str]:
        """Every requirement the mapping cites, in the framework's own order."""
        used = {r for refs in (*self.modes.values(), *self.metrics.values()) for r in refs}
        return [r for r in self.requirements if r in used]


def _data(*parts: str) -> Any:
    return resources.files("failmodes.catalog").joinpath(*parts)


def _read(entry: Any, where: str, what: str) -> YamlDocument:
    return parse_yaml(entry.read_text("utf-8"), path=Path(where), what=what, error=CatalogError)


def requirement_list(name: str) -> RequirementList:
    """The shipped id list ``catalog/reference/NAME.yaml``."""
    where = f"failmodes/catalog/reference/{name}.yaml"
    entry = _data("reference", f"{name}.yaml")
    if not entry.is_file():
        raise CatalogError(f"{where}: no such requirement list is shipped.")
    doc = _read(entry, where, "requirement list")
    try:
        return RequirementList.model_validate(doc.data)
    except ValidationError as exc:
        raise CatalogError(summarize(exc, RequirementList, doc)) from None


def builtin_frameworks(modes: Sequence[FailureMode]) -> tuple[Framework, ...]:
    """The shipped mappings, each joined to the id list it names, checked against ``modes``."""
    frameworks = []
    folder = _data("data", "frameworks")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yaml"):
            continue
        where = f"failmodes/catalog/data/frameworks/{entry.name}"
        doc = _read(entry, where, "framework mapping")
        raw = dict(doc.data) if isinstance(doc.data, dict) else {}
        reference = requirement_list(str(raw.pop("reference", "")))
        raw.update(
            source=reference.source,
            version=reference.version,
            url=reference.url,
            titles=reference.titles,
            requirements=reference.ids,
        )
        frameworks.append(_validate(raw, doc, where))
    check_frameworks(frameworks, modes, "failmodes/catalog/data/frameworks")
    return tuple(frameworks)


def _validate(
    raw: Any, doc: YamlDocument | None, where: str, prefix: Sequence[Any] = ()
) -> Framework:
    if not isinstance(raw, dict):
        raise CatalogError(f"{where}: a framework is a YAML mapping with `id:`.")
    try:
        return Framework.model_validate(raw)
    except ValidationError as exc:
        raise CatalogError(summarize(exc, Framework, doc, prefix)) from None


def extend_frameworks(
    frameworks: Sequence[Framework],
    entries: Iterable[Mapping[str, Any]],
    *,
    overlay: str,
    doc: YamlDocument | None,
    where: str,
) -> tuple[Framework, ...]:
    """``frameworks`` with an overlay's ``frameworks:`` entries applied (see the module doc).

    Extending a framework merges its ``modes`` and ``metrics`` key by key (a mode's list
    replaces the old one, as everywhere in overlays); the requirement list of a shipped
    framework cannot be changed, since it is the published one.
    """
    by_id = {f.id: f for f in frameworks}
    for index, entry in enumerate(entries):
        framework_id = entry.get("id")
        if framework_id in by_id:
            old = by_id[framework_id]
            fixed = sorted(set(entry) - {"id", "modes", "metrics"})
            if fixed:
                raise CatalogError(
                    f"{where}: frameworks[{index}] ({framework_id}): only `modes` and "
                    f"`metrics` of a framework already in force can change, not {fixed[0]!r}; "
                    "give your own framework a new id."
                )
            raw = old.model_dump()
            for key in ("modes", "metrics"):
                change = entry.get(key) or {}
                if not isinstance(change, dict):
                    raise CatalogError(
                        f"{where}: frameworks[{index}].{key}: expected a mapping of ids to "
                        f"lists of requirement ids, got {type(change).__name__}."
                    )
                raw[key] = {**raw[key], **change}
        else:
            raw = {"defined_by": overlay, **entry}
        by_id[str(framework_id)] = _validate(raw, doc, where, ("frameworks", index))
    return tuple(by_id.values())


def check_frameworks(
    frameworks: Sequence[Framework], modes: Sequence[FailureMode], origin: str
) -> None:
    """Every mapped id is in its framework's list; every mode and metric exists in ``modes``."""
    mode_ids = {m.id for m in modes}
    metric_ids = {i.id for m in modes for i in m.indicators}
    for framework in frameworks:
        cite = f"{framework.source} ({framework.version})"
        for kind, mapping, known in (
            ("failure mode", framework.modes, mode_ids),
            ("metric", framework.metrics, metric_ids),
        ):
            for key, refs in mapping.items():
                if key not in known:
                    raise CatalogError(
                        f"{origin}: framework {framework.id}: unknown {kind} {key!r}."
                    )
                for ref in refs:
                    if ref not in framework.requirements:
                        raise CatalogError(
                            f"{origin}: framework {framework.id}: {key}: {ref!r} is not an id "
                            f"of {cite}."
                        )
