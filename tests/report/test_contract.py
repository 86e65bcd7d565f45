"""The JSON contract: written, read back, validated, and published as a JSON Schema."""

from __future__ import annotations

import json
import os

import jsonschema
import pytest

from failmodes.assessment import Assessment
from failmodes.errors import InputError, MissingFileError
from failmodes.report.contract import assessment_json_schema, from_json, load, to_json
from failmodes.threatmodel.model import ThreatModel
from tests.conftest import REPO

SCHEMA_FILE = REPO / "docs" / "schema" / "assessment.schema.json"


def test_an_assessment_round_trips_and_says_its_kind(demo: Assessment) -> None:
    text = to_json(demo)
    data = json.loads(text)
    assert data["kind"] == "assessment" and data["schema_version"] == 1
    assert data["coverage"] == {
        "catalog_modes": 17,
        "applicable": 11,
        "tested": 8,
        "untested": ["poisoning_attack", "incomplete_testing", "model_inversion"],
    }
    again = from_json(text)
    assert isinstance(again, Assessment)
    assert to_json(again) == text


def test_a_threat_model_stays_a_threat_model(demo: Assessment) -> None:
    paper = ThreatModel(**{k: getattr(demo, k) for k in ThreatModel.model_fields})
    text = to_json(paper)
    assert json.loads(text)["kind"] == "threat_model"
    again = from_json(text)
    assert type(again) is ThreatModel and to_json(again) == text


def test_the_published_schema_is_current() -> None:
    current = json.dumps(assessment_json_schema(), indent=2) + "\n"
    if os.environ.get("FAILMODES_UPDATE_GOLDEN", "") == "1":
        SCHEMA_FILE.parent.mkdir(exist_ok=True)
        SCHEMA_FILE.write_text(current, encoding="utf-8")
    assert SCHEMA_FILE.read_text(encoding="utf-8") == current, (
        "docs/schema/assessment.schema.json is stale; regenerate with FAILMODES_UPDATE_GOLDEN=1"
    )


def test_an_assessment_validates_against_the_schema_and_a_broken_one_does_not(
    demo: Assessment,
) -> None:
    schema = assessment_json_schema()
    validator = jsonschema.Draft202012Validator(schema)
    data = json.loads(to_json(demo))
    validator.validate(data)
    del data["modes"][0]["risk"]
    assert any("'risk' is a required property" in e.message for e in validator.iter_errors(data))
    data = json.loads(to_json(demo))
    data["kind"] = "threat_model"
    assert not validator.is_valid(data)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "in.json:1: not valid JSON"),
        ("[]", "not a failmodes threat model or assessment (kind 'list')"),
        ('{"kind": "catalog"}', "(kind 'catalog')"),
        (
            '{"kind": "assessment", "schema_version": 9}',
            "schema_version 9 is not one this failmodes reads",
        ),
        ('{"kind": "assessment", "schema_version": 1}', "in.json: profile: field required"),
    ],
)
def test_a_bad_file_is_one_line_of_input_error(text: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        from_json(text, source="in.json")
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_a_wrong_field_names_its_path(demo: Assessment) -> None:
    data = json.loads(to_json(demo))
    data["modes"][2]["findings"] = [{"status": "maybe"}]
    with pytest.raises(
        InputError, match=r"modes\[2\]\.findings\[0\]\.failure_mode: field required \(\+\d+ more\)"
    ):
        from_json(json.dumps(data))


def test_load_reports_missing_files_and_directories(tmp_path) -> None:
    with pytest.raises(MissingFileError, match="no such file"):
        load(tmp_path / "absent.json")
    with pytest.raises(InputError, match="is a directory"):
        load(tmp_path)
