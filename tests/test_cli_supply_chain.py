"""The supply-chain commands: output conventions and exit codes (0 safe, 1 flagged, 2 usage)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from failmodes.cli.supply_chain import register
from tests.conftest import shared_path

EVIL = b"cos\nsystem\n(S'id'\ntR."
STATE_DICT = b"\x80\x02ccollections\nOrderedDict\n)R."
HELPER = b"\x80\x04\x8c\racme.features\x94\x8c\nBucketizer\x94\x93."


@pytest.fixture
def app() -> typer.Typer:
    application = typer.Typer()
    register(application)
    return application


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_scan_artifact_exit_codes_and_json(
    app: typer.Typer, runner: CliRunner, tmp_path: Path
) -> None:
    (tmp_path / "good.pkl").write_bytes(STATE_DICT)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "evil.pkl").write_bytes(EVIL)
    good = runner.invoke(app, ["scan-artifact", str(tmp_path / "good.pkl")])
    assert good.exit_code == 0, good.output
    assert "SAFE" in good.stdout
    both = runner.invoke(app, ["scan-artifact", str(tmp_path), "--format", "json"])
    assert both.exit_code == 1
    data = json.loads(both.stdout)
    verdicts = {Path(f["path"]).name: f["verdict"] for f in data["files"]}
    assert verdicts == {"good.pkl": "safe", "evil.pkl": "malicious"}
    (finding,) = next(f for f in data["files"] if f["verdict"] == "malicious")["findings"]
    assert finding["callable"] == "os.system" and finding["offset"] == 0
    assert finding["severity"] == "critical"
    assert data["summary"]["malicious"] == 1
    missing = runner.invoke(app, ["scan-artifact", str(tmp_path / "nope.pkl")])
    assert missing.exit_code == 2


def test_scan_artifact_writes_to_a_file_and_reads_the_overlay(
    app: typer.Typer, runner: CliRunner, tmp_path: Path
) -> None:
    model = tmp_path / "model.pkl"
    model.write_bytes(HELPER)
    assert runner.invoke(app, ["scan-artifact", str(model)]).exit_code == 1
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text("name: acme\nartifact_policy:\n  allow: ['acme.features.*']\n")
    out = tmp_path / "scan.json"
    result = runner.invoke(
        app, ["scan-artifact", str(model), "-O", str(overlay), "-f", "json", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["files"][0]["verdict"] == "safe"
    assert result.stdout == ""


def test_audit_deps_flags_vulnerable_and_unpinned_and_writes_an_sbom(
    app: typer.Typer, runner: CliRunner, tmp_path: Path
) -> None:
    advisories = shared_path("reference", "advisory-database")
    clean = tmp_path / "requirements.txt"
    clean.write_text("surely-not-a-package-xyz==1.0\n")
    ok = runner.invoke(app, ["audit-deps", str(clean), "--advisories", str(advisories)])
    assert ok.exit_code == 0, ok.output
    assert "0 vulnerable, 0 not audited, 1 clean" in ok.stdout
    risky = tmp_path / "requirements-ml.txt"
    risky.write_text("torch==1.13.0\nmlflow==2.2.0\npillow==9.0.0\nnumpy\n")
    sbom = tmp_path / "sbom.json"
    result = runner.invoke(
        app,
        ["audit-deps", str(risky), "-a", str(advisories), "--format", "json", "--sbom", str(sbom)],
    )
    assert result.exit_code == 1
    packages = {p["name"]: p for p in json.loads(result.stdout)["packages"]}
    assert {n for n, p in packages.items() if p["status"] == "vulnerable"} == {
        "torch",
        "mlflow",
        "pillow",
    }
    assert packages["numpy"]["status"] == "not_audited"
    assert json.loads(sbom.read_text())["bomFormat"] == "CycloneDX"
    nothing = runner.invoke(app, ["audit-deps", "-a", str(advisories)])
    assert nothing.exit_code != 0


def test_verify_records_then_catches_a_tampered_model(
    app: typer.Typer, runner: CliRunner, tmp_path: Path
) -> None:
    (tmp_path / "model.pkl").write_bytes(STATE_DICT)
    profile = tmp_path / "system.yaml"
    profile.write_text("name: demo\ntarget:\n  model: model.pkl\n")
    recorded = runner.invoke(app, ["verify", str(profile), "--record"])
    assert recorded.exit_code == 0, recorded.output
    assert (tmp_path / "system.manifest.json").is_file()
    assert runner.invoke(app, ["verify", str(profile)]).exit_code == 0
    (tmp_path / "model.pkl").write_bytes(EVIL)
    tampered = runner.invoke(app, ["verify", str(profile)])
    assert tampered.exit_code == 1
    assert "CHANGED" in tampered.stdout and "model.pkl" in tampered.stdout
