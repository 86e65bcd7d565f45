"""Overlays: an organization's own guideline, layered on the taxonomy as data.

An overlay file can

* ``add`` failure modes of its own (full entries, validated like the built-in ones);
* ``override`` fields of existing modes — thresholds, mitigations, applicability, scoring,
  severity. Mappings merge key by key; lists whose items carry an ``id`` (indicators,
  mitigations, probes, variants) merge item by item, an item with ``remove: true`` drops that
  id; any other list or value replaces the old one;
* ``retire`` modes that do not apply to the organization, with a reason — they stay visible in
  threat models as retired, never silently dropped;
* change the ``risk`` policy: the matrix, the tolerance and the evidence weights;
* set the release-gate ``policy`` (which risks, findings or gaps fail a pipeline);
* extend the model-file scanner's ``artifact_policy``: callables to allow or to deny;
* map modes to governance ``frameworks``, or add a framework of its own
  (:mod:`failmodes.catalog.frameworks`).

Several overlays stack in the order given; each sees the result of the ones before it.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from failmodes.catalog.checks import check_modes, validate_mode
from failmodes.catalog.frameworks import check_frameworks, extend_frameworks
from failmodes.catalog.model import Catalog
from failmodes.catalog.schema import ArtifactPolicy, GatePolicy, Retirement, RiskPolicy
from failmodes.errors import CatalogError, UnknownIdError
from failmodes.safeyaml import YamlDocument, read_yaml
from failmodes.validation import summarize

OVERLAY_VERSION = 1


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RetireEntry(_Strict):
    id: str
    reason: str = Field(min_length=1)


class RiskOverride(_Strict):
    matrix: list[list[str]] | None = None
    tolerance: str | None = None
    evidence: dict[str, int] | None = None


class Overlay(_Strict):
    """One organization's changes to the catalog."""

    overlay_version: int = Field(OVERLAY_VERSION, ge=1, le=OVERLAY_VERSION)
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._-]*$")
    description: str | None = None
    add: list[dict[str, Any]] = Field(default_factory=list)
    override: dict[str, dict[str, Any]] = Field(default_factory=dict)
    retire: list[RetireEntry] = Field(default_factory=list)
    risk: RiskOverride | None = None
    policy: dict[str, Any] | None = Field(
        None, description="Release-gate rules (see GatePolicy), merged over the catalog's."
    )
    artifact_policy: ArtifactPolicy | None = Field(
        None, description="Callables to add to the model-file scanner's allow- and denylists."
    )
    frameworks: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Governance frameworks to extend (same id: more mode and metric mappings) "
        "or of one's own (a new id, with its requirement list).",
    )

    _doc: YamlDocument | None = None

    @property
    def where(self) -> str:
        return str(self._doc.path) if self._doc is not None else f"overlay {self.name}"


#: Overlays shipped with failmodes, named ``failmodes:NAME`` on the command line.
PACKAGED_PREFIX = "failmodes:"


def packaged_overlays() -> list[str]:
    """The names of the overlays shipped with failmodes (``failmodes:governance`` …)."""
    folder = resources.files("failmodes.catalog").joinpath("overlays")
    return sorted(
        e.name.removesuffix(".yaml") for e in folder.iterdir() if e.name.endswith(".yaml")
    )


def _packaged_path(name: str) -> Path:
    if name not in packaged_overlays():
        known = ", ".join(PACKAGED_PREFIX + n for n in packaged_overlays())
        raise UnknownIdError(
            f"no overlay {PACKAGED_PREFIX}{name} ships with failmodes; known: {known}."
        )
    return Path(str(resources.files("failmodes.catalog").joinpath("overlays", f"{name}.yaml")))


def load_overlay(path: str | Path) -> Overlay:
    """Read and validate an overlay file, or a shipped one named ``failmodes:NAME``."""
    if str(path).startswith(PACKAGED_PREFIX):
        path = _packaged_path(str(path).removeprefix(PACKAGED_PREFIX))
    doc = read_yaml(path, what="catalog overlay", error=CatalogError)
    if not isinstance(doc.data, dict):
        raise CatalogError(f"{doc.path}: an overlay is a YAML mapping with at least `name:`.")
    try:
        overlay = Overlay.model_validate(doc.data)
    except ValidationError as exc:
        raise CatalogError(summarize(exc, Overlay, doc)) from None
    object.__setattr__(overlay, "_doc", doc)
    return overlay


def merge(base: Any, change: Any) -> Any:
    """Deep-merge ``change`` into ``base`` with the overlay rules (see the module docstring)."""
    if isinstance(base, dict) and isinstance(change, dict):
        out = dict(base)
        for key, value in change.items():
            out[key] = merge(base[key], value) if key in base else value
        return out
    if _id_list(base) and _id_list(change):
        items = {item["id"]: item for item in base}
        for item in change:
            if item.get("remove") is True:
                items.pop(item["id"], None)
            elif item["id"] in items:
                items[item["id"]] = merge(items[item["id"]], item)
            else:
                items[item["id"]] = item
        return list(items.values())
    return change


def _id_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(i, dict) and "id" in i for i in value)


def apply_overlay(catalog: Catalog, overlay: Overlay) -> Catalog:
    """A new catalog with ``overlay`` applied; the input catalog is left unchanged."""
    where = overlay.where
    doc = overlay._doc
    modes = {m.id: m for m in catalog.modes}
    for mode_id, change in overlay.override.items():
        if mode_id not in modes:
            raise UnknownIdError(
                f"{where}: override: unknown failure mode id {mode_id!r}; "
                "use `add` for a mode of your own."
            )
        if "id" in change and change["id"] != mode_id:
            raise CatalogError(f"{where}: override.{mode_id}: a mode's id cannot be changed.")
        raw = merge(
            modes[mode_id].model_dump(mode="json", by_alias=True, exclude_none=True), change
        )
        modes[mode_id] = validate_mode(raw, doc, where, ("override", mode_id))
    for index, added in enumerate(overlay.add):
        mode = validate_mode({"source": overlay.name, **added}, doc, where, ("add", index))
        if mode.id in modes:
            raise CatalogError(
                f"{where}: add[{index}]: {mode.id!r} already exists; use `override` to change it."
            )
        modes[mode.id] = mode
    for entry in overlay.retire:
        if entry.id not in modes:
            raise UnknownIdError(f"{where}: retire: unknown failure mode id {entry.id!r}.")
        modes[entry.id] = modes[entry.id].model_copy(
            update={"retired": Retirement(reason=entry.reason, by=overlay.name)}
        )
    risk = catalog.risk
    if overlay.risk is not None:
        raw_risk = merge(
            catalog.risk.model_dump(mode="json", by_alias=True),
            overlay.risk.model_dump(exclude_none=True),
        )
        try:
            risk = RiskPolicy.model_validate(raw_risk)
        except ValidationError as exc:
            raise CatalogError(summarize(exc, RiskPolicy, doc, ("risk",))) from None
    artifacts = catalog.artifact_policy
    if overlay.artifact_policy is not None:
        artifacts = ArtifactPolicy(
            allow=[*artifacts.allow, *overlay.artifact_policy.allow],
            deny={**artifacts.deny, **overlay.artifact_policy.deny},
        )
    gate = catalog.policy
    if overlay.policy is not None:
        try:
            gate = GatePolicy.model_validate({**gate.model_dump(), **overlay.policy})
        except ValidationError as exc:
            raise CatalogError(summarize(exc, GatePolicy, doc, ("policy",))) from None
    ordered = sorted(modes.values(), key=lambda m: (m.number is None, m.number or 0, m.id))
    check_modes(ordered, where)
    frameworks = extend_frameworks(
        catalog.frameworks, overlay.frameworks, overlay=overlay.name, doc=doc, where=where
    )
    check_frameworks(frameworks, ordered, where)
    return catalog.model_copy(
        update={
            "modes": tuple(ordered),
            "risk": risk,
            "artifact_policy": artifacts,
            "policy": gate,
            "frameworks": frameworks,
            "overlays": (*catalog.overlays, overlay.name),
            "version": f"{catalog.version}+{overlay.name.replace(' ', '-')}",
        }
    )
