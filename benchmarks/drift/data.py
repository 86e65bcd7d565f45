"""The benchmark's data: two tables of the same 20 columns, four of them shifted.

Plain NumPy and pandas, so that the Evidently run in its own virtual environment builds the
very same tables from the same seed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Shifted columns and how: the truth every method is scored against.
SHIFTS = {
    "n01": "mean + 0.5 standard deviations",
    "n05": "standard deviation × 1.25, same mean",
    "n09": "mean + 0.02 standard deviations (tiny)",
    "c1": "category shares rebalanced",
}
CATEGORIES = {
    "c0": (["a", "b", "c"], [0.5, 0.3, 0.2]),
    "c1": (["web", "app", "shop", "phone", "mail"], [0.4, 0.25, 0.15, 0.12, 0.08]),
    "c2": ([f"r{i}" for i in range(10)], [0.1] * 10),
    "c3": (["yes", "no"], [0.7, 0.3]),
}
C1_SHIFTED = [0.3, 0.25, 0.2, 0.15, 0.1]


def table(rows: int, seed: int, *, shifted: bool) -> pd.DataFrame:
    """16 numeric columns of assorted shapes and 4 categorical ones."""
    rng = np.random.default_rng(seed)
    columns: dict[str, np.ndarray | pd.Categorical] = {}
    for i in range(16):
        shape = i % 4
        if shape == 0:
            values = rng.normal(0.0, 1.0, rows)
        elif shape == 1:
            values = rng.lognormal(0.0, 0.5, rows)
        elif shape == 2:
            values = rng.uniform(-2.0, 2.0, rows)
        else:
            values = rng.exponential(1.0, rows)
        columns[f"n{i:02d}"] = values
    for name, (levels, shares) in CATEGORIES.items():
        probs = C1_SHIFTED if shifted and name == "c1" else shares
        codes = rng.choice(len(levels), rows, p=probs)
        columns[name] = pd.Categorical.from_codes(codes, categories=levels)
    frame = pd.DataFrame(columns)
    if shifted:
        frame["n01"] += 0.5 * frame["n01"].std()
        mean = frame["n05"].mean()
        frame["n05"] = mean + 1.25 * (frame["n05"] - mean)
        frame["n09"] += 0.02 * frame["n09"].std()
    return frame


def tables(rows: int = 1_000_000, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(reference, production): independent draws, production with the four shifts."""
    return table(rows, seed, shifted=False), table(rows, seed + 1, shifted=True)
