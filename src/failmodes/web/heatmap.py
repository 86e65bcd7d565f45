"""Risk heat maps as inline SVG: where a system's failure modes sit on the risk matrix, and how
much risk each system in the register carries.

A risk heat map (ISO 31010's consequence/likelihood matrix) shows at a glance what a table
hides: how many modes sit in the matrix's red corner. Cells are coloured by the risk matrix's
level, as in the HTML report, and hold the number of failure modes whose risk in force falls
there. Matplotlib draws text as glyph outlines, so no string from the register becomes markup;
the accessible name is escaped.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from html import escape

from markupsafe import Markup

from failmodes.catalog.schema import RISK_ORDER
from failmodes.report.html import IMPACT_WORDS, LIKELIHOOD_WORDS
from failmodes.report.plots import text
from failmodes.threatmodel.model import ThreatModel
from failmodes.threatmodel.outcome import in_force

#: The report's palette (report/templates/style.css.j2), so the app and the report agree.
FILL = {"low": "#dff3e4", "medium": "#fff1c2", "high": "#ffd8c2", "critical": "#b3261e"}
INK = {"low": "#115a2a", "medium": "#6b4c00", "high": "#8a2c00", "critical": "#ffffff"}


def matrix_counts(model: ThreatModel) -> list[list[int]]:
    """Applicable modes per (likelihood, impact) cell of their risk in force; row 0 is
    likelihood 5, column 0 impact 1."""
    counts = [[0] * 5 for _ in range(5)]
    for mode in model.applicable:
        score = in_force(mode)
        if score is not None:
            counts[5 - score.likelihood][score.impact - 1] += 1
    return counts


def level_counts(model: ThreatModel) -> list[int]:
    """Applicable modes at each risk level in force, low to critical."""
    levels = [s.risk for m in model.applicable if (s := in_force(m)) is not None]
    return [levels.count(level) for level in RISK_ORDER]


def matrix_svg(model: ThreatModel, figure_id: str) -> Markup:
    """The likelihood × impact matrix of one system."""
    levels = [
        [model.risk_policy.level(likelihood, impact).value for impact in range(1, 6)]
        for likelihood in range(5, 0, -1)
    ]
    counts = matrix_counts(model)
    total = sum(map(sum, counts))
    return _grid_svg(
        figure_id,
        title=f"Risk in force of {total} applicable failure modes",
        rows=[f"{n} {w}" for n, w in zip(range(5, 0, -1), LIKELIHOOD_WORDS[::-1], strict=True)],
        columns=[f"{n}\n{w}" for n, w in enumerate(IMPACT_WORDS, 1)],
        counts=counts,
        levels=levels,
        xlabel="impact",
        ylabel="likelihood",
    )


def systems_svg(names: Sequence[str], models: Sequence[ThreatModel], figure_id: str) -> Markup:
    """Systems × risk level: how many applicable modes of each system sit at each level."""
    counts = [level_counts(model) for model in models]
    levels = [[level.value for level in RISK_ORDER] for _ in models]
    return _grid_svg(
        figure_id,
        title="Failure modes per system and risk level in force",
        rows=list(names),
        columns=[level.value for level in RISK_ORDER],
        counts=counts,
        levels=levels,
        xlabel="risk in force",
        ylabel="",
    )


def _grid_svg(
    figure_id: str,
    *,
    title: str,
    rows: list[str],
    columns: list[str],
    counts: list[list[int]],
    levels: list[list[str]],
    xlabel: str,
    ylabel: str,
) -> Markup:
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    height = 1.2 + 0.45 * max(len(rows), 1)
    fig = Figure(figsize=(6.4, height), layout="constrained")
    ax = fig.add_subplot()
    for r, row in enumerate(counts):
        for c, count in enumerate(row):
            level = levels[r][c]
            shade = FILL[level] if count or len(rows) == 5 else "#f6f8fa"
            ax.add_patch(Rectangle((c, r), 1, 1, facecolor=shade, edgecolor="#ffffff", lw=2))
            if count:
                ax.text(
                    c + 0.5,
                    r + 0.5,
                    str(count),
                    ha="center",
                    va="center",
                    color=INK[level],
                    fontsize=11,
                    fontweight="bold",
                )
    ax.set_xlim(0, len(columns))
    ax.set_ylim(len(rows), 0)
    ax.set_xticks([c + 0.5 for c in range(len(columns))], columns, fontsize=8)
    ax.set_yticks([r + 0.5 for r in range(len(rows))], [text(r) for r in rows], fontsize=8)
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    alt = f"{title}: " + "; ".join(
        f"{row}: "
        + ", ".join(
            f"{n} {col.replace(chr(10), ' ')}"
            for n, col in zip(counts[r], columns, strict=True)
            if n
        )
        or f"{row}: none"
        for r, row in enumerate(rows)
    )
    label = f'<svg role="img" aria-label="{escape(alt)}" id="{escape(figure_id)}" class="heat-svg"'
    # Markup is safe: Matplotlib drew every string as paths, and the label is escaped.
    return Markup(label + svg[len("<svg") :])  # noqa: S704
