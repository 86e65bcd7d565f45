"""The command line of the foundation: catalog, schema, init, threat-model."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from failmodes.cli import main
from failmodes.errors import EXIT_INPUT_ERROR, EXIT_OK
from tests.conftest import EXAMPLES

FRAUD = str(EXAMPLES / "fraud-detection.yaml")


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_catalog_list_shows_all_modes(capsys):
    code, out, _ = run(capsys, "catalog", "list")
    assert code == EXIT_OK
    assert "perturbation_attack" in out and "incomplete_testing" in out


def test_catalog_show_yaml_round_trips(capsys):
    code, out, _ = run(capsys, "catalog", "show", "model_stealing")
    data = yaml.safe_load(out)
    assert code == 0 and data["id"] == "model_stealing" and data["number"] == 5


def test_catalog_show_unknown_id(capsys):
    code, _, err = run(capsys, "catalog", "show", "model_steal")
    assert code == EXIT_INPUT_ERROR and "Did you mean model_stealing" in err


def test_catalog_search(capsys):
    code, out, _ = run(capsys, "catalog", "search", "gaming")
    assert code == 0 and out.split("\t")[0] == "reward_hacking"
    code, _, _ = run(capsys, "catalog", "search", "xyzzy")
    assert code == 1


@pytest.mark.parametrize("fmt", ["json", "yaml", "md"])
def test_catalog_export(capsys, tmp_path, fmt):
    target = tmp_path / f"catalog.{fmt}"
    code, _, _ = run(capsys, "catalog", "export", "--format", fmt, "--output", str(target))
    text = target.read_text()
    assert code == 0
    if fmt == "json":
        assert len(json.loads(text)["modes"]) == 17
    elif fmt == "yaml":
        assert len(yaml.safe_load(text)["modes"]) == 17
    else:
        assert text.count("\n## ") == 17


def test_catalog_export_applies_overlays(capsys, tmp_path):
    overlay = tmp_path / "o.yaml"
    overlay.write_text("name: acme\nretire:\n  - id: side_effects\n    reason: No agents here.\n")
    code, out, _ = run(capsys, "catalog", "export", "--catalog-overlay", str(overlay))
    data = json.loads(out)
    mode = next(m for m in data["modes"] if m["id"] == "side_effects")
    assert code == 0 and mode["retired"]["reason"] == "No agents here."


def test_profile_schema_validates_the_examples(capsys):
    code, out, _ = run(capsys, "schema", "profile")
    schema = json.loads(out)
    assert code == 0 and schema["$schema"].endswith("2020-12/schema")
    for path in EXAMPLES.glob("*.yaml"):
        jsonschema.validate(yaml.safe_load(path.read_text()), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"name": "x", "modalities": ["imgae"]}, schema)


def test_catalog_schema_validates_the_catalog_files(capsys):
    code, out, _ = run(capsys, "schema", "catalog")
    schema = json.loads(out)
    data = Path(__file__).resolve().parents[1] / "src/failmodes/catalog/data/modes"
    for path in data.glob("*.yaml"):
        jsonschema.validate(yaml.safe_load(path.read_text()), schema)
    assert code == 0


def test_init_writes_a_commented_profile_that_loads(capsys, tmp_path):
    target = tmp_path / "p.yaml"
    code, _, _ = run(capsys, "init", str(target), "--name", "Churn model")
    text = target.read_text()
    assert code == 0 and "# allowed: public, authenticated_customers" in text
    code, out, _ = run(capsys, "threat-model", str(target), "--format", "json")
    assert code == 0 and json.loads(out)["profile"]["name"] == "Churn model"


def test_init_never_overwrites(capsys, tmp_path):
    target = tmp_path / "p.yaml"
    target.write_text("name: mine\n")
    code, _, err = run(capsys, "init", str(target))
    assert code == EXIT_INPUT_ERROR and "already exists" in err
    assert target.read_text() == "name: mine\n"


def test_init_interactive_asks_the_questions(tmp_path):
    target = tmp_path / "asked.yaml"
    # Accept every default except the name, the task and the exposure.
    answers = {
        "Name of the system": "Asked system",
        "task": "regression",
        "deployment.exposure": "internal",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "failmodes", "init", str(target), "--interactive"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Feed one answer per prompt: blank lines take the defaults.
    lines = []
    lines.append(answers["Name of the system"])
    from failmodes.profile.starter import starter_profile

    order: list[str] = []
    starter_profile("x", ask=lambda path, d, c, default, is_list: order.append(path) or default)
    for path in order:
        lines.append(answers.get(path, ""))
    _out, err = proc.communicate("\n".join(lines) + "\n", timeout=60)
    assert proc.returncode == 0, err
    data = yaml.safe_load(target.read_text())
    assert data["name"] == "Asked system"
    assert data["task"] == "regression"
    assert data["deployment"]["exposure"] == "internal"


def test_threat_model_json_is_the_documented_contract(capsys):
    code, out, err = run(capsys, "threat-model", FRAUD, "--format", "json")
    data = json.loads(out)  # stdout is machine-clean
    assert code == 0 and err == ""
    assert {"profile", "catalog_version", "modes", "schema_version"} <= set(data)
    for mode in data["modes"]:
        assert {
            "id",
            "applicable",
            "likelihood",
            "impact",
            "risk",
            "score",
            "reasons",
            "decision",
        } <= set(mode)
    first = data["modes"][0]
    assert first["applicable"] and first["score"] == first["likelihood"] * first["impact"]
    assert all(r["text"] for r in first["reasons"])


def test_threat_model_markdown_to_file(capsys, tmp_path):
    target = tmp_path / "tm.md"
    code, out, err = run(capsys, "threat-model", FRAUD, "--output", str(target))
    text = target.read_text()
    assert code == 0 and out == ""
    assert text.startswith("# Threat model: Card-not-present fraud scoring")
    assert "## Ranked register" in text and "Wrote" in err


def test_quiet_prints_only_the_result(capsys, tmp_path):
    target = tmp_path / "tm.json"
    code, out, err = run(capsys, "threat-model", FRAUD, "--output", str(target), "--quiet")
    assert code == 0 and out == "" and err == ""
    assert json.loads(target.read_text())["kind"] == "threat_model"


def test_table_by_default(capsys):
    code, out, _ = run(capsys, "threat-model", FRAUD)
    assert code == 0 and "Threat model: Card-not-present fraud scoring" in out


def test_missing_profile(capsys):
    code, _, err = run(capsys, "threat-model", "/nonexistent/profile.yaml")
    assert code == EXIT_INPUT_ERROR and "no such file" in err


def test_output_into_missing_folder_is_an_input_error(capsys, tmp_path):
    code, _, err = run(capsys, "threat-model", FRAUD, "-o", str(tmp_path / "no" / "x.md"))
    assert code == EXIT_INPUT_ERROR and "does not exist" in err


def test_usage_error_exit_code(capsys):
    code, _, _ = run(capsys, "threat-model", FRAUD, "--format", "pdf")
    assert code == EXIT_INPUT_ERROR


def test_python_dash_m_and_console_script_agree():
    done = subprocess.run(
        [sys.executable, "-m", "failmodes", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0 and "threat-model" in done.stdout


def test_command_line_starts_without_the_heavy_libraries():
    # The structural half of "a broken profile fails within a second": nothing heavy loads
    # before a command needs it (timings are measured in benchmarks, not asserted here).
    code = (
        "import sys, failmodes.cli; "
        "heavy = [m for m in ('pandas', 'sklearn', 'scipy', 'matplotlib', 'numpy') "
        "if m in sys.modules]; print(','.join(heavy))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == ""


def test_written_files_get_the_usual_permissions(capsys, tmp_path):
    import os
    import stat

    target = tmp_path / "tm.md"
    run(capsys, "threat-model", FRAUD, "-o", str(target), "-q")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask


THIN = {
    "name": "Receipt-scan API",
    "task": "classification",
    "modalities": ["image"],
    "deployment": {"exposure": "public", "outputs": ["label"], "inputs_from": ["end_users"]},
    "business_impact": {"integrity": "high"},
}


def test_top_shows_the_first_n_and_json_keeps_all(capsys, tmp_path):
    profile = tmp_path / "thin.yaml"
    profile.write_text(yaml.safe_dump(THIN))
    code, out, _ = run(capsys, "threat-model", str(profile), "--format", "md", "--top", "3")
    register = out.split("## Ranked register (top 3)")[1].split("\n## ")[0]
    rows = [line for line in register.splitlines() if line.startswith("| ") and "---" not in line]
    assert code == EXIT_OK and len(rows) == 1 + 3  # header and three modes
    assert "## Not applicable" not in out and "## 4. " not in out
    code, out, _ = run(capsys, "threat-model", str(profile), "--format", "json", "--top", "3")
    assert len(json.loads(out)["modes"]) == 17
    code, _, err = run(capsys, "threat-model", str(profile), "--top", "0")
    assert code == EXIT_INPUT_ERROR and "--top" in err


def test_table_names_the_facts_to_state_first(capsys, tmp_path):
    profile = tmp_path / "thin.yaml"
    profile.write_text(yaml.safe_dump(THIN))
    code, out, _ = run(capsys, "threat-model", str(profile), "--top", "5")
    assert code == EXIT_OK and "Facts to state first" in out
    # List values survive the terminal's markup: `[public_web]`, not an empty pair of brackets.
    facts = out.split("Facts to state first")[1].split("What to watch")[0]
    flat = " ".join(facts.replace("│", " ").split())
    assert "training_data.sources (assumed [public_web])" in flat
    assert "could be critical?" in out


def test_gate_fails_on_what_assumed_facts_could_make_a_risk(capsys, tmp_path):
    profile = tmp_path / "thin.yaml"
    profile.write_text(yaml.safe_dump(THIN))
    code, _, err = run(capsys, "threat-model", str(profile), "--quiet", "--fail-on", "critical")
    flat = " ".join(err.split())
    # Nothing is critical on the stated facts; the defaults would make the evasion risk so.
    assert code == 1 and "could be critical (L4×I5) on assumed facts" in flat
    assert "state those facts in the profile" in flat
