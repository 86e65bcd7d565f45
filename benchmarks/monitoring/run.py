"""Monitoring at scale: production Parquet files × 20 columns against a reference, with
failmodes' engine in-process and on a 2-worker Dask LocalCluster, and per-column scipy tests.

Run from the repository root::

    .venv/bin/python benchmarks/monitoring/run.py --rows 10000000
    .venv/bin/python benchmarks/monitoring/run.py --rows 1000000 --files 4   # a quicker look

Evidently runs too when its environment is there (it is never a dependency of failmodes)::

    python3.11 -m venv .venv-bench-drift
    .venv-bench-drift/bin/pip install evidently 'pandas<3' pyarrow

The tables are those of the drift benchmark (``benchmarks/drift/data.py``: 16 numeric, 4
categorical columns; four shifted in production). Production is written once to ``--files``
Parquet files under ``--folder`` (250,000-row row groups); every method then reads those
files, so reading is part of each time. Each method runs in a fresh process. Time: wall
clock, one run. Memory: for failmodes in-process and scipy, tracemalloc's peak of Python and
NumPy allocations (``benchmarks/drift/memory.py``); on Dask, the highest peak resident set of
a worker process (``ru_maxrss``) and the client's tracemalloc peak.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
EVIDENTLY_PYTHON = HERE.parent.parent / ".venv-bench-drift" / "bin" / "python"
sys.path.insert(0, str(HERE.parent / "drift"))

import data  # noqa: E402
from memory import measure  # noqa: E402

ALPHA = 0.05
REFERENCE_ROWS = 1_000_000
ROWS_PER_FILE_SEED = 1000


def production_files(folder: Path, rows: int, files: int) -> list[Path]:
    """Write the shifted production table in ``files`` parts (each its own seed); reuse
    files already written for the same size."""
    folder.mkdir(parents=True, exist_ok=True)
    per_file = rows // files
    paths = [folder / f"production-{rows}-{i:02d}.parquet" for i in range(files)]
    for i, path in enumerate(paths):
        if not path.exists():
            part = data.table(per_file, ROWS_PER_FILE_SEED + i, shifted=True)
            part.to_parquet(path, index=False, row_group_size=250_000)
    return paths


def _config() -> Any:
    from failmodes.monitor.engine import MonitorConfig
    from failmodes.monitor.windows import WindowRule

    # One window over everything: the comparison the scipy baseline makes.
    return MonitorConfig(
        window=WindowRule(rows=10**12),
        categorical=tuple(data.CATEGORIES),
        domain_rows=0,
        sample_size=5000,
    )


def _verdicts(baseline: Any, windows: dict[str, Any]) -> dict[str, list[str]]:
    from failmodes.monitor.drift import compare

    (window,) = windows.values()
    return {
        test: [
            d.feature
            for d in compare(baseline.inputs, window.inputs, alpha=ALPHA, numeric_test=test)
            if d.drifted
        ]
        for test in ("ks", "chi2")
    }


def _max_rss() -> float:
    """This process's peak resident set (MiB): everything, pyarrow's buffers and the
    reference table included, which tracemalloc does not see."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_local(paths: list[Path]) -> dict[str, Any]:
    from failmodes.monitor.engine import reference_for, summarize_files

    config = _config()
    reference, baseline = reference_for(data.table(REFERENCE_ROWS, 0, shifted=False), config)
    windows, seconds, peak = measure(lambda: summarize_files(paths, config, reference))
    started = time.perf_counter()
    verdicts = _verdicts(baseline, windows)
    return {
        "time_s": seconds + time.perf_counter() - started,
        "peak_mib": peak,
        "rows": next(iter(windows.values())).inputs.count,
        "max_rss_mib": _max_rss(),
        **verdicts,
    }


def run_dask(paths: list[Path]) -> dict[str, Any]:
    import importlib
    import resource
    import tracemalloc

    from distributed import Client, LocalCluster

    from failmodes.monitor.distributed import summarize_on_dask
    from failmodes.monitor.engine import reference_for

    config = _config()
    reference, baseline = reference_for(data.table(REFERENCE_ROWS, 0, shifted=False), config)
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        # Workers up, with failmodes imported, before the clock starts.
        client.run(lambda: importlib.import_module("failmodes.monitor.engine") and None)
        tracemalloc.start()
        started = time.perf_counter()
        windows = summarize_on_dask(paths, config, reference, scheduler=cluster.scheduler_address)
        verdicts = _verdicts(baseline, windows)
        seconds = time.perf_counter() - started
        client_peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        rss = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    return {
        "time_s": seconds,
        "client_peak_mib": client_peak,
        "worker_peak_rss_mib": max(rss.values()) / 1024,
        **verdicts,
    }


def run_scipy(paths: list[Path]) -> dict[str, Any]:
    import numpy as np
    import pandas as pd
    from scipy.stats import chi2_contingency, false_discovery_control, ks_2samp

    reference = data.table(REFERENCE_ROWS, 0, shifted=False)

    def tests() -> dict[str, float]:
        production = pd.concat([pd.read_parquet(p) for p in paths], ignore_index=True)
        p_values = {}
        for name in reference.columns:
            if name in data.CATEGORIES:
                # Two samples, so a test of homogeneity: a goodness-of-fit test against the
                # reference's shares would take its sampling noise for the truth.
                before = reference[name].value_counts()
                after = production[name].value_counts().reindex(before.index, fill_value=0)
                table = np.vstack([before.to_numpy(), after.to_numpy()])
                p_values[name] = float(chi2_contingency(table, correction=False).pvalue)
            else:
                p_values[name] = float(ks_2samp(reference[name], production[name]).pvalue)
        return p_values

    p_values, seconds, peak = measure(tests)
    adjusted = false_discovery_control(np.array(list(p_values.values())), method="bh")
    flagged = [n for n, p in zip(p_values, adjusted, strict=True) if p < ALPHA]
    return {"time_s": seconds, "peak_mib": peak, "max_rss_mib": _max_rss(), "flagged": flagged}


METHODS = {"local": run_local, "dask": run_dask, "scipy": run_scipy}


def run_evidently(paths: list[Path]) -> dict[str, Any]:
    """Evidently's DataDriftPreset over the same files, in Evidently's own environment."""
    out = subprocess.run(
        [str(EVIDENTLY_PYTHON), str(HERE / "evidently_files.py"),
         "--reference-rows", str(REFERENCE_ROWS), *map(str, paths)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def score(flagged: list[str]) -> str:
    truth = set(data.SHIFTS)
    text = f"{len(truth & set(flagged))}/{len(truth)} found"
    missed = sorted(truth - set(flagged))
    false = sorted(set(flagged) - truth)
    text += f", missed {', '.join(missed)}" if missed else ""
    return text + (f", false alarms {', '.join(false)}" if false else "")


def table(rows: int, results: dict[str, dict[str, Any]]) -> str:
    local, dask, scipy = results["local"], results["dask"], results["scipy"]
    ev = results.get("evidently")
    same = all(local[t] == dask[t] for t in ("ks", "chi2"))
    return "\n".join(
        [
            f"{rows:,} production rows (Parquet) against {REFERENCE_ROWS:,} reference rows × 20 "
            "columns.",
            "",
            "| method | time (s) | peak memory (MiB) | columns flagged (BH, α = 0.05) |",
            "|---|---:|---:|---|",
            f"| failmodes in-process, KS on sample + chi² on categories | {local['time_s']:.1f} "
            f"| {local['peak_mib']:.0f} | {score(local['ks'])} |",
            f"| same summaries, chi² on binned full data | (same run) | | {score(local['chi2'])} |",
            f"| failmodes on a 2-worker Dask LocalCluster | {dask['time_s']:.1f} "
            f"| worker RSS {dask['worker_peak_rss_mib']:.0f}, client {dask['client_peak_mib']:.0f} "
            f"| {'identical verdicts' if same else 'DIFFERENT verdicts'} |",
            f"| scipy per column (ks_2samp + chi2_contingency, full data) | {scipy['time_s']:.1f} "
            f"| {scipy['peak_mib']:.0f} | {score(scipy['flagged'])} |",
            *(
                [
                    f"| Evidently {ev['version']} DataDriftPreset ({', '.join(ev['methods'])}) "
                    f"| {ev['time_s']:.1f} | RSS {ev['max_rss_mib']:.0f} | {score(ev['flagged'])} |"
                ]
                if ev
                else []
            ),
            "",
            f"scipy / failmodes in-process: {scipy['time_s'] / local['time_s']:.1f}×; "
            f"scipy / Dask: {scipy['time_s'] / dask['time_s']:.1f}×"
            + (f"; Evidently / in-process: {ev['time_s'] / local['time_s']:.1f}×." if ev else "."),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--folder", type=Path, default=Path("/tmp/failmodes-bench-monitoring"))
    parser.add_argument("--method", choices=sorted(METHODS))
    parser.add_argument("--only-evidently", action="store_true", help="run Evidently alone")
    parser.add_argument("--output", type=Path, help="also write the results as JSON here")
    args = parser.parse_args()
    paths = production_files(args.folder, args.rows, args.files)
    if args.method:
        print(json.dumps(METHODS[args.method](paths)))
        return
    if args.only_evidently:
        print(json.dumps(run_evidently(paths)))
        return
    results = {}
    for method in METHODS:
        out = subprocess.run(
            [sys.executable, __file__, "--method", method, "--rows", str(args.rows),
             "--files", str(args.files), "--folder", str(args.folder)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        results[method] = json.loads(out.stdout.strip().splitlines()[-1])
    if EVIDENTLY_PYTHON.exists():
        results["evidently"] = run_evidently(paths)
    print(table(args.rows, results))
    if args.output:
        args.output.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
