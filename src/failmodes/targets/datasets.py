"""The data the probes run on: train, test, reference and production sets, loaded with care.

Files are named in the profile's ``target`` section (CSV, Parquet, or NumPy ``.npy``/``.npz``)
or given in Python. Problems a user can fix — a missing label column, an empty file, NaNs,
columns that differ between sets — are :class:`~failmodes.errors.DataError` messages that say
which file and what to do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from failmodes.errors import DataError, MissingFileError

#: Largest data file read, in bytes; larger sets should be sampled before probing.
MAX_DATA_BYTES = 2 * 1024**3
ROLES = ("train", "test", "reference", "production")


@dataclass(frozen=True)
class Dataset:
    """Features and (optionally) labels of one data set.

    ``X`` is a DataFrame for tabular and text data (columns are features) or an array for
    tensors such as images (``N × H × W × C``). ``y`` is ``None`` when the set has no labels,
    as production data often has not.
    """

    name: str
    X: pd.DataFrame | np.ndarray
    y: np.ndarray | None = None

    def __post_init__(self) -> None:
        if len(self.X) == 0:
            raise DataError(f"{self.name}: the data set is empty; give a file with rows.")
        if self.y is not None and len(self.y) != len(self.X):
            raise DataError(
                f"{self.name}: {len(self.X)} rows of features but {len(self.y)} labels; "
                "they must match."
            )

    @property
    def tabular(self) -> bool:
        return isinstance(self.X, pd.DataFrame)

    @property
    def feature_names(self) -> list[str]:
        return [str(c) for c in self.X.columns] if isinstance(self.X, pd.DataFrame) else []

    def __len__(self) -> int:
        return len(self.X)


@dataclass(frozen=True)
class DataBundle:
    """The data sets of one target, with what the profile says about its features."""

    train: Dataset | None = None
    test: Dataset | None = None
    reference: Dataset | None = None
    production: Dataset | None = None
    feature_types: Mapping[str, str] = field(default_factory=dict)
    immutable_features: Sequence[str] = ()
    ranges: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    sensitive_attribute: str | None = None
    protected_attribute: str | None = None

    def present(self) -> list[str]:
        return [role for role in ROLES if getattr(self, role) is not None]

    def categorical(self) -> list[str]:
        return [k for k, v in self.feature_types.items() if v in ("categorical", "binary")]


def select_rows(X: pd.DataFrame | np.ndarray, index: np.ndarray) -> pd.DataFrame | np.ndarray:
    """Rows ``index`` of ``X``, in that order, by position; a DataFrame's rows keep the labels
    they have in ``X``, so what a probe reports about them still names the user's rows."""
    return X.iloc[index] if isinstance(X, pd.DataFrame) else X[index]


def take_rows(X: pd.DataFrame | np.ndarray, index: np.ndarray) -> pd.DataFrame | np.ndarray:
    """Rows ``index`` of ``X``, in that order, renumbered from 0.

    Frames built from the selection (by concatenation, or column by column) then line up by
    position rather than by the labels the rows had in ``X``.
    """
    rows = select_rows(X, index)
    return rows.reset_index(drop=True) if isinstance(rows, pd.DataFrame) else np.asarray(rows)


def load_dataset(name: str, path: Path, label: str | None) -> Dataset:
    """Read one data file by its suffix and split off the label column.

    CSV/TSV and Parquet are tables (``label`` names the label column); ``.npy`` holds
    features only; ``.npz`` holds an array ``X`` and optionally ``y``.
    """
    if not path.is_file():
        raise MissingFileError(f"{path}: {name} data file not found.")
    if path.stat().st_size > MAX_DATA_BYTES:
        raise DataError(f"{path}: larger than {MAX_DATA_BYTES // 1024**3} GiB; sample it first.")
    suffix = path.suffix.lower()
    try:
        if suffix in (".csv", ".tsv", ".txt"):
            return _table(
                name, pd.read_csv(path, sep="\t" if suffix == ".tsv" else ","), label, path
            )
        if suffix in (".parquet", ".pq"):
            return _table(name, pd.read_parquet(path), label, path)
        if suffix == ".npy":
            return _array(name, np.load(path, allow_pickle=False), None, path)
        if suffix == ".npz":
            with np.load(path, allow_pickle=False) as archive:
                if "X" not in archive:
                    raise DataError(f"{path}: an .npz data file needs an array named X (and y).")
                return _array(name, archive["X"], archive.get("y"), path)
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: the file is empty; give a file with a header and rows.") from None
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise DataError(
            f"{path}: cannot read it as {suffix[1:]} data: {exc}".rstrip(".") + "."
        ) from None
    raise DataError(
        f"{path}: unsupported data format {suffix!r}; use .csv, .parquet, .npy or .npz."
    )


def _table(name: str, raw: pd.DataFrame, label: str | None, source: Path | str) -> Dataset:
    if raw.empty:
        raise DataError(f"{source}: the {name} set has no rows.")
    y = None
    if label is not None:
        if label not in raw.columns:
            raise DataError(
                f"{source}: label column {label!r} not found; columns are: "
                f"{', '.join(map(str, raw.columns[:12]))}."
            )
        y = raw[label].to_numpy()
        raw = raw.drop(columns=[label])
    nan_cols = [str(c) for c in raw.columns if raw[c].isna().any()]
    if nan_cols:
        raise DataError(
            f"{source}: missing values (NaN) in {', '.join(nan_cols[:5])}; impute or drop "
            "them before probing, as the deployed pipeline would."
        )
    return Dataset(name=name, X=raw, y=y)


def _array(name: str, X: np.ndarray, y: np.ndarray | None, source: Path | str) -> Dataset:
    if X.dtype.kind == "f" and np.isnan(X).any():
        raise DataError(f"{source}: the {name} array holds NaN values; clean them first.")
    return Dataset(name=name, X=X, y=y)


def from_frame(name: str, frame: pd.DataFrame, label: str | None) -> Dataset:
    """A data set from a DataFrame in memory, with the same checks as a file."""
    return _table(name, frame, label, f"the {name} DataFrame")


def check_compatible(bundle: DataBundle) -> None:
    """All tabular sets must share the training set's columns."""
    sets = [getattr(bundle, r) for r in bundle.present()]
    tables = [s for s in sets if s.tabular]
    if len(tables) < 2:
        return
    first = tables[0]
    for other in tables[1:]:
        missing = set(first.feature_names) - set(other.feature_names)
        extra = set(other.feature_names) - set(first.feature_names)
        if missing or extra:
            detail = (f"missing {sorted(missing)[:5]}" if missing else "") + (
                f" extra {sorted(extra)[:5]}" if extra else ""
            )
            raise DataError(
                f"the {other.name} set's columns differ from the {first.name} set's: "
                f"{detail.strip()}."
            )


def json_scalar(value: Any) -> Any:
    """A NumPy scalar as the plain Python value JSON and reports can hold."""
    return value.item() if isinstance(value, np.generic) else value
