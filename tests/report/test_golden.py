"""Golden files: every renderer's output for one fixed assessment, byte for byte.

The input is itself a golden file (``golden/assessment.json``), read back through the JSON
contract, so a change to the catalog or a probe cannot move these files — only a change to a
renderer can, which is what they guard. Regenerate all of them after an intended change with
``FAILMODES_UPDATE_GOLDEN=1 pytest tests/report/test_golden.py`` and review the diff.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from failmodes import __version__
from failmodes.report.contract import to_json
from failmodes.report.junit import render_junit
from failmodes.report.markdown import render_markdown
from failmodes.report.sarif import render_sarif
from failmodes.threatmodel.model import ThreatModel

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("FAILMODES_UPDATE_GOLDEN", "") == "1"
_SVG_BODY = re.compile(r"(<svg\b[^>]*>\s*<title\b[^>]*>.*?</title>).*?</svg>", re.DOTALL)


def compare(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(text, encoding="utf-8")
        return
    if not path.exists():
        pytest.fail(f"{path} is missing; run with FAILMODES_UPDATE_GOLDEN=1 to write it.")
    assert text == path.read_text(encoding="utf-8"), (
        f"{name} differs from its golden file; if the change is intended, regenerate with "
        "FAILMODES_UPDATE_GOLDEN=1 and review the diff."
    )


def test_json_contract_round_trips_byte_for_byte(frozen: ThreatModel) -> None:
    # Reading the frozen input and writing it again gives the same bytes: nothing is lost,
    # added or reordered on the way through the contract.
    text = (GOLDEN / "assessment.json").read_text(encoding="utf-8")
    assert to_json(frozen).replace(f'"version": "{__version__}"', '"version": "VERSION"') == text


@pytest.mark.parametrize(
    ("name", "render"),
    [
        ("report.md", render_markdown),
        ("report.sarif", render_sarif),
        ("report.junit.xml", render_junit),
    ],
)
def test_text_renderers_match_golden(
    frozen: ThreatModel,
    versionless: Callable[[str], str],
    name: str,
    render: Callable[[ThreatModel], str],
) -> None:
    compare(name, versionless(render(frozen)))


def test_html_matches_golden(frozen_html: str, versionless: Callable[[str], str]) -> None:
    # The SVG bodies depend on the Matplotlib and FreeType versions, so the golden keeps each
    # figure's root element and text alternative; test_plots checks that the bodies are
    # deterministic.
    assert frozen_html.count("<svg") == 8
    compare("report.html", _SVG_BODY.sub(r"\1</svg>", versionless(frozen_html)))
