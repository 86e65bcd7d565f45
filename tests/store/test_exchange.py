"""Export and import: a register as a git-diffable file, and back, unchanged."""

from __future__ import annotations

import json

import pytest

from failmodes.errors import RegisterError
from failmodes.profile.loader import profile_from_text
from failmodes.store import EvidenceLink, open_register
from failmodes.store.exchange import export_text, import_data, read_export
from failmodes.threatmodel import threat_model
from tests.store.conftest import FRAUD, POSTGRES, _postgres_schema
from tests.store.test_register import mitigate


@pytest.fixture
def filled(register, fraud):
    """A register with two profile versions, an assessment, decisions, a comment."""
    register.add_profile(FRAUD.replace("under 50 ms", "under 40 ms"), actor="bo")
    stored = register.add_assessment(
        threat_model(profile_from_text(FRAUD, source="fraud")), actor="ana"
    )
    register.decide(
        fraud,
        mitigate("model_stealing", evidence=[EvidenceLink.parse(f"assessment:{stored.id}")]),
        actor="ana",
    )
    register.decide(fraud, mitigate("membership_inference", "bo"), actor="bo")
    register.comment(fraud, "model_stealing", "Quotas: see ticket SEC-12 <b>soon</b>", actor="bo")
    return register


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_export_then_import_gives_an_identical_register(filled, tmp_path, fmt):
    text = export_text(filled, fmt)
    path = tmp_path / f"register.{fmt}"
    path.write_text(text, encoding="utf-8")
    with open_register(tmp_path / "copy.sqlite") as copy:
        assert import_data(copy, read_export(path), source=str(path)) == [
            "card-not-present-fraud-scoring"
        ]
        assert export_text(copy, fmt) == text
        sid = "card-not-present-fraud-scoring"
        assert copy.current(sid).model_dump() == filled.current(sid).model_dump()


def test_the_yaml_export_keeps_profiles_readable(filled):
    text = export_text(filled, "yaml")
    assert "    content: |\n      # A fraud-detection model" in text
    assert "Quotas: see ticket SEC-12 <b>soon</b>" in text


def test_a_sqlite_register_moves_to_postgresql_unchanged(filled):
    if not POSTGRES:
        pytest.skip("no PostgreSQL server: set FAILMODES_TEST_POSTGRES (.ci/run does)")
    text = export_text(filled, "json")
    for url in _postgres_schema():
        with open_register(url) as team:
            import_data(team, json.loads(text), source="export")
            assert export_text(team, "json") == text


def test_an_import_never_overwrites(filled, tmp_path):
    data = json.loads(export_text(filled, "json"))
    before = export_text(filled, "json")
    with pytest.raises(RegisterError, match="already holds system 'card-not-present-fraud"):
        import_data(filled, data, source="export.json")
    assert export_text(filled, "json") == before


def test_an_edited_export_is_refused_whole(filled, tmp_path):
    data = json.loads(export_text(filled, "json"))
    data["systems"][0]["assessments"][0]["content"]["modes"][0]["applicable"] = False
    with open_register(tmp_path / "copy.sqlite") as copy:
        with pytest.raises(RegisterError, match="does not match its content"):
            import_data(copy, data, source="export.json")
        assert copy.systems() == []  # all or nothing
        broken = json.loads(export_text(filled, "json"))
        del broken["systems"][0]["decisions"][0]["owner"]
        with pytest.raises(RegisterError, match="a decision is invalid: owner"):
            import_data(copy, broken, source="export.json")
        broken["systems"][0]["history"] = [{"action": "decide"}]
        del broken["systems"][0]["decisions"]
        with pytest.raises(RegisterError, match="a record is malformed"):
            import_data(copy, broken, source="export.json")
        assert copy.systems() == []


def test_a_file_that_is_not_an_export_is_a_clear_error(tmp_path):
    path = tmp_path / "profile.yaml"
    path.write_text(FRAUD)
    with pytest.raises(RegisterError, match="not a failmodes register export"):
        read_export(path)
    with pytest.raises(RegisterError, match="no such export file"):
        read_export(tmp_path / "missing.yaml")
