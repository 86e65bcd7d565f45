"""`failmodes guideline`: the guideline of the example overlay, its rules in words, where it
changes with the overlay, the HTML for paper, and `guideline diff`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from pydantic import TypeAdapter
from typer.testing import CliRunner

from failmodes.catalog import load_catalog
from failmodes.catalog.compare import Effect, compare_catalogs
from failmodes.catalog.conditions import Condition, iter_facts
from failmodes.cli import app
from failmodes.report.guideline import guideline_sections, render_guideline_markdown
from failmodes.report.guideline_html import render_guideline_html
from failmodes.report.rule_text import describe, fact_words, flatten
from tests.conftest import EXAMPLES
from tests.report import test_golden as golden

CONTOSO = EXAMPLES / "overlays" / "contoso.yaml"


def sections_text(catalog) -> dict[str, str]:
    return {s.anchor: repr(s.blocks) + s.title for s in guideline_sections(catalog)}


def test_guideline_of_the_example_overlay_matches_golden():
    catalog = load_catalog([CONTOSO])
    golden.compare("guideline-contoso.md", render_guideline_markdown(catalog))
    golden.compare("guideline-contoso.html", render_guideline_html(catalog))


def test_names_every_mode_in_force_and_each_retired_one_with_its_reason():
    catalog = load_catalog([CONTOSO])
    text = render_guideline_markdown(catalog)
    headings = [line for line in text.splitlines() if line.startswith("### ")]
    assert len(headings) == len(catalog.active) == 17  # 17 - reward_hacking + score_leakage
    for mode in catalog.active:
        assert any(mode.name in h for h in headings), mode.id
    assert "Reward hacking" not in "\n".join(headings)
    retired = text.split("## 5. Retired failure modes", 1)[1]
    assert "reward\\_hacking" in retired and "Contoso runs no reinforcement-learning" in retired


@pytest.mark.parametrize("overlay", [str(CONTOSO), "failmodes:governance"])
def test_states_each_applicability_rule_in_words(overlay):
    catalog = load_catalog([overlay])
    by_mode = {s.mode: s for s in guideline_sections(catalog) if s.mode}
    for mode in catalog.active:
        rule = next(b for b in by_mode[mode.id].blocks if hasattr(b, "parts"))
        words = " ".join(text for _, text in flatten(rule))
        assert words.startswith("It applies")
        facts = iter_facts(mode.applicability) if mode.applicability else []
        for fact in facts:
            assert fact_words(fact.fact) in words, (mode.id, fact.fact)
            if fact.reason:
                assert fact.reason.rstrip(".") in words, (mode.id, fact.reason)
        assert "fact:" not in words and "any_of" not in words and "{" not in words
    md = render_guideline_markdown(catalog)
    assert "fact:" not in md and "at_least" not in md


def test_condition_sentences():
    def words(raw: dict) -> list[tuple[int, str]]:
        return flatten(describe(TypeAdapter(Condition).validate_python(raw)))

    assert words({"fact": "business_impact.safety", "at_least": "high"}) == [
        (0, "The profile's business impact › safety is high or higher.")
    ]
    assert words(
        {
            "any": [
                {"fact": "model.formats", "any_of": ["pickle", "joblib"], "reason": "Unsafe."},
                {"not": {"fact": "deployment.query_limits.rate_limited", "is": True}},
                {"fact": "deployment.query_limits.max_queries_per_day", "set": False},
            ]
        }
    ) == [
        (0, "At least one of these holds:"),
        (1, "Unsafe (the profile's model › formats includes pickle or joblib)."),
        (1, "This does not hold:"),
        (2, "The profile's deployment › query limits › rate limited is yes."),
        (1, "The profile's deployment › query limits › max queries per day is not stated."),
    ]


def test_changes_exactly_where_the_overlay_changes():
    base = sections_text(load_catalog())
    mine = sections_text(load_catalog([CONTOSO]))
    changed = {a for a in base.keys() | mine.keys() if base.get(a) != mine.get(a)}
    assert changed == {
        "scope",  # overlay named, one mode added and one retired
        "risk",  # tolerance and evidence weights
        "gate",  # policy
        "mode-membership_inference",  # overridden; also in the overlay's own framework
        "mode-perturbation_attack",  # mapped to the overlay's own framework
        "mode-model_inversion",  # mapped to the overlay's own framework
        "mode-score_leakage_via_logs",  # added
        "mode-reward_hacking",  # retired: no longer a mode in force
        "retired",
    }


def test_html_is_escaped_self_contained_and_made_for_paper(tmp_path):
    overlay = yaml.safe_load(CONTOSO.read_text())
    overlay["add"][0]["name"] = "Leak <script>alert(1)</script>"
    path = tmp_path / "o.yaml"
    path.write_text(yaml.safe_dump(overlay))
    html = render_guideline_html(load_catalog([path]))
    assert "<script>" not in html and "Leak &lt;script&gt;" in html
    assert "@media print" in html and "break-before: page" in html and "@page" in html
    assert "default-src 'none'" in html and "http://" not in html.split("<main", 1)[0]
    assert html.count('<section id="mode-') == 17


def changed_overlay(tmp_path: Path) -> Path:
    data = yaml.safe_load(CONTOSO.read_text())
    mia = data["override"]["membership_inference"]
    mia["indicators"][0]["threshold"] = {"direction": "above", "warn": 0.52, "fail": 0.53}
    data["retire"].append({"id": "side_effects", "reason": "No system of ours acts on the world."})
    data["risk"]["tolerance"] = "medium"
    data["policy"] = {"fail_on_risk": "medium", "fail_on_untested": True}
    path = tmp_path / "contoso-v4.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_guideline_diff_names_each_change_and_its_direction(tmp_path):
    new = changed_overlay(tmp_path)
    changes = compare_catalogs(load_catalog([CONTOSO]), load_catalog([new]))
    assert [c.line() for c in changes] == [
        "[tighter] membership_inference: mia_auc fail threshold 0.55 → 0.53",
        "[looser] side_effects: retired: No system of ours acts on the world.",
        "[looser] risk: tolerance low → medium",
        "[tighter] gate: fail on open risk high → medium",
        "[tighter] gate: fails on untested applicable modes",
    ]
    assert compare_catalogs(load_catalog([CONTOSO]), load_catalog([CONTOSO])) == []
    added = compare_catalogs(load_catalog(), load_catalog([CONTOSO]))
    assert ("score_leakage_via_logs", Effect.TIGHTER) in [(c.subject, c.effect) for c in added]


def test_cli_writes_the_guideline_and_the_diff(tmp_path):
    out = tmp_path / "guideline.html"
    result = CliRunner().invoke(app, ["guideline", "-O", str(CONTOSO), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text().startswith("<!DOCTYPE html>")
    result = CliRunner().invoke(app, ["guideline", "-f", "md"])
    assert result.exit_code == 0 and result.stdout.startswith("# ML security guideline: failmodes")
    result = CliRunner().invoke(
        app, ["guideline", "diff", str(CONTOSO), str(changed_overlay(tmp_path))]
    )
    assert result.exit_code == 0, result.output
    assert "5 change(s): 3 tighter, 2 looser, 0 changed." in result.stdout
    assert (
        "| membership\\_inference | mia\\_auc fail threshold 0.55 → 0.53 | tighter |"
        in result.stdout
    )


CHROMIUM = Path("/usr/bin/chromium")


def test_prints_each_mode_on_its_own_pages_in_a_real_browser(tmp_path):
    if not CHROMIUM.exists():
        pytest.skip("needs /usr/bin/chromium (apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    page_file = tmp_path / "guideline.html"
    page_file.write_text(render_guideline_html(load_catalog([CONTOSO])), encoding="utf-8")
    pdf = tmp_path / "guideline.pdf"
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            tab = browser.new_page()
            requests: list[str] = []
            tab.on("request", lambda r: requests.append(r.url))
            tab.goto(page_file.as_uri(), wait_until="load")
            tab.emulate_media(media="print")
            breaks = tab.eval_on_selector_all(
                "section.mode", "ss => ss.map(s => getComputedStyle(s).breakBefore)"
            )
            toc = tab.eval_on_selector("nav.toc", "n => getComputedStyle(n).display")
            tab.pdf(path=str(pdf), format="A4")
        finally:
            browser.close()
    assert breaks == ["page"] * 17
    assert toc == "none"
    assert requests == [page_file.as_uri()]
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes()))
    assert pages >= 1 + 17  # the opening parts, then at least a page per mode in force
