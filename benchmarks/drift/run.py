"""Drift on 1,000,000 rows × 20 columns: failmodes' mergeable summaries against per-column
scipy tests on the full data and, when it is installed, Evidently's DataDriftPreset.

Run from the repository root::

    .venv/bin/python benchmarks/drift/run.py                 # every method, 1,000,000 rows
    .venv/bin/python benchmarks/drift/run.py --rows 100000   # a quicker look

Evidently runs only if its own environment exists (it is never a dependency of failmodes)::

    python3.11 -m venv .venv-bench-drift && .venv-bench-drift/bin/pip install evidently

Each method runs in a fresh process on the same generated tables (``data.py``, same seed);
time and peak memory cover the drift computation alone, not the data generation
(``memory.py`` says how they are measured; failmodes and scipy: best of three runs).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
from functools import reduce
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
EVIDENTLY_PYTHON = ROOT / ".venv-bench-drift" / "bin" / "python"
sys.path.insert(0, str(HERE))

import data  # noqa: E402
from memory import measure  # noqa: E402

ALPHA = 0.05
#: Timed runs per method; the best counts (Evidently, at minutes a run, runs once).
REPEAT = 3
CHUNK_ROWS = 100_000
SAMPLE_ROWS = 5000
#: The tables and spec a forked worker reads (set before the pool starts).
SHARED: dict[str, Any] = {}


def summarize_chunk(job: tuple[str, int]) -> Any:
    from failmodes.monitor.summaries import summarize

    role, start = job
    return summarize(SHARED[role].iloc[start : start + CHUNK_ROWS], SHARED["spec"])


def run_failmodes(rows: int) -> dict[str, object]:
    from failmodes.monitor.drift import compare, domain_classifier_test
    from failmodes.monitor.summaries import SummarySpec, merge

    reference, production = data.tables(rows)
    SHARED.update(reference=reference, production=production)
    starts = range(0, rows, CHUNK_ROWS)

    def summaries(workers: int) -> tuple[Any, Any]:
        # Chunk by chunk, as a distributed engine would summarize its partitions.
        SHARED["spec"] = SummarySpec.from_reference(reference, sample_size=SAMPLE_ROWS, seed=0)
        jobs = [(role, i) for role in ("reference", "production") for i in starts]
        if workers == 1:
            parts = [summarize_chunk(job) for job in jobs]
        else:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                parts = pool.map(summarize_chunk, jobs)
        half = len(starts)
        return reduce(merge, parts[:half]), reduce(merge, parts[half:])

    (ref, prod), summary_s, summary_mib = measure(lambda: summaries(1), REPEAT)
    workers = os.cpu_count() or 1
    (ref_p, prod_p), parallel_s, _ = measure(lambda: summaries(workers), REPEAT)
    by_ks, ks_s, ks_mib = measure(
        lambda: compare(ref, prod, alpha=ALPHA, numeric_test="ks"), REPEAT
    )
    same = compare(ref_p, prod_p, alpha=ALPHA, numeric_test="ks") == by_ks
    by_chi2, chi2_s, _ = measure(
        lambda: compare(ref, prod, alpha=ALPHA, numeric_test="chi2"), REPEAT
    )
    domain, domain_s, domain_mib = measure(
        lambda: domain_classifier_test(ref.sample.rows, prod.sample.rows, seed=0), REPEAT
    )
    return {
        "summaries_s": summary_s,
        "summaries_parallel_s": parallel_s,
        "workers": workers,
        "parallel_same_result": same,
        "ks_tests_s": ks_s,
        "chi2_tests_s": chi2_s,
        "domain_classifier_s": domain_s,
        "peak_mib": max(summary_mib, ks_mib),
        "domain_classifier_peak_mib": domain_mib,
        "flagged_ks": [d.feature for d in by_ks if d.drifted],
        "flagged_chi2": [d.feature for d in by_chi2 if d.drifted],
        "psi": {d.feature: round(d.psi, 4) for d in by_ks},
        "domain_auc": round(domain.auc, 4),
    }


def run_scipy(rows: int) -> dict[str, object]:
    import numpy as np
    from scipy.stats import chisquare, false_discovery_control, ks_2samp

    reference, production = data.tables(rows)

    def tests() -> dict[str, float]:
        p_values = {}
        for name in reference.columns:
            if name in data.CATEGORIES:
                expected = reference[name].value_counts(normalize=True)
                observed = production[name].value_counts().reindex(expected.index, fill_value=0)
                p_values[name] = float(chisquare(observed, expected * observed.sum()).pvalue)
            else:
                p_values[name] = float(ks_2samp(reference[name], production[name]).pvalue)
        return p_values

    p_values, seconds, peak = measure(tests, REPEAT)
    adjusted = false_discovery_control(np.array(list(p_values.values())), method="bh")
    return {
        "tests_s": seconds,
        "peak_mib": peak,
        "flagged": [n for n, p in zip(p_values, adjusted, strict=True) if p < ALPHA],
        "flagged_unadjusted": [n for n, p in p_values.items() if p < ALPHA],
    }


METHODS = {"failmodes": run_failmodes, "scipy": run_scipy}


def in_subprocess(python: Path, script: Path, method: str, rows: int) -> dict[str, Any]:
    out = subprocess.run(
        [str(python), str(script), "--method", method, "--rows", str(rows)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def score(flagged: list[str]) -> str:
    truth = set(data.SHIFTS)
    missed = sorted(truth - set(flagged))
    false = sorted(set(flagged) - truth)
    text = f"{len(truth & set(flagged))}/{len(truth)} found"
    text += f", missed {', '.join(missed)}" if missed else ""
    return text + (f", false alarms {', '.join(false)}" if false else "")


def table(rows: int, results: dict[str, dict[str, Any]]) -> str:
    ours, scipy = results["failmodes"], results["scipy"]
    per_feature = ours["summaries_s"] + ours["ks_tests_s"]
    parallel = ours["summaries_parallel_s"] + ours["ks_tests_s"]
    chi2 = ours["summaries_s"] + ours["chi2_tests_s"]
    lines = [
        f"Drift on {rows:,} reference + {rows:,} production rows × 20 columns; shifted: "
        + "; ".join(f"{k} ({v})" for k, v in data.SHIFTS.items())
        + ".",
        "",
        "| method | time (s) | peak memory (MiB) | columns flagged (BH, α = 0.05) |",
        "|---|---:|---:|---|",
        f"| failmodes summaries, KS on {SAMPLE_ROWS:,}-row sample + chi² on categories "
        f"| {per_feature:.2f} | {ours['peak_mib']:.0f} | {score(ours['flagged_ks'])} |",
        f"| same, chunks summarized by {ours['workers']} processes and merged "
        f"| {parallel:.2f} | — | "
        f"{'identical results' if ours['parallel_same_result'] else 'DIFFERENT results'} |",
        f"| failmodes summaries, chi² on binned full data | {chi2:.2f} | {ours['peak_mib']:.0f} "
        f"| {score(ours['flagged_chi2'])} |",
        f"| failmodes domain classifier alone (AUC {ours['domain_auc']}) "
        f"| {ours['domain_classifier_s']:.2f} | {ours['domain_classifier_peak_mib']:.0f} | — |",
        f"| scipy per column: ks_2samp + chisquare on full data | {scipy['tests_s']:.2f} "
        f"| {scipy['peak_mib']:.0f} | {score(scipy['flagged'])} |",
    ]
    if "evidently" in results:
        ev = results["evidently"]
        lines.append(
            f"| Evidently {ev['version']} DataDriftPreset | {ev['time_s']:.2f} "
            f"| {ev['peak_mib']:.0f} | {score(ev['flagged'])} |"
        )
    else:
        lines.append("| Evidently DataDriftPreset | not run | | |")
    lines += [
        "",
        f"Per-feature drift, failmodes against per-column scipy: "
        f"{scipy['tests_s'] / per_feature:.1f}× faster in one process, "
        f"{scipy['tests_s'] / parallel:.1f}× with {ours['workers']} processes.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--method", choices=sorted(METHODS))
    parser.add_argument("--output", type=Path, help="also write the results as JSON here")
    parser.add_argument("--no-evidently", action="store_true", help="skip Evidently")
    args = parser.parse_args()
    if args.method:  # one method, in this process: print its result as JSON
        print(json.dumps(METHODS[args.method](args.rows)))
        return
    python = Path(sys.executable)
    results = {m: in_subprocess(python, Path(__file__), m, args.rows) for m in METHODS}
    if EVIDENTLY_PYTHON.exists() and not args.no_evidently:
        results["evidently"] = in_subprocess(
            EVIDENTLY_PYTHON, HERE / "evidently_run.py", "evidently", args.rows
        )
    print(table(args.rows, results))
    if args.output:
        args.output.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
