"""``failmodes monitor run|report``: watch production data and query logs window by window.

``run`` reads the reference and the production files, measures every window they hold
(in-process, or on a Dask cluster with ``--engine dask``), adds the windows to ``--state``,
writes the result (Markdown or JSON; ``--html`` for the page with the timelines) and applies
the release gate's finding rule (``--fail-on-findings``, or the policy of the catalog and its
overlays) to this run's windows: exit 1 on an alert. ``report`` renders a state file again
without reading any data.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from failmodes.cli.common import (
    OutputOption,
    OverlayOption,
    QuietOption,
    TextFormat,
    err_console,
    overlays,
    progress_bar,
    write_result,
)
from failmodes.cli.gate import FailOnFindingsOption, gate_policy
from failmodes.errors import EXIT_POLICY_FAILED, InputError

monitor_app = typer.Typer(
    help="Watch production data and query logs for the failure modes' indicators.",
    no_args_is_help=True,
)

Column = Annotated[str | None, typer.Option(metavar="NAME", show_default=False)]


def _names(text: str | None) -> tuple[str, ...]:
    return tuple(n.strip() for n in (text or "").split(",") if n.strip())


def _write(
    result: Any, fmt: TextFormat | None, output: Path | None, html: Path | None, quiet: bool
) -> None:
    from failmodes.report.monitor import render_monitor_html, render_monitor_markdown

    if fmt is None:
        json_out = output is not None and output.suffix.lower() == ".json"
        fmt = TextFormat.JSON if json_out else TextFormat.MD
    text = (
        result.model_dump_json(indent=2) + "\n"
        if fmt == TextFormat.JSON
        else render_monitor_markdown(result)
    )
    write_result(text, output, quiet=quiet)
    if html is not None:
        write_result(render_monitor_html(result), html, quiet=quiet)


@monitor_app.command("run")
def run(
    reference: Annotated[Path, typer.Argument(help="Reference data: Parquet or CSV.")],
    production: Annotated[
        list[Path], typer.Argument(help="Production data / query log files, in time order.")
    ],
    *,
    window: Annotated[
        str,
        typer.Option(
            "--window", "-w", help="A time offset (1D, 6h, 1W; needs --time-column) or a row count."
        ),
    ] = "1D",
    time_column: Column = None,
    features: Annotated[
        str | None, typer.Option(metavar="A,B,…", help="Input columns; default: the reference's.")
    ] = None,
    categorical: Annotated[
        str | None, typer.Option(metavar="A,B,…", help="Input columns to treat as categories.")
    ] = None,
    prediction_column: Column = None,
    confidence_column: Column = None,
    label_column: Column = None,
    feedback_column: Column = None,
    client_column: Column = None,
    full_scores_column: Column = None,
    state: Annotated[
        Path | None,
        typer.Option(help="State file kept between runs; a daily job adds one window to it."),
    ] = None,
    engine: Annotated[str, typer.Option(help="local (in-process) or dask.")] = "local",
    scheduler: Annotated[
        str | None, typer.Option(metavar="ADDRESS", help="Dask scheduler; default: a LocalCluster.")
    ] = None,
    workers: Annotated[int, typer.Option(min=1, help="LocalCluster workers (--engine dask).")] = 2,
    domain_rows: Annotated[
        int,
        typer.Option(min=0, help="Rows a side for the classifier two-sample test; 0 turns it off."),
    ] = 1000,
    numeric_test: Annotated[
        str,
        typer.Option(
            help="Drift test of numeric inputs: chi2 on all of a window's rows binned on the "
            "reference's edges, or ks on a sample of each window."
        ),
    ] = "chi2",
    seed: Annotated[int, typer.Option(min=0, help="Seed of the samples' hash.")] = 0,
    fmt: Annotated[
        TextFormat | None,
        typer.Option("--format", "-f", help="md or json; default: the --output suffix, or md."),
    ] = None,
    output: OutputOption = None,
    html: Annotated[
        Path | None, typer.Option(help="Also write the HTML page with each indicator over time.")
    ] = None,
    overlay: OverlayOption = None,
    fail_on_findings: FailOnFindingsOption = None,
    quiet: QuietOption = False,
) -> None:
    """Measure each window of the production files against the reference.

    Exit codes: 0 written and no alert failed the gate; 1 an alert did; 2 bad input.
    """
    overlay_paths = overlays(overlay)
    policy = gate_policy(overlay_paths, fail_on_findings=fail_on_findings)
    if engine not in ("local", "dask"):
        raise InputError(f"--engine must be local or dask, got {engine!r}")
    if numeric_test not in ("ks", "chi2"):
        raise InputError(f"--numeric-test must be ks or chi2, got {numeric_test!r}")
    from failmodes.assessment.gate import evaluate_findings
    from failmodes.catalog import load_catalog
    from failmodes.monitor.engine import MonitorConfig
    from failmodes.monitor.run import monitor_run
    from failmodes.monitor.windows import parse_window

    config = MonitorConfig(
        window=parse_window(window, time_column),
        features=_names(features),
        categorical=_names(categorical),
        prediction_column=prediction_column,
        confidence_column=confidence_column,
        label_column=label_column,
        feedback_column=feedback_column,
        client_column=client_column,
        full_scores_column=full_scores_column,
        domain_rows=domain_rows,
        numeric_test=numeric_test,
        seed=seed,
    )
    progress = progress_bar(quiet=quiet)

    def track(items: Iterable[Any], total: int | None, label: str) -> Iterator[Any]:
        task = progress.add_task(label, total=total)
        for item in items:
            yield item
            progress.advance(task)

    with progress:
        result = monitor_run(
            reference,
            production,
            config,
            state_path=state,
            engine="dask" if engine == "dask" else "local",
            scheduler=scheduler,
            workers=workers,
            catalog=load_catalog(overlay_paths),
            progress=track,
        )
    _write(result, fmt, output, html, quiet)
    gate = evaluate_findings(result.alerts, policy)
    if not quiet:
        err_console.print(
            f"{len(result.measured)} window(s) measured, {len(result.flagged)} alert(s).",
            highlight=False,
        )
    if not gate.passed:
        err_console.print(
            f"Policy gate failed ({len(gate.reasons)} reason(s)):",
            style="bold red",
            highlight=False,
        )
        for reason in gate.reasons:
            err_console.print(f"  - {reason}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_POLICY_FAILED)


@monitor_app.command("report")
def report(
    state: Annotated[Path, typer.Argument(help="A state file written by `monitor run`.")],
    fmt: Annotated[
        TextFormat | None,
        typer.Option("--format", "-f", help="md or json; default: the --output suffix, or md."),
    ] = None,
    output: OutputOption = None,
    html: Annotated[
        Path | None, typer.Option(help="Also write the HTML page with each indicator over time.")
    ] = None,
    quiet: QuietOption = False,
) -> None:
    """Render a state file again, without reading any data; its last window counts as new."""
    from failmodes.monitor.run import MonitorResult
    from failmodes.monitor.state import read_state

    kept = read_state(state)
    measured = [kept.windows[-1].key] if kept.windows else []
    _write(MonitorResult(state=kept, measured=measured), fmt, output, html, quiet)


def register(app: typer.Typer) -> None:
    app.add_typer(monitor_app, name="monitor")
