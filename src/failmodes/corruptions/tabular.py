"""Tabular corruptions: the faults of real data feeds, at five severities.

ImageNet-C (Hendrycks and Dietterich, ICLR 2019) has no tabular counterpart, so these follow
the faults that data-validation work reports in production feeds (Breck, Polyzotis, Roy,
Whang, Zinkevich, "Data Validation for Machine Learning", SysML 2019): numeric noise,
missing values, values in the wrong unit, and misspelt or unknown categories. Severity sets
how much is corrupted:

============== ====================================================== =====================
corruption     what changes                                           severity 1 … 5
============== ====================================================== =====================
gaussian_noise every numeric value, plus noise of k × the feature's   k = 0.1 … 1.0
               standard deviation
missing_values a share of all cells blanked (NaN)                     5 % … 50 % of cells
unit_error     a share of rows; in each, one numeric feature          10 % … 100 % of rows
               multiplied by 10, 1000 or 1/100
category_typo  a share of rows; in each, one categorical feature      10 % … 100 % of rows
               misspelt (a keyboard typo) or replaced by an unseen
               category
============== ====================================================== =====================

Unit and category errors touch one feature per row, as a feed that switches the unit of one
field does, so the damage can be traced to the feature. Immutable features are corrupted like
any other: corruption is not an attacker. Every function returns a new frame with the same
shape, index, columns and dtypes; the exception is ``missing_values``, which turns integer
columns into floats to hold NaN (:func:`impute` turns them back).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from failmodes.corruptions import check_severity
from failmodes.corruptions.text import typo

NOISE_SCALE = (0.1, 0.25, 0.5, 0.75, 1.0)
MISSING_RATE = (0.05, 0.1, 0.2, 0.3, 0.5)
ROW_RATE = (0.1, 0.25, 0.5, 0.75, 1.0)
UNIT_FACTORS = (10.0, 1000.0, 0.01)
#: What an unseen text category reads as: what feeds send for a value they cannot map.
UNSEEN_CATEGORY = "UNKNOWN"


@dataclass(frozen=True)
class TableSchema:
    """The columns corruptions may touch, with the statistics they need, taken from reference
    data (the training set when there is one): each numeric feature's spread, the value an
    imputer would fill in (mean or mode), and a code no numeric category uses."""

    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    spread: Mapping[str, float]
    fill: Mapping[str, Any]
    unseen: Mapping[str, Any]
    dtypes: Mapping[str, Any]

    @classmethod
    def from_frame(
        cls, reference: pd.DataFrame, numeric: Sequence[str], categorical: Sequence[str]
    ) -> TableSchema:
        spread, fill, unseen = {}, {}, {}
        for col in numeric:
            values = reference[col].to_numpy(dtype=float)
            spread[col] = float(np.std(values)) or 1.0
            fill[col] = float(np.mean(values))
        for col in categorical:
            column = reference[col]
            fill[col] = column.mode().iloc[0]
            numeric_codes = pd.api.types.is_numeric_dtype(column) and not (
                pd.api.types.is_bool_dtype(column)
            )
            unseen[col] = column.max() + 1 if numeric_codes else UNSEEN_CATEGORY
        return cls(
            numeric=tuple(numeric),
            categorical=tuple(categorical),
            spread=spread,
            fill=fill,
            unseen=unseen,
            dtypes={col: reference[col].dtype for col in (*numeric, *categorical)},
        )


TabularCorruption = Callable[[pd.DataFrame, int, np.random.Generator, TableSchema], pd.DataFrame]


def _restore(values: Any, column: pd.Series, dtype: Any) -> pd.Series:
    """``values`` as a column of ``dtype`` (integers rounded), on ``column``'s index."""
    if pd.api.types.is_integer_dtype(dtype):
        values = np.round(np.asarray(values, dtype=float))
    if isinstance(dtype, pd.CategoricalDtype):
        return pd.Series(values, index=column.index, name=column.name).astype("category")
    return pd.Series(values, index=column.index, name=column.name).astype(dtype)


def gaussian_noise(
    frame: pd.DataFrame, severity: int, rng: np.random.Generator, schema: TableSchema
) -> pd.DataFrame:
    """Noise on every numeric value, scaled to each feature's standard deviation."""
    scale = NOISE_SCALE[check_severity(severity)]
    out = frame.copy()
    for col in schema.numeric:
        noisy = frame[col].to_numpy(dtype=float) + rng.normal(
            scale=scale * schema.spread[col], size=len(frame)
        )
        out[col] = _restore(noisy, frame[col], frame[col].dtype)
    return out


def missing_values(
    frame: pd.DataFrame, severity: int, rng: np.random.Generator, schema: TableSchema
) -> pd.DataFrame:
    """A share of all cells (numeric and categorical) blanked to NaN."""
    columns = [*schema.numeric, *schema.categorical]
    hit = rng.random((len(frame), len(columns))) < MISSING_RATE[check_severity(severity)]
    out = frame.copy()
    for j, col in enumerate(columns):
        if hit[:, j].any():
            out[col] = frame[col].mask(hit[:, j])
    return out


def _one_feature_per_row(
    n_rows: int, n_features: int, severity: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Rows hit at this severity, and which of ``n_features`` features each one gets."""
    rows = np.flatnonzero(rng.random(n_rows) < ROW_RATE[check_severity(severity)])
    return rows, rng.integers(n_features, size=len(rows))


def unit_error(
    frame: pd.DataFrame, severity: int, rng: np.random.Generator, schema: TableSchema
) -> pd.DataFrame:
    """In a share of rows, one numeric feature in the wrong unit: × 10, × 1000 or ÷ 100."""
    out = frame.copy()
    if not schema.numeric:
        return out
    rows, which = _one_feature_per_row(len(frame), len(schema.numeric), severity, rng)
    factors = np.asarray(UNIT_FACTORS)[rng.integers(len(UNIT_FACTORS), size=len(rows))]
    for j, col in enumerate(schema.numeric):
        chosen = which == j
        if chosen.any():
            values = frame[col].to_numpy(dtype=float).copy()
            values[rows[chosen]] *= factors[chosen]
            out[col] = _restore(values, frame[col], frame[col].dtype)
    return out


def _misspell(value: Any, unseen: Any, rng: np.random.Generator) -> Any:
    if isinstance(value, str) and rng.random() < 0.5:
        changed = typo(value, rng)
        if changed != value:
            return changed
    return unseen


def category_typo(
    frame: pd.DataFrame, severity: int, rng: np.random.Generator, schema: TableSchema
) -> pd.DataFrame:
    """In a share of rows, one categorical feature misspelt (half of the text values get a
    keyboard typo) or replaced by a category the reference data never had."""
    out = frame.copy()
    if not schema.categorical:
        return out
    rows, which = _one_feature_per_row(len(frame), len(schema.categorical), severity, rng)
    for j, col in enumerate(schema.categorical):
        chosen = rows[which == j]
        if chosen.size:
            values = frame[col].to_numpy(dtype=object).copy()
            for i in chosen:
                values[i] = _misspell(values[i], schema.unseen[col], rng)
            out[col] = _restore(values, frame[col], frame[col].dtype)
    return out


def impute(frame: pd.DataFrame, schema: TableSchema) -> pd.DataFrame:
    """Fill NaN with the reference mean (numeric) or mode (categorical), as a pipeline's
    imputer would, and give each column its reference dtype back."""
    out = frame.copy()
    for col, value in schema.fill.items():
        if out[col].isna().any():
            filled = out[col].astype(object).where(out[col].notna(), value)
            out[col] = _restore(filled.to_numpy(), out[col], schema.dtypes[col])
    return out


#: The tabular corruptions by name.
TABULAR_CORRUPTIONS: Mapping[str, TabularCorruption] = {
    "gaussian_noise": gaussian_noise,
    "missing_values": missing_values,
    "unit_error": unit_error,
    "category_typo": category_typo,
}
