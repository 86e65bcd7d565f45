"""`failmodes report A.json --by FRAMEWORK` on the diagnosis example: evidence under EU AI Act
Article 15 and NIST AI RMF MEASURE 2.7, what is untested, and the manual's framework pages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from failmodes.catalog.loader import builtin_catalog
from failmodes.cli import app, main
from failmodes.errors import EXIT_INPUT_ERROR
from failmodes.report.frameworks import render_framework_page
from tests.conftest import EXAMPLES, REPO


@pytest.fixture(scope="module")
def assessment(diagnosis_demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The diagnosis demo scanned by two of its probes (the whole scan is `make demo`'s)."""
    out = tmp_path_factory.mktemp("diagnosis-frameworks") / "assessment.json"
    probes = ["-p", "membership_inference", "-p", "model_file_scan"]
    result = CliRunner().invoke(app, ["scan", str(diagnosis_demo), *probes, "-q", "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


def by(assessment: Path, framework: str, *extra: str):
    return CliRunner().invoke(app, ["report", str(assessment), "--by", framework, "-q", *extra])


def test_eu_ai_act_article_15_shows_the_evidence_measured(assessment):
    result = by(assessment, "eu-ai-act")
    assert result.exit_code == 0, result.output
    article = result.stdout.split("## Art. 15 — Accuracy, robustness and cybersecurity", 1)[1]
    article = article.split("\n## ", 1)[0]
    assert "*partly measured*" in article
    assert "**Membership inference** (`membership_inference`): failed" in article
    assert "membership\\_inference: mia\\_auc = 0.9" in article  # the leaky demo model
    assert "model\\_file\\_scan: unsafe\\_artifact\\_count = 0 (pass)" in article
    # What an auditor is told is missing: applicable modes with no measurement, and why.
    assert "**Perturbation attack** (`perturbation_attack`): not tested" in article
    assert "untested: its probes were not selected for this scan" in article


def test_nist_measure_2_7_evidence_and_gaps_as_json(assessment):
    result = by(assessment, "nist-ai-rmf", "-f", "json")
    assert result.exit_code == 0, result.output
    view = json.loads(result.stdout)
    rows = {r["id"]: r for r in view["requirements"]}
    security = rows["MEASURE 2.7"]
    modes = {m["id"]: m for m in security["modes"]}
    mia = modes["membership_inference"]
    assert mia["outcome"] == "failed"
    auc = next(f for f in mia["findings"] if f["metric"] == "mia_auc")
    assert auc["status"] == "fail" and auc["value"] > 0.9
    assert modes["supply_chain_attack"]["outcome"] == "passed"
    assert modes["model_stealing"]["outcome"] == "not tested"
    assert modes["backdoor"]["outcome"] == "not applicable"
    assert security["standing"] == "partial"
    # A probe metric mapped to a requirement directly: mia_auc is privacy evidence.
    assert [f["metric"] for f in rows["MEASURE 2.10"]["metrics"]] == ["mia_auc"]
    # Requirements come in the framework's own order.
    order = list(builtin_catalog().framework("nist-ai-rmf").requirements)
    assert [r["id"] for r in view["requirements"]] == sorted(rows, key=order.index)


def test_iso_42001_and_refusals(assessment, capsys):
    iso = by(assessment, "iso-42001")
    assert iso.exit_code == 0 and "## A.6.2.4 — AI system verification and validation" in iso.stdout
    assert main(["report", str(assessment), "--by", "eu-ai-act", "-f", "html"]) == EXIT_INPUT_ERROR
    assert "error: --by renders md or json, not html." in capsys.readouterr().err
    assert main(["report", str(assessment), "--by", "gdpr"]) == EXIT_INPUT_ERROR
    err = capsys.readouterr().err
    assert "unknown framework 'gdpr'; in force: eu-ai-act, iso-42001, nist-ai-rmf." in err


def test_framework_pages_of_the_manual_are_current():
    catalog = builtin_catalog()
    for framework in catalog.frameworks:
        page = REPO / "docs" / "frameworks" / f"{framework.id}.md"
        assert page.read_text(encoding="utf-8") == render_framework_page(framework, catalog), (
            f"{page} is stale: run `python -m failmodes.report.frameworks docs/frameworks`"
        )


def test_a_threat_model_on_paper_shows_the_owners_decisions(tmp_path):
    saved = tmp_path / "threat-model.json"
    result = CliRunner().invoke(
        app,
        ["threat-model", str(EXAMPLES / "fraud-detection.yaml"), "-f", "json", "-o", str(saved)],
    )
    assert result.exit_code == 0, result.output
    view = by(saved, "eu-ai-act")
    assert view.exit_code == 0, view.output
    article = view.stdout.split("## Art. 15", 1)[1].split("\n## ", 1)[0]
    assert "*untested*" in article  # nothing was measured
    assert (
        "**Membership inference** (`membership_inference`): not tested, risk medium\n"
        "  - decision: mitigate by privacy-office@example.com: Scores are rounded" in article
    )
