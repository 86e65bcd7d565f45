"""Mergeable summaries of a table: summarize each chunk, merge in any order, test the merge.

Drift tests need the shape of two distributions, not the rows themselves. A :class:`Summary`
keeps, per column, exactly what the tests of :mod:`failmodes.monitor.drift` read:

* numeric columns — a histogram over *fixed* bin edges (the reference data's quantiles, so
  every bin holds about the same share of the reference) with the sum of the values in each
  bin, and the moment sums count, mean and M2, merged with the pairwise update of Chan, Golub
  and LeVeque (1979);
* categorical columns — a count per category;
* the table as a whole — a bounded uniform sample of whole rows (for the KS test and the
  multivariate test), kept as a *bottom-k sample*: every row gets a pseudo-random key from a
  seeded hash of its content, and the sample is the ``sample_size`` rows with the smallest keys
  (Cohen and Kaplan, PODC 2007). Unlike Vitter's reservoir algorithm, the result does not depend
  on the order rows arrive in, so the merge of two samples is the sample of the union.

Every part merges associatively and commutatively, so ``merge(summarize(a), summarize(b))``
equals ``summarize(a + b)`` (counts and samples exactly; mean and M2 up to floating-point
rounding). That is what lets a process pool or a distributed engine summarize partitions where
they live and ship only summaries — kilobytes, whatever the number of rows.

The edges come from the reference data (:meth:`SummarySpec.from_reference`), so reference and
production are binned alike and their histograms compare bin by bin.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from failmodes.errors import DataError, InputError

Kind = Literal["numeric", "categorical"]
#: Rows of the reference used to place the quantile bin edges.
QUANTILE_ROWS = 200_000


class ColumnSpec(BaseModel):
    """How one column is summarized: its kind and, for numeric columns, the inner bin edges.

    Bin ``i`` holds ``edges[i-1] <= x < edges[i]``; the first and last bins are open-ended, so
    production values outside the reference range still land in a bin.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    kind: Kind
    edges: tuple[float, ...] = ()


class SummarySpec(BaseModel):
    """What to summarize: the columns, the sample size and the seed of the sample's hash."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    columns: tuple[ColumnSpec, ...]
    sample_size: int = Field(5000, ge=0)
    seed: int = Field(0, ge=0)

    @classmethod
    def from_reference(
        cls,
        frame: pd.DataFrame,
        *,
        categorical: Sequence[str] = (),
        bins: int = 10,
        sample_size: int = 5000,
        seed: int = 0,
    ) -> SummarySpec:
        """A spec whose numeric bins hold equal shares of ``frame`` (its quantiles).

        Columns named in ``categorical``, and columns that are not numeric, are categorical.
        Repeated quantiles (a column with few distinct values) collapse into one edge. On
        frames over :data:`QUANTILE_ROWS` rows the quantiles come from a seeded sample of that
        many rows: the edges need only be fixed, not exact, for the tests to be exact.
        """
        if bins < 2:
            raise InputError(f"bins must be at least 2, got {bins}")
        if len(frame) > QUANTILE_ROWS:
            rows = np.random.default_rng(seed).choice(len(frame), QUANTILE_ROWS, replace=False)
            frame_for_edges = frame.iloc[np.sort(rows)]
        else:
            frame_for_edges = frame
        columns = []
        for name in frame.columns:
            values = frame[name]
            if name in categorical or not is_numeric(values):
                columns.append(ColumnSpec(name=str(name), kind="categorical"))
                continue
            inner = np.quantile(
                _numeric(frame_for_edges[name], str(name)), np.linspace(0, 1, bins + 1)[1:-1]
            )
            edges = tuple(float(e) for e in np.unique(inner))
            columns.append(ColumnSpec(name=str(name), kind="numeric", edges=edges))
        return cls(columns=tuple(columns), sample_size=sample_size, seed=seed)


@dataclass(frozen=True)
class NumericSummary:
    """Histogram over the spec's edges and the moment sums of one numeric column."""

    count: int
    mean: float
    m2: float
    minimum: float
    maximum: float
    histogram: np.ndarray  # len(edges) + 1 counts
    bin_sums: np.ndarray  # the sum of the values in each bin: where its mass sits

    @property
    def std(self) -> float:
        """Population standard deviation."""
        return float(np.sqrt(self.m2 / self.count)) if self.count else 0.0


@dataclass(frozen=True)
class CategoricalSummary:
    """Count of each category of one column (categories as strings)."""

    counts: Mapping[str, int]

    @property
    def count(self) -> int:
        return sum(self.counts.values())


ColumnSummary = NumericSummary | CategoricalSummary


@dataclass(frozen=True)
class Sample:
    """A bottom-k sample of whole rows: the rows with the smallest hash keys, sorted by key."""

    keys: np.ndarray  # uint64, ascending
    rows: pd.DataFrame  # categorical columns as strings


@dataclass(frozen=True)
class Summary:
    """Everything the drift tests read about one table."""

    spec: SummarySpec
    count: int
    columns: Mapping[str, ColumnSummary]
    sample: Sample


def summarize(frame: pd.DataFrame, spec: SummarySpec) -> Summary:
    """Summarize one chunk of a table (any number of rows, zero included)."""
    missing = [c.name for c in spec.columns if c.name not in frame.columns]
    if missing:
        raise DataError(f"columns missing from the data to summarize: {', '.join(missing[:5])}")
    columns: dict[str, ColumnSummary] = {}
    for column in spec.columns:
        values = frame[column.name]
        if column.kind == "numeric":
            columns[column.name] = _summarize_numeric(_numeric(values, column.name), column.edges)
        else:
            counts: Counter[str] = Counter()
            for value, n in values.value_counts(sort=False, dropna=False).items():
                counts[str(value)] += int(n)
            columns[column.name] = CategoricalSummary(dict(sorted(counts.items())))
    return Summary(spec=spec, count=len(frame), columns=columns, sample=_sample(frame, spec))


def merge(a: Summary, b: Summary) -> Summary:
    """The summary of the union of the rows behind ``a`` and ``b``."""
    if a.spec != b.spec:
        raise InputError("expected summaries made with the same spec, got two different specs")
    columns: dict[str, ColumnSummary] = {}
    for name, left in a.columns.items():
        right = b.columns[name]
        if isinstance(left, NumericSummary) and isinstance(right, NumericSummary):
            columns[name] = _merge_numeric(left, right)
        elif isinstance(left, CategoricalSummary) and isinstance(right, CategoricalSummary):
            columns[name] = CategoricalSummary(
                dict(sorted((Counter(left.counts) + Counter(right.counts)).items()))
            )
    keys = np.concatenate([a.sample.keys, b.sample.keys])
    rows = pd.concat([a.sample.rows, b.sample.rows], ignore_index=True)
    return Summary(
        spec=a.spec,
        count=a.count + b.count,
        columns=columns,
        sample=_smallest(keys, rows, a.spec.sample_size),
    )


def _summarize_numeric(values: np.ndarray, edges: tuple[float, ...]) -> NumericSummary:
    # Bin index = how many edges are <= the value. One vectorized pass per edge is several
    # times faster than a binary search per value for the handful of quantile edges.
    bins = np.zeros(len(values), dtype=np.min_scalar_type(len(edges)))
    for edge in edges:
        bins += values >= edge
    histogram = np.bincount(bins, minlength=len(edges) + 1).astype(np.int64)
    bin_sums = np.bincount(bins, weights=values, minlength=len(edges) + 1)
    if len(values) == 0:
        return NumericSummary(0, 0.0, 0.0, np.inf, -np.inf, histogram, bin_sums)
    mean = float(values.mean())
    return NumericSummary(
        count=len(values),
        mean=mean,
        m2=float(np.square(values - mean).sum()),
        minimum=float(values.min()),
        maximum=float(values.max()),
        histogram=histogram,
        bin_sums=bin_sums,
    )


def _merge_numeric(a: NumericSummary, b: NumericSummary) -> NumericSummary:
    """Chan, Golub and LeVeque's pairwise update of count, mean and M2."""
    count = a.count + b.count
    if count == 0:
        return a
    delta = b.mean - a.mean
    return NumericSummary(
        count=count,
        mean=a.mean + delta * b.count / count,
        m2=a.m2 + b.m2 + delta * delta * a.count * b.count / count,
        minimum=min(a.minimum, b.minimum),
        maximum=max(a.maximum, b.maximum),
        histogram=a.histogram + b.histogram,
        bin_sums=a.bin_sums + b.bin_sums,
    )


def _sample(frame: pd.DataFrame, spec: SummarySpec) -> Sample:
    names = [c.name for c in spec.columns]
    rows = frame if list(frame.columns) == names else frame[names]  # no copy when it can
    # A seeded hash of each row's content: the same row gets the same key in any chunk.
    hash_key = f"{spec.seed % 10**16:016d}"
    keys = pd.util.hash_pandas_object(rows, index=False, hash_key=hash_key).to_numpy(np.uint64)
    sample = _smallest(keys, rows, spec.sample_size)
    for column in spec.columns:
        if column.kind == "categorical":
            sample.rows[column.name] = sample.rows[column.name].astype(str)
    return sample


def _smallest(keys: np.ndarray, rows: pd.DataFrame, size: int) -> Sample:
    if len(keys) > size:
        keep = np.argpartition(keys, size - 1)[:size] if size else np.array([], dtype=int)
        keys, rows = keys[keep], rows.iloc[keep]
    order = np.argsort(keys, kind="stable")
    return Sample(keys=keys[order], rows=rows.iloc[order].reset_index(drop=True))


def is_numeric(values: pd.Series) -> bool:
    """Numbers, not booleans: the columns summarized as numeric unless declared otherwise."""
    return bool(pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values))


def _numeric(values: pd.Series, name: str) -> np.ndarray:
    array = values.to_numpy(dtype=float)
    if np.isnan(array).any():
        raise DataError(
            f"column {name!r} holds missing values (NaN); impute or drop them before "
            "summarizing, as the deployed pipeline would."
        )
    return array
