"""The per-framework report (``failmodes report A.json --by FRAMEWORK``), and the framework
reference pages of the manual, both read from the shipped mapping data."""

from __future__ import annotations

import json

from failmodes.assessment.frameworks import FrameworkView, Standing
from failmodes.catalog.frameworks import Framework
from failmodes.catalog.model import Catalog
from failmodes.findings import Finding, number
from failmodes.report.markdown import esc
from failmodes.threatmodel.outcome import Outcome

_STANDING = {
    Standing.EVIDENCE: "evidence measured",
    Standing.PARTIAL: "partly measured",
    Standing.UNTESTED: "untested",
    Standing.NOT_APPLICABLE: "not applicable",
}


def _finding(f: Finding) -> str:
    return f"{esc(f.probe)}: {esc(f.measured)} = {number(f.value)} ({f.status.value})"


def render_framework_markdown(view: FrameworkView) -> str:
    """Requirement by requirement: the modes behind it, their evidence, what is untested."""
    counts = {s: sum(1 for r in view.requirements if r.standing == s) for s in Standing}
    out = [
        f"# {esc(view.name)}: {esc(view.system)}",
        "",
        f"- Requirements from: {esc(view.source)}, {esc(view.version)}",
        f"- Catalog: failmodes {esc(view.catalog_version)}",
        "- Requirements cited: " + ", ".join(f"{counts[s]} {_STANDING[s]}" for s in Standing),
        "",
        "| Requirement | Standing | Failure modes (outcome) |",
        "|---|---|---|",
    ]
    for row in view.requirements:
        modes = ", ".join(f"{esc(m.name)} ({m.outcome.value})" for m in row.modes) or "—"
        out.append(f"| {esc(row.id)} {esc(row.title)} | {_STANDING[row.standing]} | {modes} |")
    out.append("")
    for row in view.requirements:
        out += [f"## {esc(row.id)} — {esc(row.title)}", "", f"*{_STANDING[row.standing]}*", ""]
        for mode in row.modes:
            if mode.outcome == Outcome.NOT_APPLICABLE:
                continue
            risk = f", risk {mode.risk}" if mode.risk else ""
            out.append(f"- **{esc(mode.name)}** (`{mode.id}`): {mode.outcome.value}{risk}")
            out += [f"  - {_finding(f)}" for f in mode.findings]
            if mode.untested_reason:
                out.append(f"  - untested: {esc(mode.untested_reason)}")
            if mode.decision is not None:
                d = mode.decision
                out.append(
                    f"  - decision: {d.decision.value.replace('_', ' ')} by {esc(d.owner)}: "
                    f"{esc(d.rationale)}"
                )
        idle = [esc(m.name) for m in row.modes if m.outcome == Outcome.NOT_APPLICABLE]
        if idle:
            out.append(f"- Not applicable to this system: {', '.join(idle)}")
        if row.not_assessed:
            out.append(
                f"- Not in this assessment: {esc(', '.join(row.not_assessed))} (assess with the "
                "overlay that defines them)"
            )
        if row.mapped_metrics:
            out += ["", "Metrics mapped to it directly: " + esc(", ".join(row.mapped_metrics)), ""]
            out += [f"- {_finding(f)} — {esc(f.failure_mode)}" for f in row.metrics]
            if not row.metrics:
                out.append("- none measured in this assessment")
        out.append("")
    return "\n".join(out)


def render_framework_json(view: FrameworkView) -> str:
    return json.dumps(view.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"


def render_framework_page(framework: Framework, catalog: Catalog) -> str:
    """A manual page for one framework mapping: each cited requirement, and the failure modes
    and metrics mapped to it (``docs/frameworks/ID.md`` is generated from this)."""
    names = {m.id: m.name for m in catalog.modes}
    out = [
        f"# {esc(framework.name)}",
        "",
        "<!-- Generated from the catalog's framework data by "
        "`python -m failmodes.report.frameworks docs/frameworks`; do not edit. -->",
        "",
        f"Requirement ids from {esc(framework.source)}, {esc(framework.version)}"
        + (f" ({framework.url})." if framework.url else "."),
        f"The list ships with failmodes ({len(framework.requirements)} ids); the mapping cites "
        f"{len(framework.cited())} of them."
        + (f" Titles: {esc(framework.titles)}" if framework.titles else ""),
        "",
        *([esc(framework.notes), ""] if framework.notes else []),
        "| Requirement | Failure modes | Metrics |",
        "|---|---|---|",
    ]
    for ref in framework.cited():
        modes = [f"{esc(names.get(m, m))}" for m, refs in framework.modes.items() if ref in refs]
        metrics = [f"`{m}`" for m, refs in framework.metrics.items() if ref in refs]
        out.append(
            f"| **{esc(ref)}** {esc(framework.requirements[ref])} | {', '.join(modes) or '—'} "
            f"| {', '.join(metrics) or '—'} |"
        )
    out += [
        "",
        f"See the assessment this way with `failmodes report ASSESSMENT.json --by {framework.id}`; "
        "extend the mapping from an overlay ([overlays](../overlays.md#governance-frameworks)).",
        "",
    ]
    return "\n".join(out)


def write_framework_pages(folder: str) -> list[str]:
    """Write one page per shipped framework into ``folder``; the paths written."""
    from pathlib import Path

    from failmodes.catalog.loader import builtin_catalog

    catalog = builtin_catalog()
    written = []
    for framework in catalog.frameworks:
        path = Path(folder) / f"{framework.id}.md"
        path.write_text(render_framework_page(framework, catalog), encoding="utf-8")
        written.append(str(path))
    return written


if __name__ == "__main__":  # pragma: no cover - the regeneration entry point
    import sys

    for written_path in write_framework_pages(sys.argv[1] if len(sys.argv) > 1 else "."):
        print(written_path)
