"""The risk register as people and programs read it: per system, per mode, and its history.

These views read what the register holds and what the engine computed; they add nothing.
The terminal tables escape every value from the register (names, owners, rationales are
typed by people), so text such as ``[bold]`` prints as typed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.markup import escape
from rich.table import Table
from rich.text import Text

from failmodes.report.markdown import esc
from failmodes.report.terminal import RISK_STYLE
from failmodes.store.records import HistoryEntry, RegisterDecision, SystemRecord
from failmodes.threatmodel.model import RiskScore, ThreatModel
from failmodes.threatmodel.outcome import in_force, is_open, outcome, overall_risk

_COLUMNS = ("#", "Failure mode", "Inherent", "In force", "Decision", "Owner", "Due", "Status")


def _score(score: RiskScore | None) -> str:
    return f"{score.risk.value} ({score.likelihood}×{score.impact})" if score else "—"


def register_rows(
    model: ThreatModel, decisions: Mapping[str, RegisterDecision]
) -> list[dict[str, Any]]:
    """One row per applicable mode, in risk order: what the register says about each."""
    rows = []
    for rank, mode in enumerate(model.applicable, 1):
        decided = decisions.get(mode.id)
        rows.append(
            {
                "rank": rank,
                "mode": mode.id,
                "name": mode.name,
                "inherent": mode.inherent.risk.value if mode.inherent else None,
                "in_force": (score.risk.value if (score := in_force(mode)) else None),
                "outcome": outcome(mode).value,
                "decision": decided.decision.value if decided else None,
                "owner": decided.owner if decided else None,
                "due": decided.due.isoformat() if decided and decided.due else None,
                "status": decided.status.value if decided else "open",
                "revision": decided.revision if decided else 0,
            }
        )
    return rows


def register_table(model: ThreatModel, decisions: Mapping[str, RegisterDecision]) -> Table:
    table = Table(title=f"Risk register: {escape(model.profile.name)}", expand=True)
    for column in _COLUMNS:
        table.add_column(
            column,
            overflow="fold",
            justify="right" if column == "#" else "left",
            ratio=3 if column == "Failure mode" else None,
            min_width=14 if column == "Failure mode" else None,
            no_wrap=column in ("#", "Due", "Status"),
        )
    for mode, row in zip(model.applicable, register_rows(model, decisions), strict=True):
        current = in_force(mode)
        table.add_row(
            str(row["rank"]),
            Text(mode.name),
            _score(mode.inherent),
            Text(_score(current), style=RISK_STYLE[current.risk.value] if current else "dim"),
            row["decision"] or Text("open", style="bold"),
            Text(row["owner"] or "—"),
            row["due"] or "—",
            row["status"],
        )
    return table


def systems_rows(
    systems: Sequence[SystemRecord], models: Mapping[str, ThreatModel]
) -> list[dict[str, Any]]:
    """One row per system: how much applies, how much is decided, the highest risk in force."""
    rows = []
    for system in systems:
        model = models[system.id]
        applicable = model.applicable
        worst = overall_risk(model)
        rows.append(
            {
                "id": system.id,
                "name": system.name,
                "profile_version": system.profile_version,
                "applicable": len(applicable),
                "decided": sum(1 for m in applicable if m.decision is not None),
                "open": sum(1 for m in applicable if is_open(m)),
                "highest_risk": worst.value if worst else None,
            }
        )
    return rows


def systems_table(rows: Sequence[Mapping[str, Any]], where: str) -> Table:
    table = Table(title=f"Systems in {escape(where)}", expand=True)
    for column in ("System", "Name", "Profile", "Applicable", "Decided", "Open", "Highest"):
        table.add_column(column, overflow="fold")
    for row in rows:
        highest = row["highest_risk"]
        table.add_row(
            Text(row["id"]),
            Text(row["name"]),
            f"v{row['profile_version']}",
            str(row["applicable"]),
            str(row["decided"]),
            str(row["open"]),
            Text(highest or "—", style=RISK_STYLE.get(highest or "", "dim")),
        )
    return table


def history_table(entries: Sequence[HistoryEntry], title: str) -> Table:
    table = Table(title=escape(title), expand=True)
    for column in ("When (UTC)", "Who", "What", "Mode", "Change"):
        table.add_column(column, overflow="fold")
    for entry in entries:
        table.add_row(
            entry.at[:19].replace("T", " "),
            Text(entry.actor),
            entry.action,
            Text(entry.mode_id or ""),
            Text(entry.summary),
        )
    return table


def register_markdown(model: ThreatModel, decisions: Mapping[str, RegisterDecision]) -> str:
    """The register as a Markdown table (``failmodes register show -f md``)."""
    out = [
        f"# Risk register: {esc(model.profile.name)}",
        "",
        "| " + " | ".join(_COLUMNS) + " |",
        "|" + "---|" * len(_COLUMNS),
    ]
    for mode, row in zip(model.applicable, register_rows(model, decisions), strict=True):
        cells = [
            str(row["rank"]),
            esc(mode.name),
            _score(mode.inherent),
            _score(in_force(mode)),
            row["decision"] or "**open**",
            esc(row["owner"] or "—"),
            row["due"] or "—",
            row["status"],
        ]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"
