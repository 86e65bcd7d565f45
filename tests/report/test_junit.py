"""JUnit XML: parses, counts match the cases, and user strings cannot break the XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from failmodes.assessment import Assessment
from failmodes.report.junit import render_junit, xml_text
from failmodes.threatmodel.model import ThreatModel
from tests.report.conftest import HOSTILE_NAME, QUOTED_FEATURE


def cases(root: ET.Element) -> dict[tuple[str, str], ET.Element]:
    return {(c.get("classname", ""), c.get("name", "")): c for c in root.iter("testcase")}


def test_counts_match_the_cases(demo: Assessment) -> None:
    root = ET.fromstring(render_junit(demo))
    suite = root.find("testsuite")
    assert suite is not None
    found = cases(root)
    failures = [k for k, c in found.items() if c.find("failure") is not None]
    errors = [k for k, c in found.items() if c.find("error") is not None]
    skipped = [k for k, c in found.items() if c.find("skipped") is not None]
    for element in (root, suite):
        assert element.get("tests") == str(len(found)) == "11"
        assert element.get("failures") == str(len(failures)) == "5"
        assert element.get("errors") == str(len(errors)) == "1"
        assert element.get("skipped") == str(len(skipped)) == "2"
    assert sorted(failures) == [
        ("failmodes.distributional_shift", "distributional_shift"),
        ("failmodes.membership_inference", "membership_inference"),
        ("failmodes.model_stealing", "model_stealing"),
        ("failmodes.perturbation_attack", "perturbation_attack"),
        ("failmodes.supply_chain_attack", "model_file_scan"),
    ]
    assert errors == [("failmodes.model_inversion", "model_inversion")]
    assert sorted(skipped) == [
        ("failmodes.incomplete_testing", "not tested"),
        ("failmodes.poisoning_attack", "poisoning_attack"),
    ]


def test_a_case_carries_its_findings(demo: Assessment) -> None:
    case = cases(ET.fromstring(render_junit(demo)))[
        ("failmodes.perturbation_attack", "perturbation_attack")
    ]
    failure = case.find("failure")
    assert failure is not None
    assert failure.get("message") == "robust_accuracy = 0.38 beyond the fail threshold"
    out = case.findtext("system-out") or ""
    assert "robust_accuracy = 0.38 [fail below 0.5 · warn below 0.7] → fail" in out
    assert "attack_success_rate = 0.44 [fail above 0.5 · warn above 0.3] → warn" in out
    assert case.get("time") == "1.500"


def test_a_paper_threat_model_lists_every_applicable_mode_as_skipped(demo: Assessment) -> None:
    paper = ThreatModel(**{k: getattr(demo, k) for k in ThreatModel.model_fields})
    root = ET.fromstring(render_junit(paper))
    assert root.get("tests") == root.get("skipped") == str(len(paper.applicable)) == "11"


def test_hostile_strings_are_escaped_and_control_characters_dropped(hostile: Assessment) -> None:
    text = render_junit(
        hostile.model_copy(
            update={
                "profile": hostile.profile.model_copy(
                    update={"name": HOSTILE_NAME + "\x1b[31m\x00"}
                )
            }
        )
    )
    assert "<script>" not in text
    root = ET.fromstring(text)  # would raise on an unescaped quote or a control character
    suite = root.find("testsuite")
    assert suite is not None and suite.get("name") == f"failmodes: {HOSTILE_NAME}[31m"
    drift = cases(root)[("failmodes.distributional_shift", "distributional_shift")]
    assert f"Most drifted feature: {QUOTED_FEATURE}." in (drift.findtext("system-out") or "")


def test_xml_text_keeps_unicode_and_drops_what_xml_cannot_hold() -> None:
    assert xml_text("a\tb\nc → ✓ \U0001f600") == "a\tb\nc → ✓ \U0001f600"
    assert xml_text("a\x00b\x1fc\ufffe") == "abc"
