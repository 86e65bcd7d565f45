"""Plot specs drawn as inline SVG: every kind, text alternatives, ids, determinism, bad specs."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import matplotlib as mpl
import pytest

from failmodes.findings import Plot, Series
from failmodes.report.plots import describe, svg_markup, text

SVG = "{http://www.w3.org/2000/svg}"
ROC = Plot(
    kind="roc",
    title="MIA",
    series=[Series(label="attack", x=[0.0, 1e-4, 1e-2, 1.0], y=[0.0, 1e-3, 5e-2, 1.0])],
)
BARS = Plot(
    kind="bar",
    title="Worst slices",
    categories=["a", "b", "c"],
    series=[Series(label="accuracy", y=[0.5, 0.7, 0.9])],
)


def parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)


@pytest.mark.parametrize(
    "plot",
    [
        Plot(kind="line", title="t", series=[Series(label="s", x=[0, 1, 2], y=[1, 0.5, 0.2])]),
        ROC,
        Plot(kind="histogram", title="h", series=[Series(label="ref", x=[0, 1, 2], y=[3, 4])]),
        BARS,
        Plot(kind="images", title="i", images=[[[0.0, 1.0], [1.0, 0.0]]], captions=["x"]),
    ],
    ids=lambda p: p.kind,
)
def test_every_kind_is_one_accessible_svg(plot: Plot) -> None:
    root = parse(svg_markup(plot, "fig7"))
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img" and root.get("aria-labelledby") == "fig7-title"
    title = root.find(f"{SVG}title")
    assert title is not None and title.get("id") == "fig7-title"
    assert title.text == describe(plot)
    ids = [e.get("id") for e in root.iter() if e.get("id")]
    assert ids and all(i.startswith("fig7-") for i in ids)


def test_ids_and_references_are_prefixed_per_figure() -> None:
    one, two = str(svg_markup(ROC, "fig1")), str(svg_markup(ROC, "fig2"))
    refs = re.findall(r'(?:href="#|url\(#)([^")]+)', one)
    assert refs and all(r.startswith("fig1-") for r in refs)
    assert not set(re.findall(r'id="([^"]+)"', one)) & set(re.findall(r'id="([^"]+)"', two))
    # every reference points at an element of its own figure
    assert set(refs) <= set(re.findall(r'id="([^"]+)"', one))


def test_output_is_deterministic_and_ignores_the_users_matplotlibrc(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Without a fixed svg.hashsalt Matplotlib draws a fresh random salt for every clip-path
    # id, so two renders of the same spec would differ.
    first = svg_markup(ROC, "fig1")
    assert 'clip-path="url(#fig1-p' in first
    monkeypatch.setitem(mpl.rcParams, "lines.linewidth", 7.0)
    monkeypatch.setitem(mpl.rcParams, "svg.hashsalt", None)
    assert svg_markup(ROC, "fig1") == first


def test_no_metadata_date_or_comment_survives() -> None:
    markup = str(svg_markup(ROC, "fig1"))
    assert "<metadata" not in markup and "<!--" not in markup and "<?xml" not in markup
    assert "Matplotlib v" not in markup


def test_user_strings_are_glyphs_or_escaped_never_markup() -> None:
    hostile = 'x"><script>alert(1)</script>'
    plot = Plot(
        kind="bar",
        title=hostile,
        xlabel="$unbalanced",
        categories=[hostile, "price $ usd"],
        series=[Series(label=hostile, y=[1.0, 2.0])],
    )
    markup = str(svg_markup(plot, "fig1"))
    assert "<script" not in markup and "alert(1)" not in markup.replace(
        "&lt;script&gt;alert(1)", ""
    )
    assert parse(markup).find(f"{SVG}title").text.startswith(f"Bar chart: {hostile}.")


def test_dollar_signs_are_literal_text() -> None:
    assert text("price $ usd $x$") == r"price \$ usd \$x\$"


def test_describe_uses_the_probes_alt_text_or_summarises_the_data() -> None:
    assert describe(ROC.model_copy(update={"alt": "Attack ROC."})) == "Attack ROC."
    line = Plot(
        kind="line",
        title="Robust accuracy",
        xlabel="epsilon",
        ylabel="accuracy",
        series=[Series(label="PGD", x=[0.0, 0.5], y=[0.9, 0.1])],
        reference_line=0.5,
    )
    assert describe(line) == (
        "Line chart: Robust accuracy. X axis: epsilon; Y axis: accuracy. "
        "PGD: 2 points, from 0.9 at 0 to 0.1 at 0.5. Threshold line at 0.5."
    )
    assert "a 0.5, b 0.7, c 0.9" in describe(BARS)


@pytest.mark.parametrize(
    ("plot", "problem"),
    [
        (Plot(kind="line", title="t", series=[Series(label="s", x=[0, 1], y=[1])]), "2 x values"),
        (
            Plot(kind="histogram", title="h", series=[Series(label="s", x=[0, 1], y=[1, 2])]),
            "3 bin edges",
        ),
        (Plot(kind="images", title="i", images=[[1.0, 2.0]]), "an image is"),
        (
            Plot(kind="bar", title="b", categories=["a"], series=[Series(label="s", y=[1, 2])]),
            "2 values for 1",
        ),
        (Plot(kind="line", title="t"), "without series"),
    ],
)
def test_data_that_does_not_fit_the_kind_is_a_value_error(plot: Plot, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        svg_markup(plot, "fig1")
