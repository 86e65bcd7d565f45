"""`failmodes scan` end to end on the diagnosis demo, built into a temporary folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from failmodes.cli import app
from failmodes.cli.scan import parse_threshold
from failmodes.errors import DataError, InputError, MissingFileError, UnknownIdError


@pytest.fixture(scope="module")
def demo(diagnosis_demo: Path) -> Path:
    return diagnosis_demo


def invoke(*args: str):
    return CliRunner().invoke(app, ["scan", *args])


@pytest.fixture(scope="module")
def assessment(demo) -> dict:
    result = invoke(str(demo), "--format", "json", "--quiet")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def relocated(demo: Path, folder: Path, **target: object) -> Path:
    """A copy of the demo profile in ``folder``, its files named by absolute path, with
    ``target`` settings changed (None removes one)."""
    profile = yaml.safe_load(demo.read_text())
    section = profile["target"]
    section["model"] = str(demo.parent / section["model"])
    section["data"] = {role: str(demo.parent / name) for role, name in section["data"].items()}
    section.update(target)
    profile["target"] = {k: v for k, v in section.items() if v is not None}
    profile["dependencies"] = [str(demo.parent / d) for d in profile["dependencies"]]
    path = folder / "profile.yaml"
    path.write_text(yaml.safe_dump(profile))
    return path


def by_id(assessment: dict) -> dict[str, dict]:
    return {m["id"]: m for m in assessment["modes"]}


def test_scan_writes_findings_per_mode(assessment):
    assert assessment["kind"] == "assessment" and assessment["seed"] == 0
    modes = by_id(assessment)
    mia = modes["membership_inference"]
    assert mia["tested"] is True
    auc = next(f for f in mia["findings"] if f["metric"] == "mia_auc")
    assert {"probe", "metric", "value", "threshold", "status"} <= set(auc)
    assert auc["probe"] == "membership_inference" and auc["status"] == "fail"
    assert auc["value"] > 0.9 and auc["threshold"] == {
        "direction": "above",
        "warn": 0.55,
        "fail": 0.6,
    }
    inversion = next(
        f
        for f in modes["model_inversion"]["findings"]
        if f["metric"] == "attribute_inference_advantage"
    )
    assert inversion["status"] == "fail" and inversion["value"] > 0.1
    # measured leakage raised the likelihood, and the output says why
    assert any(f["source"] == "evidence" for f in mia["likelihood_factors"])
    assert assessment["coverage"]["tested"] == assessment["coverage"]["applicable"] == 10
    assert assessment["coverage"]["untested"] == []


def test_same_seed_same_findings(demo, assessment):
    result = invoke(str(demo), "--probe", "model_inversion", "--format", "json", "--quiet")

    def findings(doc):
        return [
            {k: v for k, v in f.items() if k != "duration_s"}
            for f in by_id(doc)["model_inversion"]["findings"]
        ]

    assert findings(json.loads(result.stdout)) == findings(assessment) != []


def test_probe_that_cannot_run_is_skipped_and_its_mode_not_tested(demo, tmp_path):
    path = relocated(demo, tmp_path, sensitive_attribute=None)
    result = invoke(str(path), "--probe", "model_inversion", "--format", "json")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    (run,) = doc["probe_runs"]
    assert run["status"] == "skipped"
    assert run["reason"] == "no sensitive attribute named (profile `target.sensitive_attribute`)."
    mode = by_id(doc)["model_inversion"]
    assert mode["tested"] is False
    assert mode["untested_reason"] == (
        "model_inversion skipped: no sensitive attribute named (profile "
        "`target.sensitive_attribute`)."
    )
    # the summary on stderr says the same
    assert "skipped" in result.stderr and "not tested" in result.stderr


def test_markdown_to_file_with_summary_on_stderr(demo, tmp_path):
    out = tmp_path / "assessment.md"
    result = invoke(str(demo), "--probe", "model_inversion", "--output", str(out))
    assert result.exit_code == 0 and result.stdout == ""
    text = out.read_text()
    assert "| model\\_inversion | attribute\\_inference\\_advantage |" in text
    assert "model_inversion" in result.stderr and f"Wrote {out}" in result.stderr.replace("\n", "")


def test_command_line_threshold_beats_the_catalog(demo):
    result = invoke(
        str(demo),
        "-p",
        "model_inversion",
        "-f",
        "json",
        "-q",
        "--threshold",
        "attribute_inference_advantage=0.5:0.9",
    )
    finding = next(
        f
        for f in by_id(json.loads(result.stdout))["model_inversion"]["findings"]
        if f["metric"] == "attribute_inference_advantage"
    )
    assert finding["status"] == "pass"
    assert finding["threshold"] == {"direction": "above", "warn": 0.5, "fail": 0.9}


def test_budget_caps_the_queries(demo):
    result = invoke(str(demo), "-p", "model_inversion", "--budget", "101", "-f", "json", "-q")
    (run,) = json.loads(result.stdout)["probe_runs"]
    assert run["status"] == "ran" and run["queries"] == 100  # 50 records × 2 values


def test_failed_gate_exits_1_after_writing(demo, tmp_path):
    out = tmp_path / "a.json"
    result = invoke(
        str(demo), "-p", "model_inversion", "-o", str(out), "--fail-on-findings", "fail"
    )
    assert result.exit_code == 1 and json.loads(out.read_text())["kind"] == "assessment"
    assert "Policy gate failed" in result.stderr


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"data": {"train": "absent.csv"}}, MissingFileError, "train data file not found"),
        ({"label_column": "diagnosis"}, DataError, "label column 'diagnosis' not found"),
        ({"model": "model.onnx"}, InputError, "cannot load .onnx model files"),
    ],
)
def test_bad_target_is_a_clear_error(demo, tmp_path, change, error, message):
    (tmp_path / "model.onnx").write_bytes(b"")
    result = invoke(str(relocated(demo, tmp_path, **change)))
    assert isinstance(result.exception, error) and message in str(result.exception)


def test_unknown_probe(demo):
    result = invoke(str(demo), "--probe", "membership_inferense")
    assert isinstance(result.exception, UnknownIdError)
    assert "Did you mean membership_inference" in str(result.exception)


@pytest.mark.parametrize(
    ("text", "metric", "warn", "fail", "direction"),
    [
        ("mia_auc=0.55:0.6", "mia_auc", 0.55, 0.6, None),
        ("membership_inference.mia_auc=:0.7", "membership_inference.mia_auc", None, 0.7, None),
        ("my_metric=0.2:0.1:below", "my_metric", 0.2, 0.1, "below"),
    ],
)
def test_parse_threshold(text, metric, warn, fail, direction):
    name, threshold = parse_threshold(text)
    assert (name, threshold.warn, threshold.fail, threshold.direction) == (
        metric,
        warn,
        fail,
        direction,
    )


@pytest.mark.parametrize("text", ["mia_auc", "mia_auc=0.5", "mia_auc=a:b", "x=1:2:sideways"])
def test_bad_threshold(text):
    with pytest.raises(InputError, match="expected METRIC=WARN:FAIL"):
        parse_threshold(text)
