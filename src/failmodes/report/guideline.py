"""The organization's ML security guideline, written from the catalog and its overlays.

``failmodes guideline -O overlay.yaml`` turns the catalog in force into the document people
read and sign off: scope, the risk matrix and appetite, the release gate, then every failure
mode in force — definition, when it applies (the applicability rule in words, see
:mod:`failmodes.report.rule_text`), the tests and thresholds required, mitigations, what its
owner must do and which governance requirements it serves — and the retired modes with their
reasons.

The document is built once as plain blocks (:class:`Section`), then written as Markdown here
or as HTML by :mod:`failmodes.report.guideline_html`, so the two can never say different
things. It depends on the catalog alone (no clock, no paths), so the same overlays give the
same bytes: a guideline can be reviewed as a diff and kept as a golden file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from failmodes.catalog.compare import Effect, GuidelineChange
from failmodes.catalog.model import Catalog
from failmodes.catalog.schema import FailureMode, GatePolicy, Kind
from failmodes.findings import threshold_text
from failmodes.report.markdown import esc
from failmodes.report.rule_text import Statement, applies_when, flatten

LIKELIHOOD = ("1 rare", "2 unlikely", "3 possible", "4 likely", "5 almost certain")
IMPACT = ("1 minor", "2 moderate", "3 significant", "4 major", "5 severe")
DECISIONS = "mitigate, accept, transfer or not applicable"


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list[str]]
    #: Cells are risk levels, coloured as such in HTML (the risk matrix).
    levels: bool = False


@dataclass(frozen=True)
class Section:
    """A heading and its blocks: paragraphs (str), rule statements, bullet lists, tables."""

    anchor: str
    title: str
    level: int
    blocks: list[str | Statement | list[str] | Table] = field(default_factory=list)
    mode: str | None = None


def title_of(catalog: Catalog) -> str:
    owner = catalog.overlays[-1] if catalog.overlays else "failmodes"
    return f"ML security guideline: {owner}"


def gate_rules(policy: GatePolicy) -> list[str]:
    """The release gate, one rule per line, in words."""
    rules = []
    if policy.fail_on_risk is not None:
        rules.append(
            f"A release fails while an open risk (no owner decision) is {policy.fail_on_risk.value}"
            " or higher."
        )
    if policy.fail_on_findings:
        verdicts = " or ".join(v.value for v in policy.fail_on_findings)
        rules.append(f"A release fails on any finding with the verdict {verdicts}.")
    if policy.fail_on_untested:
        rules.append("A release fails while an applicable failure mode is untested.")
    if policy.fail_on_missing_decision:
        rules.append("A release fails while a risk above the tolerance has no owner decision.")
    return rules or ["No release gate is set: assessments report, and never fail a pipeline."]


def _tests(mode: FailureMode) -> list[str | Statement | list[str] | Table]:
    blocks: list[str | Statement | list[str] | Table] = []
    if mode.probes:
        blocks.append(
            [f"{p.id} ({p.status.value}): {' '.join(p.summary.split())}" for p in mode.probes]
        )
    else:
        blocks.append("No automated probe: assess it in review.")
    rows = [[i.id, i.name, threshold_text(i.threshold)] for i in mode.indicators if i.threshold]
    if rows:
        blocks.append(Table(["Indicator", "Name", "Threshold"], rows))
    watch = [i.name for i in mode.indicators if i.threshold is None]
    if watch:
        blocks.append("Watched without a threshold: " + "; ".join(watch) + ".")
    return blocks


def _obligations(mode: FailureMode, catalog: Catalog) -> list[str]:
    duties = [
        f"Record a decision ({DECISIONS}) with a rationale whenever this mode's risk for a "
        "system is above the risk appetite (section 2).",
        f"Treat a failed measurement as severity {mode.severity.default.value}.",
    ]
    duties += [f"Answer in review: {q.text}" for q in catalog.questions_for(mode.id)]
    return duties


def _governance(mode: FailureMode, catalog: Catalog) -> list[str]:
    return [
        f"{f.name}: {', '.join(f.for_mode(mode.id))}"
        for f in catalog.frameworks
        if f.for_mode(mode.id)
    ]


def mode_section(mode: FailureMode, catalog: Catalog) -> Section:
    number = f"{mode.number}. " if mode.number else ""
    origin = "the taxonomy" if mode.source == "failmodes" else f"overlay {mode.source}"
    blocks: list[str | Statement | list[str] | Table] = [
        f"{mode.id} · {mode.kind.value} · defined by {origin} · violates "
        + ", ".join(v.value for v in mode.violates),
        " ".join(mode.summary.split()),
        "When it applies",
        applies_when(mode.applicability),
        "Required tests and thresholds",
        *_tests(mode),
        "Mitigations",
        [" ".join(m.summary.split()) for m in mode.mitigations],
        "Owner's obligations",
        _obligations(mode, catalog),
    ]
    mapped = _governance(mode, catalog)
    if mapped:
        blocks += ["Governance requirements", mapped]
    return Section(f"mode-{mode.id}", f"{number}{mode.name}", 3, blocks, mode=mode.id)


def guideline_sections(catalog: Catalog) -> list[Section]:
    """The guideline as sections, in reading order."""
    active, retired = catalog.active, [m for m in catalog.modes if m.retired is not None]
    custom = [m for m in active if m.source != "failmodes"]
    kinds = {k: sum(1 for m in active if m.kind == k) for k in Kind}
    overlays = ", ".join(catalog.overlays) or "none"
    scope = Section(
        "scope",
        "1. Scope",
        2,
        [
            f"This guideline applies the taxonomy {' '.join(catalog.taxonomy.split())} to every "
            "ML system the organization builds or runs. A system is described by a profile; "
            "the rules below select the failure modes that apply to it.",
            [
                f"Catalog version: {catalog.version}",
                f"Overlays in force: {overlays}",
                f"Failure modes in force: {len(active)} ({kinds[Kind.INTENTIONAL]} intentional, "
                f"{kinds[Kind.UNINTENTIONAL]} unintentional; {len(custom)} of the "
                "organization's own)",
                f"Retired: {len(retired)}",
            ],
            Table(
                ["#", "Failure mode", "Id", "Kind", "Severity", "Defined by"],
                [
                    [
                        str(m.number or "—"),
                        m.name,
                        m.id,
                        m.kind.value,
                        m.severity.default.value,
                        m.source,
                    ]
                    for m in active
                ],
            ),
        ],
    )
    matrix = Table(
        ["Likelihood \\ impact", *IMPACT],
        [
            [LIKELIHOOD[i], *(level.value for level in row)]
            for i, row in reversed(list(enumerate(catalog.risk.matrix)))
        ],
        levels=True,
    )
    weights = catalog.risk.evidence
    risk = Section(
        "risk",
        "2. Risk matrix and appetite",
        2,
        [
            "Each applicable failure mode is scored for likelihood and impact from 1 to 5; the "
            "matrix gives its risk level.",
            matrix,
            f"Risk appetite: risks up to {catalog.risk.tolerance.value} are tolerated. A risk "
            f"above it needs an owner's decision ({DECISIONS}) with a rationale.",
            f"Measured evidence moves likelihood: a failed measurement by {weights.fail:+d}, a "
            f"warning by {weights.warn:+d}, a pass by {weights.passed:+d}.",
        ],
    )
    gate = Section("gate", "3. Release gate", 2, [gate_rules(catalog.policy)])
    modes = Section("modes", "4. Failure modes in force", 2, [])
    sections = [scope, risk, gate, modes, *(mode_section(m, catalog) for m in active)]
    sections.append(
        Section(
            "retired",
            "5. Retired failure modes",
            2,
            [
                Table(
                    ["Failure mode", "Id", "Retired by", "Reason"],
                    [[m.name, m.id, m.retired.by, m.retired.reason] for m in retired if m.retired],
                )
                if retired
                else "None: every failure mode of the catalog is in force."
            ],
        )
    )
    return sections


#: Short paragraphs that act as sub-headings inside a mode section.
SUBHEADINGS = frozenset(
    {
        "When it applies",
        "Required tests and thresholds",
        "Mitigations",
        "Owner's obligations",
        "Governance requirements",
    }
)


def _md_table(table: Table) -> list[str]:
    out = ["| " + " | ".join(esc(h) for h in table.header) + " |"]
    out.append("|" + "---|" * len(table.header))
    out += ["| " + " | ".join(esc(c) for c in row) + " |" for row in table.rows]
    return out


def _md_block(block: str | Statement | list[str] | Table) -> list[str]:
    if isinstance(block, Table):
        return _md_table(block)
    if isinstance(block, Statement):
        return [
            ("  " * depth) + ("- " if depth else "") + esc(text) for depth, text in flatten(block)
        ]
    if isinstance(block, list):
        return [f"- {esc(item)}" for item in block]
    if block in SUBHEADINGS:
        return [f"**{esc(block)}**"]
    return [esc(block)]


def render_guideline_markdown(catalog: Catalog) -> str:
    """The guideline as Markdown (``failmodes guideline -f md``)."""
    out = [f"# {esc(title_of(catalog))}", ""]
    for section in guideline_sections(catalog):
        out += [f"{'#' * section.level} {esc(section.title)}", ""]
        for block in section.blocks:
            out += [*_md_block(block), ""]
    return "\n".join(out).rstrip("\n") + "\n"


def render_guideline_diff(changes: list[GuidelineChange], old: str, new: str) -> str:
    """What a change to the guideline changes, for a pull-request review (Markdown)."""
    counts = {e: sum(1 for c in changes if c.effect == e) for e in Effect}
    out = [
        f"# Guideline changes: {esc(old)} → {esc(new)}",
        "",
        f"{len(changes)} change(s): {counts[Effect.TIGHTER]} tighter, "
        f"{counts[Effect.LOOSER]} looser, {counts[Effect.CHANGED]} changed.",
        "",
    ]
    if changes:
        out += ["| Subject | Change | Effect |", "|---|---|---|"]
        out += [f"| {esc(c.subject)} | {esc(c.what)} | {c.effect.value} |" for c in changes]
        out.append("")
    return "\n".join(out)
