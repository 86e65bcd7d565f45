"""One self-contained HTML file for the people who must act on an assessment.

The page opens offline in any browser: styles and figures are inline, fonts are the reader's
system fonts, and a Content-Security-Policy forbids every fetch but inline images, so even a
hostile string that slipped past escaping could not reach the network. Jinja2 renders it with
autoescaping on, so every string from a profile, a data set or a model — a system called
``<script>alert(1)</script>``, a feature name with quotes — is text, never markup; the only
markup inserted unescaped is the SVG that :mod:`failmodes.report.plots` draws (its text is
drawn as glyph outlines and its title is escaped there).

Order of the page: an executive summary (system, overall risk, likelihood × impact heat map,
coverage of every catalog mode), then one section per applicable failure mode in risk order
(why it applies, risk with its factors, decision, findings with their plots, indicators,
mitigations, ATLAS / OWASP / NIST references), then the modes that do not apply and the
probe runs. Headings nest without gaps, tables have header cells with scope, figures have
captions and text alternatives, and a print stylesheet keeps figures and tables whole.

Like every renderer, this reads the assessment and computes nothing new.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from itertools import count
from typing import Any

from jinja2 import Environment
from markupsafe import Markup
from pydantic import ValidationError

from failmodes import __version__
from failmodes.assessment import Assessment
from failmodes.catalog.schema import FailureMode
from failmodes.catalog.xref import reference_ids
from failmodes.findings import Finding, Plot, Status, number, threshold_text
from failmodes.report import plots
from failmodes.report.templating import template_environment
from failmodes.report.text import STARTING, decision_label, key_fact_line, signed, why
from failmodes.threatmodel.model import AppliedFactor, ModeAssessment, ThreatModel
from failmodes.threatmodel.outcome import Outcome, in_force, outcome, overall_risk
from failmodes.validation import dotted

ATLAS_URL = "https://atlas.mitre.org/techniques/{}"
ATLAS_MITIGATION_URL = "https://atlas.mitre.org/mitigations/{}"
OWASP_URL = "https://owasp.org/www-project-machine-learning-security-top-10/"
NIST_URL = "https://csrc.nist.gov/pubs/ai/100/2/e2025/final"
LIKELIHOOD_WORDS = ("rare", "unlikely", "possible", "likely", "almost certain")
IMPACT_WORDS = ("minor", "moderate", "significant", "major", "severe")


@cache
def environment() -> Environment:
    """The report's templates with its number and threshold filters (the monitoring page
    shares them)."""
    env = template_environment()
    env.filters["num"] = number
    env.globals["threshold_text"] = threshold_text
    return env


@dataclass(frozen=True)
class FigureView:
    """One drawn plot, or why it could not be drawn (a malformed spec is shown, not dropped)."""

    number: int
    caption: str
    svg: Markup | None = None
    problem: str | None = None


@dataclass(frozen=True)
class FindingView:
    finding: Finding
    threshold: str
    figures: list[FigureView] = field(default_factory=list)


@dataclass(frozen=True)
class Reference:
    label: str
    name: str
    url: str | None = None


@dataclass(frozen=True)
class ModeView:
    rank: int
    mode: ModeAssessment
    likelihood: list[tuple[str, AppliedFactor]]
    impact: list[tuple[str, AppliedFactor]]
    findings: list[FindingView]
    references: list[Reference]
    mitigations: list[tuple[str, list[Reference]]]
    outcome: Outcome


@dataclass(frozen=True)
class CoverageRow:
    mode: ModeAssessment
    applies: str
    tested: str
    outcome: Outcome
    risk: str | None
    decision: str


def _factors(factors: list[AppliedFactor]) -> list[tuple[str, AppliedFactor]]:
    return [(str(f.adjust) if f.source in STARTING else signed(f.adjust), f) for f in factors]


def finding_figures(finding: Finding, numbers: count[int]) -> list[FigureView]:
    """The plots of one finding, numbered from ``numbers`` (the page's figure counter)."""
    out = []
    for raw in plots.plots_of(finding.evidence):
        index = next(numbers)
        try:
            plot = Plot.model_validate(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            problem = f"malformed spec: {dotted(first['loc'])}: {first['msg']}"
            out.append(FigureView(index, f"Plot from {finding.probe}", problem=problem))
            continue
        caption = f"{plot.title} ({finding.probe}, {finding.measured})"
        try:
            svg = plots.svg_markup(plot, f"fig{index}")
        except ValueError as exc:
            out.append(FigureView(index, caption, problem=str(exc)))
            continue
        out.append(FigureView(index, caption, svg=svg))
    return out


def _references(mode: FailureMode) -> list[Reference]:
    ids = reference_ids()
    refs = [
        Reference(f"ATLAS {t}", ids.atlas_techniques.get(t, ""), ATLAS_URL.format(t))
        for t in mode.xrefs.atlas
    ]
    refs += [
        Reference(f"OWASP {o}", ids.owasp_ml.get(o, ""), OWASP_URL) for o in mode.xrefs.owasp_ml
    ]
    refs += [
        Reference(f"NIST {n}", ids.nist_ai_100_2.get(n, ""), NIST_URL)
        for n in mode.xrefs.nist_ai_100_2
    ]
    return refs


def _mitigations(mode: FailureMode) -> list[tuple[str, list[Reference]]]:
    names = reference_ids().atlas_mitigations
    return [
        (
            m.summary,
            [Reference(a, names.get(a, ""), ATLAS_MITIGATION_URL.format(a)) for a in m.atlas],
        )
        for m in mode.mitigations
    ]


def _mode_view(rank: int, mode: ModeAssessment, numbers: count[int]) -> ModeView:
    return ModeView(
        rank=rank,
        mode=mode,
        likelihood=_factors(mode.likelihood_factors),
        impact=_factors(mode.impact_factors),
        findings=[
            FindingView(f, threshold_text(f.threshold), finding_figures(f, numbers))
            for f in mode.findings
        ],
        references=_references(mode.mode),
        mitigations=_mitigations(mode.mode),
        outcome=outcome(mode),
    )


def _coverage(model: ThreatModel) -> list[CoverageRow]:
    rows = []
    for mode in sorted(model.modes, key=lambda m: (m.mode.number or 99, m.id)):
        if mode.retired is not None:
            applies = "retired"
        elif not mode.applicable:
            applies = "no"
        elif mode.current is None:
            applies = "excluded by owner"
        else:
            applies = "yes"
        result = outcome(mode)
        if not mode.applicable:
            tested = "—"
        else:
            tested = "paper only" if result == Outcome.NOT_TESTED else "measured"
        score = in_force(mode)
        rows.append(
            CoverageRow(
                mode=mode,
                applies=applies,
                tested=tested,
                outcome=result,
                risk=score.risk.value if score is not None else None,
                decision=decision_label(mode) if mode.applicable else "—",
            )
        )
    return rows


def _heat_map(model: ThreatModel) -> list[dict[str, Any]]:
    """Rows from likelihood 5 down to 1; each cell has the matrix's level and the ranked modes
    whose risk in force sits there."""
    ranks = {m.id: i for i, m in enumerate(model.applicable, 1)}
    rows = []
    for likelihood in range(5, 0, -1):
        cells = []
        for impact in range(1, 6):
            here = [
                (ranks[m.id], m)
                for m in model.applicable
                if (s := in_force(m)) is not None
                and (s.likelihood, s.impact) == (likelihood, impact)
            ]
            cells.append(
                {"level": model.risk_policy.level(likelihood, impact).value, "modes": here}
            )
        rows.append(
            {"likelihood": likelihood, "word": LIKELIHOOD_WORDS[likelihood - 1], "cells": cells}
        )
    return rows


def _counts(model: ThreatModel) -> dict[str, int]:
    findings = [f for m in model.modes for f in m.findings]
    return {
        "catalog": len(model.modes),
        "applicable": len(model.applicable),
        "tested": sum(1 for m in model.applicable if outcome(m) != Outcome.NOT_TESTED),
        "needs_decision": sum(1 for m in model.modes if m.needs_decision),
        "failed": sum(1 for f in findings if f.status == Status.FAIL),
        "warned": sum(1 for f in findings if f.status == Status.WARN),
        "passed": sum(1 for f in findings if f.status == Status.PASS),
        "findings": len(findings),
    }


def render_html(model: ThreatModel) -> str:
    """The whole report as one HTML document (a threat model or an assessment)."""
    numbers = count(1)
    sections = [_mode_view(rank, m, numbers) for rank, m in enumerate(model.applicable, 1)]
    overall = overall_risk(model)
    return (
        environment()
        .get_template("report.html.j2")
        .render(
            model=model,
            is_assessment=isinstance(model, Assessment),
            runs=model.probe_runs if isinstance(model, Assessment) else [],
            overall=overall.value if overall is not None else None,
            counts=_counts(model),
            heat_map=_heat_map(model),
            key_facts=[key_fact_line(k) for k in model.key_facts],
            impact_words=IMPACT_WORDS,
            coverage=_coverage(model),
            sections=sections,
            not_applicable=[(m, why(m)) for m in model.modes if not m.applicable],
            version=__version__,
            Outcome=Outcome,
        )
    )
