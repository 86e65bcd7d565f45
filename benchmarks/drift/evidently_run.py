"""Evidently's DataDriftPreset on the benchmark's tables, in its own environment.

Run by ``run.py`` with ``.venv-bench-drift/bin/python`` (Evidently is never a dependency of
failmodes); prints one JSON line. Evidently's defaults for more than 1,000 rows: normed
Wasserstein distance for numeric columns and Jensen–Shannon distance for categorical ones,
each drifted at 0.1 or more; p-value tests (drifted below 0.05) for smaller data.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import data
import evidently
from evidently import Report
from evidently.presets import DataDriftPreset
from memory import measure


def drifted(metric: dict[str, object]) -> bool:
    config = metric["config"]
    assert isinstance(config, dict)
    value, threshold = float(metric["value"]), float(config["threshold"])  # type: ignore[arg-type]
    return value < threshold if "p_value" in str(config["method"]) else value >= threshold


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--method", default="evidently")
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    reference, production = data.tables(args.rows)

    def report() -> dict[str, object]:
        snapshot = Report([DataDriftPreset()]).run(
            current_data=production, reference_data=reference
        )
        return dict(snapshot.dict())

    result, seconds, peak = measure(report)
    per_column = [m for m in result["metrics"] if "ValueDrift" in m["metric_name"]]  # type: ignore[attr-defined]
    print(
        json.dumps(
            {
                "version": evidently.__version__,
                "time_s": seconds,
                "peak_mib": peak,
                "flagged": [m["config"]["column"] for m in per_column if drifted(m)],
                "methods": sorted({m["config"]["method"] for m in per_column}),
            }
        )
    )


if __name__ == "__main__":
    main()
