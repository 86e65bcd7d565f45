"""Rich tables for a terminal: the ranked register and the catalog list."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from failmodes.catalog.model import Catalog
from failmodes.report.text import brief_why, decision_label, key_fact_line, potential_words
from failmodes.threatmodel.model import ModeAssessment, ThreatModel

RISK_STYLE = {
    "critical": "bold white on red",
    "high": "bold red",
    "medium": "yellow",
    "low": "green",
}


def _risk_cell(mode: ModeAssessment) -> Text:
    current = mode.current
    if current is None:
        return Text("excluded" if mode.decision else "—", style="dim")
    text = Text(current.risk.value, style=RISK_STYLE[current.risk.value])
    if mode.decision is not None and mode.inherent is not None and current != mode.inherent:
        text.append(f"\n(was {mode.inherent.risk.value})", style="dim")
    could = potential_words(mode)
    if could:
        text.append(f"\n{could}?", style="dim")
    return text


def register_table(model: ThreatModel, top: int | None = None) -> Table:
    """The ranked register; with ``top``, only that many applicable modes and no others."""
    table = Table(
        title=f"Threat model: {model.profile.name}" + (f" — top {top}" if top else ""),
        caption=f"catalog {model.catalog_version} · tolerance {model.risk_policy.tolerance.value}"
        + (f" · {len(model.assumed_facts)} facts assumed" if model.assumed_facts else ""),
        show_lines=False,
        expand=True,
    )
    table.add_column("#", justify="right", no_wrap=True, min_width=2)
    table.add_column("Failure mode", ratio=2, overflow="fold", min_width=14)
    table.add_column("Risk", no_wrap=True, min_width=8)
    table.add_column("L×I", justify="center", no_wrap=True, min_width=3)
    table.add_column("Decision", overflow="fold", min_width=8)
    table.add_column("Why", ratio=3, overflow="fold", min_width=16)
    shown = model.applicable if top is None else model.top(top)
    for rank, mode in enumerate(shown, 1):
        current = mode.current
        li = f"{current.likelihood}×{current.impact}" if current else "—"
        table.add_row(
            str(rank),
            mode.name,
            _risk_cell(mode),
            li,
            decision_label(mode),
            Text(brief_why(mode), overflow="fold"),
        )
    for mode in model.modes if top is None else []:
        if not mode.applicable:
            table.add_row(
                "",
                Text(mode.name, style="dim"),
                Text("n/a", style="dim"),
                "",
                "",
                Text(brief_why(mode), style="dim", overflow="fold"),
            )
    return table


def key_facts_table(model: ThreatModel) -> Table:
    """The assumed facts whose answers would move the ranking most."""
    table = Table(
        title="Facts to state first",
        caption="Assumed, not stated: each line says what the assumed value would do.",
        expand=True,
    )
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("Fact and what it would change", overflow="fold")
    for i, key in enumerate(model.key_facts, 1):
        table.add_row(str(i), Text(key_fact_line(key)))
    return table


def actions_table(model: ThreatModel, top: int | None = None) -> Table:
    """Per applicable mode: what to watch, which probes test it, and the first mitigation."""
    table = Table(title="What to watch, test and do", expand=True)
    table.add_column("Failure mode", ratio=2, overflow="fold", min_width=14)
    table.add_column("Indicators to watch", ratio=3, overflow="fold")
    table.add_column("Tests", ratio=2, overflow="fold")
    table.add_column("Mitigations", ratio=3, overflow="fold")
    for mode in model.applicable if top is None else model.top(top):
        fm = mode.mode
        probes = [p.id + ("" if p.status.value == "available" else " (planned)") for p in fm.probes]
        table.add_row(
            fm.name,
            "\n".join(i.name for i in fm.indicators[:2]),
            "\n".join(probes) or Text("review", style="dim"),
            fm.mitigations[0].summary,
        )
    return table


def catalog_table(catalog: Catalog) -> Table:
    table = Table(title=f"failmodes catalog {catalog.version}", expand=True)
    table.add_column("#", justify="right")
    table.add_column("id", no_wrap=True)
    table.add_column("Name")
    table.add_column("Kind")
    table.add_column("Severity")
    table.add_column("ATLAS / OWASP", ratio=1)
    for mode in catalog.modes:
        style = "dim" if mode.retired else ""
        refs = ", ".join([*mode.xrefs.atlas[:2], *mode.xrefs.owasp_ml])
        table.add_row(
            str(mode.number or ""),
            mode.id,
            mode.name + (" (retired)" if mode.retired else ""),
            mode.kind.value,
            mode.severity.default.value,
            refs,
            style=style,
        )
    return table
