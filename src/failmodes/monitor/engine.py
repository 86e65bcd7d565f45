"""The monitoring engine: one function summarizes a partition of production data into
per-window summaries, one merges two such results, and both run anywhere.

:func:`summarize_partition` turns a chunk of rows into ``{window key: WindowSummary}``; the
summaries are those of :mod:`failmodes.monitor.summaries` (inputs, model outputs, feedback)
and :mod:`failmodes.monitor.querylog` (per client), plus the counts of labelled and correctly
predicted rows for delayed-label accuracy. :func:`merge_partials` merges two results window by
window; it is associative and commutative, so the chunks of a file read in turn
(:func:`summarize_files`) and the partitions of a Dask data frame reduced in a tree
(:mod:`failmodes.monitor.distributed`) give the same summaries, hence the same verdicts.
Memory is bounded by the summaries — windows × (bins + sample) — not by the rows.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import reduce
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from failmodes.errors import DataError, InputError, MissingFileError
from failmodes.monitor.querylog import ClientSummary, merge_clients, summarize_clients
from failmodes.monitor.summaries import (
    QUANTILE_ROWS,
    NumericSummary,
    Summary,
    SummarySpec,
    merge,
    summarize,
)
from failmodes.monitor.windows import WindowRule, event_times, window_groups

#: Rows read and summarized at a time in-process: the unit a distributed engine also gets.
CHUNK_ROWS = 250_000


class MonitorConfig(BaseModel):
    """What the production data and query log hold, and how to watch them.

    Only ``window`` is required; each named column switches on the indicators that read it.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    window: WindowRule
    features: tuple[str, ...] = Field((), description="Input columns; default: the reference's.")
    categorical: tuple[str, ...] = ()
    prediction_column: str | None = None
    confidence_column: str | None = Field(None, description="The model's top-class score.")
    label_column: str | None = Field(None, description="True labels, empty until they arrive.")
    feedback_column: str | None = Field(None, description="Labels fed back into training.")
    client_column: str | None = None
    full_scores_column: str | None = Field(
        None, description="Whether full scores came back (bool); default: every query."
    )
    bins: int = Field(10, ge=2)
    sample_size: int = Field(2000, ge=10)
    client_sample_size: int = Field(1000, ge=10)
    alpha: float = Field(0.05, gt=0, lt=1)
    numeric_test: Literal["ks", "chi2"] = Field(
        "chi2",
        description="Drift test of numeric inputs: chi2 on all of the window's rows binned on the "
        "reference's edges (exactly mergeable, no sample), or ks on the window's sample.",
    )
    boundary_confidence: float = Field(
        0.6, gt=0, le=1, description="A query is near the boundary below this confidence."
    )
    duplicate_radius: float = Field(
        0.05, gt=0, description="Near-duplicate distance, in reference standard deviations."
    )
    domain_rows: int = Field(
        1000, ge=0, description="Rows a side for the classifier two-sample test (0: off)."
    )
    seed: int = Field(0, ge=0)

    def output_columns(self) -> list[str]:
        return [
            c
            for c in (self.prediction_column, self.confidence_column, self.feedback_column)
            if c is not None
        ]


@dataclass(frozen=True)
class Reference:
    """What every partition needs from the reference: the specs and the scale of the inputs."""

    inputs: SummarySpec
    outputs: SummarySpec | None
    feedback: SummarySpec | None
    numeric: tuple[str, ...]
    center: np.ndarray
    scale: np.ndarray
    low: np.ndarray
    high: np.ndarray
    categories: Mapping[str, frozenset[str]]


@dataclass(frozen=True)
class WindowSummary:
    """Everything the indicators read about one window."""

    inputs: Summary
    outputs: Summary | None
    feedback: Summary | None
    labelled: int
    correct: int
    clients: Mapping[str, ClientSummary]


def reference_for(
    source: pd.DataFrame | Path, config: MonitorConfig
) -> tuple[Reference, WindowSummary]:
    """The specs from the reference data, and the reference's own summary: the baseline.

    A file is read twice, chunk by chunk, and never whole: once for a bottom-k sample of
    :data:`~failmodes.monitor.summaries.QUANTILE_ROWS` rows — a mergeable sampling sketch of
    the quantiles, whose bin edges need only be fixed, not exact (rank error about 1/√k) —
    and once to summarize it with those edges. Memory stays at a chunk and the sample.
    """

    def chunks() -> Iterator[pd.DataFrame]:
        return iter([source]) if isinstance(source, pd.DataFrame) else _chunks(source)

    sample = row_sample(chunks(), QUANTILE_ROWS, config.seed)
    features = list(config.features) or [
        c
        for c in sample.columns
        if c not in {*config.output_columns(), config.label_column, config.client_column}
        and c not in {config.window.time_column, config.full_scores_column}
    ]
    missing = [c for c in features if c not in sample.columns]
    if missing:
        raise DataError(f"features missing from the reference data: {', '.join(missing[:5])}")
    inputs = SummarySpec.from_reference(
        sample[features],
        categorical=config.categorical,
        bins=config.bins,
        sample_size=config.sample_size,
        seed=config.seed,
    )
    outputs = _spec(_outputs_frame(sample, config), config)
    feedback = _spec(_feedback_frame(sample, config, reference=True), config)

    def baseline_of(frame: pd.DataFrame) -> WindowSummary:
        window = WindowSummary(
            inputs=summarize(frame[features], inputs),
            outputs=_summary(_outputs_frame(frame, config), outputs),
            feedback=_summary(_feedback_frame(frame, config, reference=True), feedback),
            labelled=0,
            correct=0,
            clients={},
        )
        return _with_accuracy(window, frame, config)

    baseline = reduce(lambda a, b: merge_windows(a, b, config), map(baseline_of, chunks()))
    ref_inputs = baseline.inputs
    numeric = tuple(c.name for c in inputs.columns if c.kind == "numeric")
    stats = [ref_inputs.columns[n] for n in numeric]
    num = [s for s in stats if isinstance(s, NumericSummary)]
    reference = Reference(
        inputs=inputs,
        outputs=outputs,
        feedback=feedback,
        numeric=numeric,
        center=np.array([s.mean for s in num]),
        scale=np.array([s.std if s.std > 0 else 1.0 for s in num]),
        low=np.array([s.minimum for s in num]),
        high=np.array([s.maximum for s in num]),
        categories={
            c.name: frozenset(getattr(ref_inputs.columns[c.name], "counts", {}))
            for c in inputs.columns
            if c.kind == "categorical"
        },
    )
    return reference, baseline


def row_sample(chunks: Iterable[pd.DataFrame], size: int, seed: int) -> pd.DataFrame:
    """A bottom-k sample of whole rows over all chunks: the ``size`` rows with the smallest
    seeded hash keys (Cohen and Kaplan 2007), kept as the chunks go by."""
    hash_key = f"{seed % 10**16:016d}"
    keys = np.array([], dtype=np.uint64)
    kept: pd.DataFrame | None = None
    for chunk in chunks:
        new = pd.util.hash_pandas_object(chunk, index=False, hash_key=hash_key)
        keys = np.concatenate([keys, new.to_numpy(np.uint64)])
        kept = chunk if kept is None else pd.concat([kept, chunk], ignore_index=True)
        if len(keys) > size:
            keep = np.sort(np.argpartition(keys, size - 1)[:size])
            keys, kept = keys[keep], kept.iloc[keep].reset_index(drop=True)
    if kept is None or kept.empty:
        raise DataError("the reference data has no rows")
    return kept


def label_strings(values: pd.Series) -> pd.Series:
    """Labels as strings, the same whether a file stored 1, 1.0 (a column with gaps) or "1";
    missing labels stay missing."""
    known = values.dropna()
    if pd.api.types.is_float_dtype(known) and bool((known == known.round()).all()):
        known = known.astype("int64")
    return known.astype(str).reindex(values.index)


def _outputs_frame(frame: pd.DataFrame, config: MonitorConfig) -> pd.DataFrame | None:
    """The model's outputs the data has: the predicted class and its confidence."""
    columns: dict[str, pd.Series] = {}
    if config.prediction_column is not None and config.prediction_column in frame.columns:
        columns[config.prediction_column] = label_strings(frame[config.prediction_column])
    if config.confidence_column is not None and config.confidence_column in frame.columns:
        columns[config.confidence_column] = frame[config.confidence_column]
    return pd.DataFrame(columns, index=frame.index).dropna() if columns else None


def _feedback_frame(
    frame: pd.DataFrame, config: MonitorConfig, *, reference: bool = False
) -> pd.DataFrame | None:
    """The labels fed back for training; the reference's are its label column, the labels
    the model was trained and validated on."""
    name = config.feedback_column
    if name is None:
        return None
    source = config.label_column if reference and name not in frame.columns else name
    if source is None or source not in frame.columns:
        return None
    return pd.DataFrame({name: label_strings(frame[source])}).dropna()


def _spec(frame: pd.DataFrame | None, config: MonitorConfig) -> SummarySpec | None:
    if frame is None:
        return None
    return SummarySpec.from_reference(
        frame,
        categorical=[c for c in (config.prediction_column, config.feedback_column) if c],
        bins=config.bins,
        sample_size=config.sample_size,
        seed=config.seed,
    )


def _summary(frame: pd.DataFrame | None, spec: SummarySpec | None) -> Summary | None:
    if spec is None:
        return None
    if frame is None or set(frame.columns) != {c.name for c in spec.columns}:
        names = ", ".join(c.name for c in spec.columns)
        raise DataError(f"the production data lacks columns the reference has: {names}")
    return summarize(frame, spec)


def _with_accuracy(
    window: WindowSummary, rows: pd.DataFrame, config: MonitorConfig
) -> WindowSummary:
    """Count the rows whose (delayed) label has arrived, and those predicted right."""
    label, prediction = str(config.label_column), str(config.prediction_column)
    if label not in rows.columns or prediction not in rows.columns:
        return window
    truth = label_strings(rows[label])
    known = truth.notna().to_numpy()
    predicted = label_strings(rows[prediction])[known].to_numpy()
    correct = int((predicted == truth[known].to_numpy()).sum())
    return dataclasses.replace(window, labelled=int(known.sum()), correct=correct)


def summarize_partition(
    frame: pd.DataFrame, first_row: int, config: MonitorConfig, reference: Reference
) -> dict[str, WindowSummary]:
    """Per-window summaries of one chunk of production rows (row ``first_row`` onwards)."""
    result: dict[str, WindowSummary] = {}
    for key, positions in window_groups(frame, config.window, first_row):
        whole = len(positions) == len(frame)  # the usual case: no copy
        rows = frame if whole else frame.iloc[positions]
        result[key] = _summarize_window(rows, first_row + int(positions[0]), config, reference)
    return result


def _summarize_window(
    rows: pd.DataFrame, first_row: int, config: MonitorConfig, reference: Reference
) -> WindowSummary:
    clients: dict[str, ClientSummary] = {}
    if config.client_column is not None:
        clients = _clients(rows, first_row, config, reference)
    window = WindowSummary(
        inputs=summarize(rows, reference.inputs),
        outputs=_summary(_outputs_frame(rows, config), reference.outputs),
        feedback=_summary(_feedback_frame(rows, config), reference.feedback),
        labelled=0,
        correct=0,
        clients=clients,
    )
    if config.label_column and config.prediction_column:
        window = _with_accuracy(window, rows, config)
    return window


def _clients(
    rows: pd.DataFrame, first_row: int, config: MonitorConfig, reference: Reference
) -> dict[str, ClientSummary]:
    column = str(config.client_column)
    if column not in rows.columns:
        raise DataError(f"client column {column!r} is not in the query log.")
    numeric = rows[list(reference.numeric)].to_numpy(float)
    points = (numeric - reference.center) / reference.scale
    ood = np.asarray(((numeric < reference.low) | (numeric > reference.high)).any(axis=1))
    for name, known in reference.categories.items():
        ood |= ~rows[name].astype(str).isin(known).to_numpy()
    if config.window.time_column is not None and config.window.every is not None:
        order = event_times(rows, config.window).astype("int64").to_numpy(float)
    else:
        order = (first_row + np.arange(len(rows))).astype(float)
    near = np.zeros(len(rows), dtype=bool)
    if config.confidence_column is not None and config.confidence_column in rows.columns:
        near = rows[config.confidence_column].to_numpy(float) < config.boundary_confidence
    scored = np.ones(len(rows), dtype=bool)
    if config.full_scores_column is not None:
        scored = rows[config.full_scores_column].astype(bool).to_numpy()
    predicted = np.full(len(rows), "", dtype=object)
    if config.prediction_column is not None and config.prediction_column in rows.columns:
        predicted = label_strings(rows[config.prediction_column]).fillna("").to_numpy(dtype=object)
    hash_key = f"{config.seed % 10**16:016d}"
    keyed = pd.DataFrame({"order": order, "client": rows[column].astype(str).to_numpy()})
    keys = pd.util.hash_pandas_object(
        pd.concat([keyed, pd.DataFrame(points)], axis=1), index=False, hash_key=hash_key
    ).to_numpy(np.uint64)
    return summarize_clients(
        rows[column].astype(str).to_numpy(),
        keys=keys,
        order=order,
        points=points,
        predicted=predicted,
        scored=scored,
        near_boundary=near,
        out_of_distribution=ood,
        sample_size=config.client_sample_size,
    )


def merge_windows(a: WindowSummary, b: WindowSummary, config: MonitorConfig) -> WindowSummary:
    return WindowSummary(
        inputs=merge(a.inputs, b.inputs),
        outputs=_merge_optional(a.outputs, b.outputs),
        feedback=_merge_optional(a.feedback, b.feedback),
        labelled=a.labelled + b.labelled,
        correct=a.correct + b.correct,
        clients=merge_clients(a.clients, b.clients, config.client_sample_size),
    )


def _merge_optional(a: Summary | None, b: Summary | None) -> Summary | None:
    return None if a is None or b is None else merge(a, b)


def merge_partials(
    a: Mapping[str, WindowSummary], b: Mapping[str, WindowSummary], config: MonitorConfig
) -> dict[str, WindowSummary]:
    """Two partitions' per-window summaries merged: a window both saw is merged."""
    merged = dict(a)
    for key, right in b.items():
        merged[key] = right if key not in merged else merge_windows(merged[key], right, config)
    return dict(sorted(merged.items()))


def _chunks(path: Path, row_groups: Sequence[int] | None = None) -> Iterator[pd.DataFrame]:
    """The rows of a Parquet or CSV file (of some of a Parquet file's row groups), in chunks
    of at most :data:`CHUNK_ROWS`."""
    if not path.is_file():
        raise MissingFileError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise InputError(
                "reading Parquet needs pyarrow: pip install 'failmodes[parquet]'"
            ) from None
        try:
            batches = pq.ParquetFile(path).iter_batches(
                batch_size=CHUNK_ROWS, row_groups=None if row_groups is None else list(row_groups)
            )
        except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
            raise DataError(f"{path}: not a readable Parquet file: {exc}") from None
        for batch in batches:
            yield batch.to_pandas()
    elif suffix == ".csv":
        try:
            yield from pd.read_csv(path, chunksize=CHUNK_ROWS)
        except (ValueError, pd.errors.ParserError) as exc:
            raise DataError(f"{path}: not a readable CSV file: {exc}") from None
    else:
        raise InputError(f"{path}: expected a .parquet or .csv file, got {suffix or 'no suffix'}")


def summarize_chunks(
    chunks: Iterable[pd.DataFrame], first_row: int, config: MonitorConfig, reference: Reference
) -> dict[str, WindowSummary]:
    """Chunks read in turn (the first is row ``first_row`` of the whole data), each
    summarized and merged into the running result: memory stays at two partials."""
    offset = first_row
    merged: dict[str, WindowSummary] = {}
    for chunk in chunks:
        merged = merge_partials(
            merged, summarize_partition(chunk, offset, config, reference), config
        )
        offset += len(chunk)
    return merged


@dataclass(frozen=True)
class Part:
    """A piece of the input a worker reads itself: a file, or some of a Parquet file's row
    groups, starting at row ``first_row`` of the whole data."""

    path: Path
    row_groups: tuple[int, ...] | None
    first_row: int


def plan_parts(paths: Sequence[Path], rows_per_part: int) -> list[Part]:
    """Parquet files cut at row-group boundaries into parts of about ``rows_per_part`` rows,
    with their first rows from the files' metadata (nothing else is read); CSV files whole,
    with ``first_row`` -1 until :func:`count_rows` has placed them."""
    parts: list[Part] = []
    offset = 0
    for path in paths:
        if not path.is_file():
            raise MissingFileError(f"{path}: no such file")
        if path.suffix.lower() != ".parquet":
            parts.append(Part(path, None, -1))
            continue
        import pyarrow.parquet as pq

        try:
            meta = pq.ParquetFile(path).metadata
        except (OSError, ValueError) as exc:
            raise DataError(f"{path}: not a readable Parquet file: {exc}") from None
        groups: list[int] = []
        start = rows = 0
        for g in range(meta.num_row_groups):
            if groups and rows >= rows_per_part:
                parts.append(Part(path, tuple(groups), offset + start))
                start, groups, rows = start + rows, [], 0
            groups.append(g)
            rows += meta.row_group(g).num_rows
        if groups:
            parts.append(Part(path, tuple(groups), offset + start))
        offset += meta.num_rows
    return parts


def count_rows(path: Path) -> int:
    """Rows of a data file, read chunk by chunk."""
    return sum(len(chunk) for chunk in _chunks(path))


def summarize_part(
    part: Part, config: MonitorConfig, reference: Reference
) -> dict[str, WindowSummary]:
    """One part, as a worker summarizes it where the file lives."""
    return summarize_chunks(_chunks(part.path, part.row_groups), part.first_row, config, reference)


def summarize_files(
    paths: Sequence[Path],
    config: MonitorConfig,
    reference: Reference,
    progress: Callable[[Iterable[pd.DataFrame]], Iterable[pd.DataFrame]] = lambda x: x,
) -> dict[str, WindowSummary]:
    """In-process: the files read chunk by chunk, in order, each chunk summarized and merged."""
    chunks = (c for path in paths for c in _chunks(path))
    return summarize_chunks(progress(chunks), 0, config, reference)
