"""The monitor's history as Markdown and as one self-contained HTML page.

Both read a :class:`~failmodes.monitor.run.MonitorResult` — the state's windows and which of
them this run measured — and compute nothing new: the alerts are the result's flagged
findings, the figures the timelines :func:`failmodes.monitor.run.timelines` described, drawn
by :mod:`failmodes.report.plots` like every other plot.
"""

from __future__ import annotations

from failmodes import __version__
from failmodes.findings import Plot, number, threshold_text
from failmodes.monitor.run import MonitorResult, timelines
from failmodes.report import plots
from failmodes.report.html import FigureView, environment


def render_monitor_markdown(result: MonitorResult) -> str:
    """Windows measured, and every alert of this run's windows."""
    windows = result.state.windows
    lines = [
        "# Monitoring",
        "",
        f"{len(windows)} windows in the state"
        + (f", {windows[0].key} to {windows[-1].key}" if windows else "")
        + f"; this run measured {len(result.measured)}.",
        "",
        "| window | rows | findings | warn | fail |",
        "|---|---:|---:|---:|---:|",
    ]
    new = set(result.measured)
    for w in windows:
        if w.key in new:
            statuses = [f.status.value for f in w.findings]
            lines.append(
                f"| {w.key} | {w.rows:,} | {len(w.findings)} | {statuses.count('warn')} "
                f"| {statuses.count('fail')} |"
            )
    lines += ["", "## Alerts", ""]
    if not result.flagged:
        lines.append("No indicator warns or fails in the windows this run measured.")
    else:
        lines += [
            "| where | failure mode | indicator | value | threshold | verdict |",
            "|---|---|---|---:|---|---|",
        ]
        lines += [
            f"| {f.dataset} | {f.failure_mode} | {f.metric} | {number(f.value)} "
            f"| {threshold_text(f.threshold)} | {f.status.value} |"
            for f in result.flagged
        ]
    return "\n".join(lines) + "\n"


def render_monitor_html(result: MonitorResult) -> str:
    """Alerts, then one plot per indicator over every window in the state."""
    figures = []
    for number_, raw in enumerate(timelines(result.state), 1):
        plot = Plot.model_validate(raw)
        figures.append(FigureView(number_, plot.title, svg=plots.svg_markup(plot, f"fig{number_}")))
    windows = result.state.windows
    return (
        environment()
        .get_template("monitor.html.j2")
        .render(
            windows=windows,
            first=windows[0].key if windows else "no windows",
            last=windows[-1].key if windows else "",
            rows=sum(w.rows for w in windows),
            measured=result.measured,
            alerts=result.flagged,
            figures=figures,
            version=__version__,
        )
    )
