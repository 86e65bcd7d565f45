"""Markdown for people: the ranked register, then one section per applicable failure mode.

Every string that came from a user (system name, owner, rationale) is escaped, so a profile
cannot inject HTML or break a table in a pull-request comment or wiki.
"""

from __future__ import annotations

import re

from failmodes.catalog.model import Catalog
from failmodes.catalog.schema import FailureMode
from failmodes.catalog.xref import reference_ids
from failmodes.report.text import (
    decision_label,
    factor_line,
    key_fact_line,
    potential_words,
    why,
)
from failmodes.threatmodel.model import ModeAssessment, ThreatModel

_SPECIAL = re.compile(r"([\\`*_\[\]|])")


def esc(text: object) -> str:
    """Escape HTML and Markdown metacharacters and flatten newlines (safe in table cells)."""
    flat = " ".join(str(text).split())
    flat = flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _SPECIAL.sub(r"\\\1", flat)


def _risk(mode: ModeAssessment) -> str:
    if mode.inherent is None:
        return "—"
    text = f"**{mode.inherent.risk.value}** ({mode.inherent.likelihood}×{mode.inherent.impact})"
    if mode.decision is not None and mode.residual is not None and mode.residual != mode.inherent:
        text += f" → {mode.residual.risk.value} ({mode.residual.likelihood}×{mode.residual.impact})"
    could = potential_words(mode)
    if could and mode.potential is not None:
        text += f"; {could} ({mode.potential.likelihood}×{mode.potential.impact})"
    return text


def _xrefs(mode: FailureMode) -> str:
    ids = reference_ids()
    parts = [f"{t} {ids.atlas_techniques[t]}" for t in mode.xrefs.atlas]
    parts += [f"OWASP {o} {ids.owasp_ml[o]}" for o in mode.xrefs.owasp_ml]
    parts += [f"NIST {n} {ids.nist_ai_100_2[n]}" for n in mode.xrefs.nist_ai_100_2]
    return "; ".join(parts) if parts else "none (outside the adversarial taxonomies)"


def render_markdown(model: ThreatModel, top: int | None = None) -> str:
    """The threat model for people; with ``top``, the register and sections of that many."""
    p = model.profile
    out = [f"# Threat model: {esc(p.name)}", ""]
    if p.description:
        out += [esc(p.description), ""]
    out += [
        f"- Owner: {esc(p.owner or 'not stated')}",
        f"- Catalog: failmodes {esc(model.catalog_version)}"
        + (f" with overlays {esc(', '.join(model.overlays))}" if model.overlays else ""),
        f"- Risk tolerance: {model.risk_policy.tolerance.value} "
        "(higher risks need an owner's decision)",
        f"- Applicable failure modes: {len(model.applicable)} of {len(model.modes)}",
        "",
    ]
    if model.assumed_facts:
        out += [
            "## Facts assumed, not stated",
            "",
            "These facts were missing from the profile and took conservative defaults. State "
            "them to sharpen the threat model.",
            "",
            "| Fact | Assumed value |",
            "|---|---|",
        ]
        out += [f"| `{k}` | {esc(_value(v))} |" for k, v in model.assumed_facts.items()]
        out.append("")
    if model.key_facts:
        out += [
            "## Facts to state first",
            "",
            "Risks are ranked on the stated facts. Stating these would change the ranking most:",
            "",
        ]
        out += [f"{i}. {esc(key_fact_line(k))}" for i, k in enumerate(model.key_facts, 1)]
        out.append("")
    shown = model.applicable if top is None else model.top(top)
    out += [
        "## Ranked register" + (f" (top {top})" if top is not None else ""),
        "",
        "| # | Failure mode | Risk (L×I) | Decision | Why it applies |",
        "|---|---|---|---|---|",
    ]
    for rank, mode in enumerate(shown, 1):
        out.append(
            f"| {rank} | {esc(mode.name)} | {_risk(mode)} | {esc(decision_label(mode))} "
            f"| {esc(why(mode))} |"
        )
    out.append("")
    for rank, mode in enumerate(shown, 1):
        out += _section(rank, mode)
    rest = [m for m in model.modes if not m.applicable] if top is None else []
    if rest:
        out += ["## Not applicable", "", "| Failure mode | Why not |", "|---|---|"]
        out += [f"| {esc(m.name)} | {esc(why(m))} |" for m in rest]
        out.append("")
    return "\n".join(out)


def _value(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(map(str, value))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _section(rank: int, mode: ModeAssessment) -> list[str]:
    fm = mode.mode
    out = [f"## {rank}. {esc(fm.name)} — {_risk(mode)}", "", esc(fm.summary), ""]
    out += ["**Why it applies**", ""] + [
        f"- {esc(r.text)}" + (" *(assumed)*" if r.assumed else "") for r in mode.reasons
    ]
    if mode.could_be:
        out += ["", f"*{esc(mode.could_be)}*"]
    if mode.path:
        out += [
            "",
            "**Attack path** (each step at its easiest open route; the hardest sets likelihood)",
            "",
            "| Step | Needs | Ease | Route | Source |",
            "|---|---|---|---|---|",
        ]
        out += [
            f"| {esc(st.summary)} | {st.need.value} | {st.ease} | {esc(st.route)} "
            f"| {esc(st.source or '—')} |"
            for st in mode.path
        ]
    out += ["", "**Likelihood**", ""] + [
        f"- {esc(factor_line(f))}" for f in mode.likelihood_factors
    ]
    out += ["", "**Impact**", ""] + [f"- {esc(factor_line(f))}" for f in mode.impact_factors]
    if mode.decision is not None:
        d = mode.decision
        out += [
            "",
            f"**Decision: {d.decision.value.replace('_', ' ')}** by {esc(d.owner)}: "
            f"{esc(d.rationale)}",
        ]
        if d.mitigations_in_place:
            out.append(f"Mitigations in place: {esc(', '.join(d.mitigations_in_place))}.")
    elif mode.needs_decision:
        out += [
            "",
            "**Decision needed:** this risk is above the tolerance and no owner has decided on it.",
        ]
    if mode.findings:
        out += ["", "**Findings**", "", "| Probe | Metric | Value | Status |", "|---|---|---|---|"]
        out += [
            f"| {esc(f.probe)} | {esc(f.measured)} | "
            f"{'—' if f.value is None else f'{f.value:.4g}'} | {f.status.value} |"
            for f in mode.findings
        ]
    out += ["", "**Indicators to watch**", ""] + [
        f"- {esc(i.name)}: {esc(i.description)}" for i in fm.indicators
    ]
    if fm.probes:
        out += ["", "**Tests to run**", ""] + [
            f"- `{p.id}` ({p.status.value}): {esc(p.summary)}" for p in fm.probes
        ]
    out += ["", "**Mitigations**", ""] + [f"- {esc(m.summary)}" for m in fm.mitigations]
    out += ["", f"**References:** {esc(_xrefs(fm))}", ""]
    return out


def render_catalog_markdown(catalog: Catalog) -> str:
    """The whole catalog as a Markdown document (``failmodes catalog export --format md``)."""
    out = [f"# Failure-mode catalog {esc(catalog.version)}", "", esc(catalog.taxonomy), ""]
    for fm in catalog.modes:
        number = f"{fm.number}. " if fm.number else ""
        out += [f"## {number}{esc(fm.name)} (`{fm.id}`)", ""]
        if fm.retired is not None:
            out += [f"*Retired by {esc(fm.retired.by)}: {esc(fm.retired.reason)}*", ""]
        out += [
            f"- Kind: {fm.kind.value}; violates {', '.join(v.value for v in fm.violates)}",
            f"- Aliases: {esc(', '.join(fm.aliases)) or '—'}",
            f"- Attacker: {', '.join(a.value for a in fm.attacker.access)}: "
            f"{esc(fm.attacker.summary)}",
            f"- Lifecycle: {', '.join(s.value for s in fm.lifecycle)}",
            f"- Severity: {fm.severity.default.value}"
            + (f" (bug bar: {esc(fm.severity.bug_bar)})" if fm.severity.bug_bar else ""),
            f"- Cross-references: {esc(_xrefs(fm))}",
            "",
            esc(fm.summary),
            "",
            f"*Example.* {esc(fm.example)}",
            "",
            "**Indicators:** " + "; ".join(esc(i.name) for i in fm.indicators),
            "",
            "**Mitigations:** " + "; ".join(esc(m.summary) for m in fm.mitigations),
            "",
            "**References:** "
            + "; ".join(esc(f"{r.authors}, {r.title}, {r.venue} {r.year}") for r in fm.references),
            "",
        ]
    return "\n".join(out)
