"""Overlays: add, override (id-keyed merge), retire, risk policy; errors name the file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from failmodes.catalog import load_catalog
from failmodes.catalog.overlay import merge
from failmodes.errors import CatalogError, UnknownIdError


def write(tmp_path: Path, data: object, name: str = "overlay.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def custom_mode(**changes: object) -> dict:
    base = (
        load_catalog()
        .get("model_stealing")
        .model_dump(mode="json", by_alias=True, exclude_none=True)
    )
    base.update(id="prompt_leakage", number=None, name="System prompt leakage", **changes)
    base.pop("source", None)
    return base


def test_merge_rules():
    base = {"a": {"b": 1, "c": 2}, "items": [{"id": "x", "v": 1}, {"id": "y", "v": 2}], "l": [1, 2]}
    change = {
        "a": {"c": 3},
        "items": [{"id": "y", "v": 5}, {"id": "z", "v": 6}, {"id": "x", "remove": True}],
        "l": [9],
    }
    assert merge(base, change) == {
        "a": {"b": 1, "c": 3},
        "items": [{"id": "y", "v": 5}, {"id": "z", "v": 6}],
        "l": [9],
    }


def test_override_threshold_and_add_mitigation(tmp_path):
    path = write(
        tmp_path,
        {
            "name": "contoso",
            "override": {
                "membership_inference": {
                    "severity": {"default": "critical"},
                    "indicators": [
                        {
                            "id": "mia_auc",
                            "threshold": {"direction": "above", "warn": 0.51, "fail": 0.53},
                        }
                    ],
                    "mitigations": [
                        {"id": "contoso_review", "summary": "Privacy review before every release."}
                    ],
                }
            },
        },
    )
    catalog = load_catalog([path])
    mode = catalog.get("membership_inference")
    assert mode.severity.default.value == "critical"
    threshold = mode.threshold_for("mia_auc")
    assert threshold is not None
    assert (threshold.warn, threshold.fail) == (0.51, 0.53)
    assert threshold.verdict(0.52).value == "warn"
    assert "contoso_review" in [m.id for m in mode.mitigations]
    assert "differential_privacy" in [m.id for m in mode.mitigations]
    assert catalog.overlays == ("contoso",)
    assert catalog.version.endswith("+contoso")


def test_overlays_stack_in_order(tmp_path):
    first = write(tmp_path, {"name": "one", "risk": {"tolerance": "low"}}, "one.yaml")
    second = write(tmp_path, {"name": "two", "risk": {"tolerance": "high"}}, "two.yaml")
    assert load_catalog([first, second]).risk.tolerance.value == "high"
    assert load_catalog([second, first]).risk.tolerance.value == "low"


def test_broken_added_mode_names_file_line_and_field(tmp_path):
    path = write(tmp_path, {"name": "broken", "add": [custom_mode(kind="intentionl")]})
    with pytest.raises(CatalogError) as err:
        load_catalog([path])
    message = str(err.value)
    assert (
        str(path) in message
        and "add[0].kind" in message
        and "intentional, unintentional" in message
    )
    line = int(message.split(":")[1])
    assert "intentionl" in path.read_text().splitlines()[line - 1]


def test_unknown_cross_reference_is_refused(tmp_path):
    mode = custom_mode()
    mode["xrefs"] = {"atlas": ["AML.T9999"]}
    with pytest.raises(CatalogError, match="AML.T9999"):
        load_catalog([write(tmp_path, {"name": "bad-ref", "add": [mode]})])


def test_override_of_unknown_mode_and_retire_unknown(tmp_path):
    with pytest.raises(UnknownIdError, match="use `add`"):
        load_catalog([write(tmp_path, {"name": "x", "override": {"nope": {}}})])
    with pytest.raises(UnknownIdError, match="retire"):
        load_catalog([write(tmp_path, {"name": "x", "retire": [{"id": "nope", "reason": "r"}]})])


def test_overlay_with_unknown_key_is_refused(tmp_path):
    with pytest.raises(CatalogError, match="unknown key 'retired'"):
        load_catalog([write(tmp_path, {"name": "x", "retired": []})])


def test_inconsistent_threshold_override_is_refused(tmp_path):
    change = {"indicators": [{"id": "mia_auc", "threshold": {"direction": "above", "fail": 0.52}}]}
    path = write(tmp_path, {"name": "x", "override": {"membership_inference": change}})
    with pytest.raises(CatalogError, match="must come before"):
        load_catalog([path])


def test_matrix_must_be_five_by_five(tmp_path):
    with pytest.raises(CatalogError, match="5 rows of 5"):
        load_catalog([write(tmp_path, {"name": "x", "risk": {"matrix": [["low"] * 5] * 4}})])


def test_gate_policy_from_overlay(tmp_path):
    catalog = load_catalog([write(tmp_path, {"name": "x", "policy": {"fail_on_risk": "high"}})])
    assert catalog.policy.fail_on_risk is not None and catalog.policy.fail_on_risk.value == "high"
