"""Evidently's DataDriftPreset on the monitoring benchmark's files, in Evidently's own
environment (``.venv-bench-drift``; Evidently is never a dependency of failmodes).

Run by ``run.py``; prints one JSON line. The reference is the same 1,000,000-row table the
other methods compare with, the production rows are read from the same Parquet files, and the
read is inside the time, as it is for the others. Evidently holds both tables in memory, so a
second, traced run would double a long measurement: memory is the process's peak resident set
(``ru_maxrss``), with the tables included.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "drift"))

import data  # noqa: E402
import evidently  # noqa: E402
import pandas as pd  # noqa: E402
from evidently import Report  # noqa: E402
from evidently.presets import DataDriftPreset  # noqa: E402
from evidently_run import drifted  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reference-rows", type=int, required=True)
    parser.add_argument("paths", nargs="+", type=Path)
    args = parser.parse_args()
    reference = data.table(args.reference_rows, 0, shifted=False)
    started = time.perf_counter()
    production = pd.concat([pd.read_parquet(p) for p in args.paths], ignore_index=True)
    snapshot = Report([DataDriftPreset()]).run(current_data=production, reference_data=reference)
    result = dict(snapshot.dict())
    seconds = time.perf_counter() - started
    per_column = [m for m in result["metrics"] if "ValueDrift" in m["metric_name"]]
    print(
        json.dumps(
            {
                "version": evidently.__version__,
                "time_s": seconds,
                "max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "rows": len(production),
                "flagged": [m["config"]["column"] for m in per_column if drifted(m)],
                "methods": sorted({m["config"]["method"] for m in per_column}),
            }
        )
    )


if __name__ == "__main__":
    main()
