"""A simulated deployment: reference data, and six days of production traffic in which known
things happen on known days.

* day 0–5: ordinary clients send natural rows (the reference distribution);
* day 2: client ``attacker`` runs an extraction campaign — Papernot et al.'s Jacobian-based
  augmentation, seeds from the data grown by steps of λ along sign vectors;
* day 3: client ``prober`` sends one record with tiny variations (membership / inversion),
  client ``walker`` sends points on the decision boundary (a boundary attack);
* day 4 onwards: features ``f1`` and ``f2`` drift (f1 shifts by one standard deviation);
* day 5: the feedback labels are poisoned towards class 1; labels of day 5 have not
  arrived (empty).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

FEATURES = [f"f{i}" for i in range(6)]
WEIGHTS = np.array([1.0, -0.8, 0.6, 0.0, 0.5, -0.3])
DAYS = 6
ROWS_PER_CLIENT = 200
ORDINARY = ["ordinary-1", "ordinary-2", "ordinary-3", "ordinary-4"]
DRIFT_DAY, ATTACK_DAY, PROBE_DAY, POISON_DAY = 4, 2, 3, 5


def _model(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The deployed model: a logistic score; returns predicted class and its confidence."""
    p = 1 / (1 + np.exp(-3 * (X @ WEIGHTS)))
    return (p > 0.5).astype(int), np.maximum(p, 1 - p)


def _rows(X: np.ndarray, rng: np.random.Generator, client: str, day: int) -> pd.DataFrame:
    predicted, confidence = _model(X)
    truth = np.where(rng.random(len(X)) < 0.1, 1 - predicted, predicted)
    start = pd.Timestamp("2026-01-01", tz="UTC") + pd.Timedelta(days=day)
    seconds = np.sort(rng.uniform(0, 86_399, len(X)))
    frame = pd.DataFrame(X, columns=FEATURES)
    frame["region"] = rng.choice(["north", "south", "east"], len(X), p=[0.5, 0.3, 0.2])
    frame["time"] = start + pd.to_timedelta(seconds, unit="s")
    frame["client"] = client
    frame["prediction"] = predicted
    frame["confidence"] = confidence
    frame["label"] = truth.astype(float)
    frame["feedback"] = truth
    return frame


def extraction(rng: np.random.Generator, n: int, step: float = 0.1) -> np.ndarray:
    points = list(rng.normal(size=(10, len(FEATURES))))
    while len(points) < n:
        points += [x + step * np.sign(rng.normal(size=len(FEATURES))) for x in points]
    return np.array(points[:n])


def reference(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = _rows(rng.normal(size=(3000, len(FEATURES))), rng, "reference", -1)
    return frame.drop(columns=["time", "client", "feedback"])


def day(index: int, seed: int = 0, *, attacks: bool = True) -> pd.DataFrame:
    """One day of traffic; ``attacks=False`` leaves out the attacking clients."""
    rng = np.random.default_rng(seed + 100 + index)
    parts = []
    for client in ORDINARY:
        X = rng.normal(size=(ROWS_PER_CLIENT, len(FEATURES)))
        if index >= DRIFT_DAY:
            X[:, 1] += 1.0
            X[:, 2] *= 1.6
        parts.append(_rows(X, rng, client, index))
    if attacks and index == ATTACK_DAY:
        parts.append(_rows(extraction(rng, ROWS_PER_CLIENT), rng, "attacker", index))
    if attacks and index == PROBE_DAY:
        record = rng.normal(size=len(FEATURES)) + WEIGHTS  # well inside class 1
        near = record + rng.normal(scale=0.005, size=(ROWS_PER_CLIENT, len(FEATURES)))
        parts.append(_rows(near, rng, "prober", index))
        X = rng.normal(size=(ROWS_PER_CLIENT, len(FEATURES)))
        X -= np.outer(X @ WEIGHTS / (WEIGHTS @ WEIGHTS), WEIGHTS)  # onto the boundary
        X += np.outer(rng.normal(scale=0.02, size=len(X)), WEIGHTS)
        parts.append(_rows(X, rng, "walker", index))
    frame = pd.concat(parts, ignore_index=True).sort_values("time", ignore_index=True)
    if index == POISON_DAY:
        frame["feedback"] = np.where(rng.random(len(frame)) < 0.6, 1, frame["feedback"])
        frame["label"] = np.nan
    return frame


def write_days(
    folder: Path, days: range = range(DAYS), *, suffix: str = ".parquet", attacks: bool = True
) -> list[Path]:
    paths = []
    for index in days:
        path = folder / f"day-{index}{suffix}"
        frame = day(index, attacks=attacks)
        if suffix == ".parquet":
            frame.to_parquet(path, index=False)
        else:
            frame.to_csv(path, index=False)
        paths.append(path)
    return paths
