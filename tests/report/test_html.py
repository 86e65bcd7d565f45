"""The HTML report: self-contained, complete, accessible, and escaping every user string."""

from __future__ import annotations

import itertools
import re
from html.parser import HTMLParser

import pytest

from failmodes.assessment import Assessment
from failmodes.catalog import load_catalog
from failmodes.profile import load_profile
from failmodes.profile.schema import Decision, DecisionRecord
from failmodes.report.html import render_html
from failmodes.threatmodel import threat_model
from failmodes.threatmodel.model import ThreatModel
from tests.conftest import EXAMPLES
from tests.report.conftest import HOSTILE_NAME, QUOTED_FEATURE


class Outline(HTMLParser):
    """Headings, figures, table header cells and every URL-bearing attribute of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[int] = []
        self.urls: list[str] = []
        self.th_without_scope = 0
        self.figures = 0
        self.figcaptions = 0
        self.scripts = 0
        self.ids: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag == "th" and "scope" not in found:
            self.th_without_scope += 1
        self.figures += tag == "figure"
        self.figcaptions += tag == "figcaption"
        self.scripts += tag == "script"
        if found.get("id"):
            self.ids.append(str(found["id"]))
        for name in ("src", "href", "xlink:href", "action", "data"):
            if found.get(name):
                self.urls.append(str(found[name]))


def outline(html: str) -> Outline:
    parser = Outline()
    parser.feed(html)
    return parser


def test_headings_nest_without_skipping_a_level(frozen_html: str) -> None:
    levels = outline(frozen_html).headings
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b <= a + 1 for a, b in itertools.pairwise(levels))


def test_self_contained_no_script_and_nothing_fetched(frozen_html: str) -> None:
    page = outline(frozen_html)
    assert page.scripts == 0
    fetched = [u for u in page.urls if not u.startswith(("#", "data:image/png", "https://"))]
    assert fetched == []
    # links to ATLAS and NIST are navigation, never fetched; the CSP forbids any fetch anyway
    assert "default-src 'none'" in frozen_html
    assert not re.search(r"<(?:link|img|iframe|object|embed)\b", frozen_html)
    assert "@import" not in frozen_html and "url(http" not in frozen_html


def test_ids_are_unique_across_the_inlined_figures(frozen_html: str) -> None:
    ids = outline(frozen_html).ids
    assert len(ids) == len(set(ids))


def test_tables_have_scoped_headers_and_figures_captions(frozen_html: str) -> None:
    page = outline(frozen_html)
    assert page.th_without_scope == 0
    assert page.figures == page.figcaptions == 8
    assert frozen_html.count('role="img"') == 8


def test_summary_heat_map_and_coverage_of_every_catalog_mode(
    frozen: ThreatModel, frozen_html: str
) -> None:
    coverage = frozen_html.split('id="coverage"')[1].split("</table>", maxsplit=1)[0]
    assert coverage.count("<tr>") == len(frozen.modes) + 1 == 18
    assert 'Overall risk: <span class="badge risk-critical">critical</span>' in frozen_html
    # the heat map cell of likelihood 5 × impact 5 holds rank 1, perturbation attack
    heat = frozen_html.split('class="heat"')[1].split("</table>", maxsplit=1)[0]
    row5 = heat.split('<th scope="row">5 almost certain</th>')[1].split("</tr>")[0]
    cells = re.findall(r"<td class=\"risk-(\w+)\">(.*?)</td>", row5)
    assert [level for level, _ in cells] == ["medium", "high", "high", "critical", "critical"]
    assert 'aria-label="1. Perturbation attack"' in cells[4][1]
    # results on the coverage map: measured and failed, paper only, not applicable
    assert re.search(
        r"Membership inference</a></th>.*?measured</td>\s*<td><span class=\"outcome-failed\">",
        coverage,
        re.S,
    )
    assert re.search(
        r"Poisoning attack</a></th>.*?paper only</td>\s*<td><span class=\"outcome-not-tested\">",
        coverage,
        re.S,
    )
    assert re.search(r"Reward hacking</th>\s*<td>unintentional</td>\s*<td>no</td>", coverage)


def test_mode_section_has_every_part(frozen_html: str) -> None:
    section = frozen_html.split('id="mode-membership_inference"')[1].split(
        "</article>", maxsplit=1
    )[0]
    for heading in (
        "Why it applies",
        "Risk",
        "Decision",
        "Findings",
        "Indicators to watch",
        "Mitigations",
        "References",
    ):
        assert f"<h4>{heading}</h4>" in section
    assert "Mitigate</strong> by privacy-office@example.com" in section
    assert "Residual after the decision" in section
    assert "ATLAS AML.T0024</a> Exfiltration via AI Inference API" in section
    assert "OWASP ML04:2023</a> Membership Inference Attack" in section
    assert "fail above 0.6 · warn above 0.55" in section
    assert (
        "Figure" in section
        and "Membership-inference ROC (membership_inference, mia_auc)" in section
    )


def _with_plots(model: Assessment, plots_by_mode: dict[str, list[dict[str, object]]]) -> Assessment:
    """``model`` with every finding's plots replaced: those given for a mode's first finding,
    none elsewhere (rendering figures is the slow part)."""
    modes = []
    for m in model.modes:
        findings = [
            f.model_copy(
                update={"evidence": {"plots": plots_by_mode.get(m.id, []) if i == 0 else []}}
            )
            for i, f in enumerate(m.findings)
        ]
        modes.append(m.model_copy(update={"findings": findings}))
    return model.model_copy(update={"modes": modes})


def test_a_plot_that_cannot_be_drawn_is_reported_not_dropped(frozen: Assessment) -> None:
    line = {"kind": "line", "title": "ok", "series": [{"label": "s", "x": [0, 1], "y": [1, 0]}]}
    short = {**line, "series": [{"label": "s", "x": [0, 1], "y": [1]}]}
    html = render_html(_with_plots(frozen, {"model_stealing": [{"kind": "pie"}, short, line]}))
    assert "This plot could not be drawn: malformed spec: kind: Input should be" in html
    assert "This plot could not be drawn: series &#39;s&#39;: 2 x values for 1 y values" in html
    assert html.count("<svg") == 1 and html.count("<figure") == 3


def test_a_paper_threat_model_with_retired_and_excluded_modes(tmp_path) -> None:
    overlay = tmp_path / "ours.yaml"
    overlay.write_text(
        "name: ours\nretire:\n  - id: side_effects\n    reason: We ship no agents.\n"
    )
    profile = load_profile(EXAMPLES / "fraud-detection.yaml")
    excluded = DecisionRecord(
        decision=Decision.NOT_APPLICABLE, owner="cro@example.com", rationale="Batch scoring only."
    )
    profile = profile.model_copy(
        update={"decisions": {**profile.decisions, "model_stealing": excluded}}
    )
    html = render_html(threat_model(profile, load_catalog([overlay])))
    assert "<title>Threat model: Card-not-present fraud scoring</title>" in html
    assert "Probe runs" not in html and "<svg" not in html
    assert '<span class="value">0 of 11</span> measured by probes' in html
    coverage = html.split('id="coverage"')[1].split("</table>")[0]
    assert re.search(
        r"Model stealing</a></th>\s*<td>intentional</td>\s*<td>excluded by owner</td>", coverage
    )
    assert re.search(r"Side effects</th>\s*<td>unintentional</td>\s*<td>retired</td>", coverage)
    assert "Retired by ours: We ship no agents." in html
    assert "Not applicable</strong> by cro@example.com: Batch scoring only." in html


@pytest.mark.parametrize("raw", [HOSTILE_NAME, QUOTED_FEATURE])
def test_user_strings_are_escaped(hostile: Assessment, hostile_html: str, raw: str) -> None:
    assert raw not in hostile_html
    assert "<script" not in hostile_html.lower()
    escaped = (
        raw.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;")
    )
    assert escaped in hostile_html
    assert hostile.profile.name == HOSTILE_NAME


def test_the_feature_name_reaches_the_figure_text_alternatives_escaped(hostile_html: str) -> None:
    titles = re.findall(r"<title id=\"fig\d+-title\">(.*?)</title>", hostile_html)
    assert len(titles) == 2
    assert all("merchant &#34;tier&#34; &amp; &lt;b&gt;bold&lt;/b&gt;" in t for t in titles)


def test_assumed_risks_are_marked_and_the_facts_to_state_listed() -> None:
    from failmodes import profile_from_dict

    impact = {
        "confidentiality": "high",
        "integrity": "high",
        "availability": "low",
        "safety": "low",
    }
    thin = profile_from_dict(
        {"name": "thin", "deployment": {"exposure": "public"}, "business_impact": impact}
    )
    model = threat_model(thin)
    html = render_html(model)
    assumed = [m for m in model.applicable if m.confidence.value == "assumed"]
    stated = [m for m in model.applicable if m.confidence.value == "stated"]
    assert assumed and stated
    # In the heat map, a rank that rests on assumed facts is drawn dashed and says why.
    marked = re.findall(r'<a href="#mode-([a-z_]+)" class="assumed"', html)
    assert set(marked) == {m.id for m in assumed}
    assert '<h3 id="key-facts">Facts to state first</h3>' in html
    first = model.key_facts[0]
    assert first.fact in html.split('id="key-facts"')[1].split("</ol>")[0]
    # Each mode shows its attack path, and the "could be" line where it has one.
    section = html.split(f'id="mode-{assumed[0].id}"')[1].split("</article>")[0]
    assert "Attack path" in section and "Rests on assumed facts." in section
