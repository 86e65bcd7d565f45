"""``failmodes report`` and ``failmodes diff`` on saved files: formats, gate, exit codes."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from failmodes.assessment import Assessment
from failmodes.cli import app, main
from failmodes.cli import report as report_cmd
from failmodes.errors import EXIT_INPUT_ERROR, EXIT_OK, EXIT_POLICY_FAILED
from failmodes.report.contract import to_json
from failmodes.threatmodel.model import ThreatModel


@pytest.fixture(scope="module", autouse=True)
def _registered() -> None:
    # Until failmodes.cli registers these commands itself, register them for this module.
    if "report" not in {c.name for c in app.registered_commands}:
        report_cmd.register(app)


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def saved(tmp_path: Path, frozen: Assessment) -> Path:
    path = tmp_path / "assessment.json"
    path.write_text(to_json(frozen), encoding="utf-8")
    return path


@pytest.fixture
def paper(tmp_path: Path, frozen: Assessment) -> Path:
    model = ThreatModel(**{k: getattr(frozen, k) for k in ThreatModel.model_fields})
    path = tmp_path / "threat-model.json"
    path.write_text(to_json(model), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("args", "check"),
    [
        (["--format", "md"], lambda t: t.startswith("# Threat model: Card-not-present")),
        (["--format", "json"], lambda t: json.loads(t)["kind"] == "assessment"),
        (["--format", "sarif"], lambda t: json.loads(t)["version"] == "2.1.0"),
        (["--format", "junit"], lambda t: ET.fromstring(t).get("tests") == "11"),
    ],
)
def test_report_renders_each_format_to_stdout(capsys, saved, args, check) -> None:
    code, out, _ = run(capsys, "report", saved, *args)
    assert code == EXIT_OK and check(out)


@pytest.mark.parametrize(
    ("name", "starts"),
    [
        ("r.sarif", '{\n  "$schema"'),
        ("r.junit.xml", "<?xml"),
        ("r.html", "<!DOCTYPE html>"),
        ("r.md", "# Threat"),
    ],
)
def test_report_format_follows_the_output_name(capsys, tmp_path, paper, name, starts) -> None:
    code, out, err = run(capsys, "report", paper, "--output", tmp_path / name)
    assert code == EXIT_OK and out == "" and f"Wrote {tmp_path / name}" in err.replace("\n", "")
    assert (tmp_path / name).read_text(encoding="utf-8").startswith(starts)


def test_gate_fails_with_exit_1_and_says_why_on_stderr(capsys, saved) -> None:
    code, out, err = run(capsys, "report", saved, "--format", "md", "--fail-on", "critical")
    assert code == EXIT_POLICY_FAILED
    assert out.startswith("# Threat model")  # the report is written before the gate runs
    assert "Policy gate failed (5 reason(s))" in err
    assert "Perturbation attack (perturbation_attack): open critical risk (L5×I5)" in err


def test_gate_flags_combine(capsys, saved) -> None:
    code, _, err = run(
        capsys, "report", saved, "-f", "json", "--fail-on-findings", "warn", "--fail-on-untested"
    )
    assert code == EXIT_POLICY_FAILED
    assert (
        "common_corruption: common_corruption measured corruption_accuracy_drop = 0.12 (warn)"
        in err
    )
    assert "Poisoning attack (poisoning_attack): applies but was not tested" in err
    assert "Model stealing" not in err  # a failed finding is not a warned one


def test_overlay_policy_applies_and_the_command_line_overrides_it(capsys, tmp_path, saved) -> None:
    overlay = tmp_path / "gate.yaml"
    overlay.write_text("name: strict\npolicy:\n  fail_on_risk: high\n  fail_on_findings: [fail]\n")
    code, _, err = run(capsys, "report", saved, "-f", "json", "-O", overlay)
    assert code == EXIT_POLICY_FAILED and "Policy gate failed (16 reason(s))" in err
    code, _, err = run(
        capsys,
        "report",
        saved,
        "-f",
        "json",
        "-O",
        overlay,
        "--fail-on",
        "none",
        "--fail-on-findings",
        "none",
    )
    assert code == EXIT_OK and "Policy gate" not in err  # every rule off: nothing to report
    code, _, err = run(
        capsys,
        "report",
        saved,
        "-f",
        "json",
        "-O",
        overlay,
        "--fail-on",
        "critical",
        "--fail-on-findings",
        "none",
    )
    assert code == EXIT_POLICY_FAILED and "Policy gate failed (5 reason(s))" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.json"], "missing.json: no such file"),
        (["{catalog}"], "not a failmodes threat model or assessment"),
        (["{saved}", "--fail-on-findings", "fail,maybe"], "maybe is not a verdict that fails"),
        (["{saved}", "--fail-on", "severe"], "severe"),
    ],
)
def test_bad_input_exits_2_in_one_or_two_lines(capsys, tmp_path, saved, args, message) -> None:
    catalog = tmp_path / "catalog.json"
    catalog.write_text('{"version": "2026.11", "modes": []}')
    args = [a.format(catalog=catalog, saved=saved) for a in args]
    code, out, err = run(capsys, "report", *args)
    assert code == EXIT_INPUT_ERROR and out == ""
    assert message in err and "Traceback" not in err


def _regressed(frozen: Assessment) -> Assessment:
    """The frozen assessment after a model update that leaks more through membership."""
    mode = frozen.get("membership_inference")
    worse = [
        f.model_copy(update={"value": f.value + 0.08}) if f.metric == "mia_auc" else f
        for f in mode.findings
    ]
    modes = [
        m.model_copy(update={"findings": worse}) if m.id == mode.id else m for m in frozen.modes
    ]
    return frozen.model_copy(update={"modes": modes})


def test_diff_flags_a_regressed_metric_and_its_gate_exits_1(
    capsys, tmp_path, saved, frozen
) -> None:
    new = tmp_path / "new.json"
    new.write_text(to_json(_regressed(frozen)), encoding="utf-8")
    code, out, err = run(capsys, "diff", saved, new, "--format", "md", "--fail-on-regression")
    assert code == EXIT_POLICY_FAILED and "Regression gate failed: 1 regression(s)." in err
    assert (
        "| membership\\_inference | membership\\_inference | mia\\_auc | 0.64 | 0.72 | +0.08 | regressed |"
        in out
    )
    code, out, _ = run(capsys, "diff", saved, new, "--tolerance", "0.1", "--fail-on-regression")
    assert code == EXIT_OK and "No change." in out


def test_diff_of_identical_files_passes_in_the_terminal_view(capsys, saved) -> None:
    code, out, _ = run(capsys, "diff", saved, saved, "--fail-on-regression")
    assert code == EXIT_OK and out.strip() == "No change."
