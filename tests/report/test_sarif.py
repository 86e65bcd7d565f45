"""SARIF 2.1.0 that code-scanning services accept: valid against the OASIS schema, one rule per
catalog mode, results where people can act on them."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from failmodes.assessment import Assessment
from failmodes.report.sarif import sarif_dict, uri
from tests.conftest import shared_path
from tests.report.conftest import HOSTILE_NAME


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft4Validator:
    schema = json.loads(
        shared_path("reference", "sarif", "sarif-schema-2.1.0.json").read_text("utf-8")
    )
    return jsonschema.Draft4Validator(
        schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
    )


@pytest.fixture(scope="module")
def run(demo: Assessment) -> dict[str, Any]:
    return sarif_dict(demo)["runs"][0]


def test_validates_against_the_official_schema(
    validator: jsonschema.Draft4Validator, demo: Assessment, hostile: Assessment
) -> None:
    for model in (demo, hostile):
        errors = sorted(validator.iter_errors(sarif_dict(model)), key=str)
        assert errors == [], errors[0].message if errors else ""


def test_rules_are_every_catalog_mode_with_help_and_severity(
    run: dict[str, Any], demo: Assessment
) -> None:
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [m.id for m in demo.modes]
    stealing = next(r for r in rules if r["id"] == "model_stealing")
    assert stealing["name"] == "ModelStealing"
    assert stealing["helpUri"].startswith("https://")
    assert "AML.T0005 Create Proxy AI Model" in stealing["help"]["text"]
    assert stealing["properties"]["security-severity"] == "8.0"  # important
    assert stealing["defaultConfiguration"]["level"] == "error"


def test_results_are_warned_and_failed_findings_and_open_risks(
    run: dict[str, Any], demo: Assessment
) -> None:
    results = run["results"]
    findings = [r for r in results if r["properties"]["resultType"] == "finding"]
    risks = [r for r in results if r["properties"]["resultType"] == "open-risk"]
    statuses = [f.status.value for m in demo.modes for f in m.findings]
    assert len(findings) == statuses.count("fail") + statuses.count("warn") == 9
    assert len(risks) == sum(m.needs_decision for m in demo.modes) == 10
    rules = run["tool"]["driver"]["rules"]
    assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in results)
    warned = next(r for r in findings if r["properties"]["metric"] == "corruption_accuracy_drop")
    assert warned["level"] == "warning"
    assert "kind" not in warned  # SARIF's default `fail`, the only kind that may carry a level


def test_locations_point_at_the_artifact_the_dependency_file_or_the_profile(
    run: dict[str, Any],
) -> None:
    by_metric = {r["properties"].get("metric"): r for r in run["results"]}
    artifact = by_metric["unsafe_artifact_count"]["locations"][0]
    assert artifact["physicalLocation"] == {
        "artifactLocation": {"uri": "examples/fraud-model.joblib"},
        "region": {"byteOffset": 1234},
    }
    assert artifact["logicalLocations"] == [{"fullyQualifiedName": "data.pkl", "kind": "resource"}]
    mia = by_metric["mia_auc"]["locations"][0]["physicalLocation"]
    assert mia == {"artifactLocation": {"uri": "examples/fraud-detection.yaml"}}
    risk = by_metric[None]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert risk == {"uri": "examples/fraud-detection.yaml"}


def test_probe_errors_become_tool_notifications(run: dict[str, Any]) -> None:
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert [n["descriptor"]["id"] for n in notes] == ["model_inversion"]


def test_fingerprints_are_stable_and_distinct(demo: Assessment, run: dict[str, Any]) -> None:
    again = sarif_dict(demo)["runs"][0]["results"]
    prints = [json.dumps(r["partialFingerprints"]) for r in run["results"]]
    assert prints == [json.dumps(r["partialFingerprints"]) for r in again]
    assert len(set(prints)) == len(prints)


def test_uris_are_encoded_references() -> None:
    assert uri("models/my model.pkl") == "models/my%20model.pkl"
    assert uri("/srv/models/a#b.pkl") == "file:///srv/models/a%23b.pkl"


def test_a_hostile_system_name_stays_a_json_string(hostile: Assessment) -> None:
    text = json.dumps(sarif_dict(hostile))
    assert json.loads(text)["runs"][0]["properties"]["system"] == HOSTILE_NAME
