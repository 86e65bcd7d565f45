"""``failmodes.monitor_run``: watch production data and a query log window by window.

One run reads the reference, summarizes the production files (in-process, or on Dask with
``engine="dask"``), measures every indicator of every window it saw against the reference
(:mod:`failmodes.monitor.indicators`), adds those windows to the state file, and returns the
whole history. The *alerts* are the findings of the windows this run measured; the caller
passes them to the same release-gate policy as a CI assessment
(:func:`failmodes.assessment.gate.evaluate_findings`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict

from failmodes.catalog import Catalog, load_catalog
from failmodes.errors import InputError
from failmodes.findings import Finding, Plot, Series, Status
from failmodes.monitor.engine import MonitorConfig, reference_for, summarize_files
from failmodes.monitor.indicators import window_findings
from failmodes.monitor.state import MonitorState, WindowResult, load_state, save_state

Engine = Literal["local", "dask"]
#: Wraps an iterable with a progress display: (items, total, label) → items.
Tracker = Callable[[Iterable[Any], int | None, str], Iterable[Any]]


class MonitorResult(BaseModel):
    """The history of every window, and which of them this run measured."""

    model_config = ConfigDict(frozen=True)

    state: MonitorState
    measured: list[str]

    @property
    def alerts(self) -> list[Finding]:
        """The findings of this run's windows, in window order."""
        new = set(self.measured)
        return [f for w in self.state.windows if w.key in new for f in w.findings]

    @property
    def flagged(self) -> list[Finding]:
        """This run's findings that warn or fail."""
        return [f for f in self.alerts if f.status in (Status.WARN, Status.FAIL)]


def monitor_run(
    reference: Path | pd.DataFrame,
    production: Sequence[Path],
    config: MonitorConfig,
    *,
    state_path: Path | None = None,
    engine: Engine = "local",
    scheduler: str | None = None,
    workers: int = 2,
    catalog: Catalog | None = None,
    progress: Tracker = lambda items, _total, _label: items,
) -> MonitorResult:
    """Measure the windows in ``production`` against ``reference``; keep them in the state.

    ``progress(items, total, label)`` wraps the chunks read and the windows measured, for a
    progress bar.
    """
    if not production:
        raise InputError("expected at least one production data file, got none")
    catalog = catalog or load_catalog()
    state = (
        load_state(state_path, config) if state_path is not None else MonitorState(config=config)
    )
    ref, baseline = reference_for(reference, config)
    if engine == "dask":
        from failmodes.monitor.distributed import summarize_on_dask

        windows = summarize_on_dask(production, config, ref, scheduler=scheduler, workers=workers)
    elif engine == "local":
        windows = summarize_files(
            production, config, ref, lambda chunks: progress(chunks, None, "reading chunks")
        )
    else:
        raise InputError(f"engine must be 'local' or 'dask', got {engine!r}")
    results = [
        WindowResult(
            key=key,
            rows=window.inputs.count,
            findings=window_findings(key, window, baseline, config, catalog),
        )
        for key, window in progress(windows.items(), len(windows), "measuring windows")
    ]
    state = state.with_windows(results)
    if state_path is not None:
        save_state(state, state_path)
    return MonitorResult(state=state, measured=[w.key for w in results])


def timelines(state: MonitorState) -> list[dict[str, Any]]:
    """One plot per indicator over the windows, its fail threshold drawn across.

    Per-client indicators plot the worst client of each window (the largest value, or the
    smallest where low is bad), so one line shows whether anyone crossed the line.
    """
    series: dict[tuple[str, str], dict[int, float]] = {}
    below: dict[tuple[str, str], bool] = {}
    limits: dict[tuple[str, str], float | None] = {}
    for index, window in enumerate(state.windows):
        for f in window.findings:
            if f.value is None:
                continue
            name = (f.failure_mode, f.metric)
            low = f.threshold is not None and f.threshold.direction.value == "below"
            below[name], limits[name] = low, f.threshold.fail if f.threshold else None
            points = series.setdefault(name, {})
            old = points.get(index)
            points[index] = f.value if old is None else (min if low else max)(old, f.value)
    keys = [w.key for w in state.windows]
    plots = []
    for (mode, metric), points in sorted(series.items()):
        worst = "lowest" if below[(mode, metric)] else "highest"
        per_client = any(
            f.evidence.get("client")
            for w in state.windows
            for f in w.findings
            if f.metric == metric
        )
        plots.append(
            Plot(
                kind="line",
                title=f"{metric} ({mode})" + (f", {worst} client" if per_client else ""),
                xlabel="window (" + f"{keys[0]} … {keys[-1]}" + ")",
                ylabel=metric,
                series=[
                    Series(
                        label=metric,
                        x=[float(i) for i in sorted(points)],
                        y=[points[i] for i in sorted(points)],
                    )
                ],
                reference_line=limits[(mode, metric)],
                alt=f"{metric} in each of {len(points)} windows from {keys[0]} to {keys[-1]}.",
            ).model_dump()
        )
    return plots
