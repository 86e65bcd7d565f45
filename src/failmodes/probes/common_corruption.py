"""Common corruption: how much accuracy the model loses on everyday degraded inputs.

The method of ImageNet-C (Hendrycks and Dietterich, "Benchmarking Neural Network Robustness to
Common Corruptions and Perturbations", ICLR 2019): corrupt the labelled test inputs with each
corruption at five severities and measure accuracy on each copy. The corruptions suit the
data (:mod:`failmodes.corruptions`): images get noise, blur, brightness, contrast, JPEG and
pixelation; tables get noise scaled to each feature's spread, missing values, unit errors and
category typos; text gets typos, case, whitespace and punctuation changes (CheckList,
Ribeiro et al., ACL 2020).

We report the *relative* accuracy drop, (clean − corrupted) / clean, averaged over
corruptions and severities (``corruption_accuracy_drop``) and for the most damaging
corruption (``worst_corruption_accuracy_drop``), rather than ImageNet-C's mCE, which needs a
baseline model's errors to normalise by.

How inputs reach the model:

- Only the rows a corruption changed are sent; unchanged rows keep their clean prediction
  (this assumes a deterministic model, and saves queries at low severities).
- If the model raises on corrupted rows (an encoder that refuses an unknown category, say),
  those rows count as wrong — in production that request would fail — and the error is noted.
- Missing values: with ``missing_values: auto`` (the default) NaN is sent as is; if the model
  refuses NaN, the blanks are filled with the reference mean (numeric) or mode (categorical),
  as an imputer in the deployed pipeline would, and the evidence says so. ``nan`` always
  sends NaN; ``impute`` always fills.

Tables: numeric columns (and those declared ``integer``) get noise and unit errors; columns
declared ``categorical`` or ``binary``, and text columns with few distinct values, get
category typos; text columns with mostly distinct values get the text corruptions; boolean
columns are left alone. Statistics (spread, mean, mode) come from the training set when there
is one, else from the test set.

Options: ``corruptions`` (names to run; default all that suit the data), ``severities``
(default 1–5), ``max_rows`` (test rows used, default 1000; fewer when ``--budget`` cannot pay
for every corruption), ``features`` (table columns to corrupt; default all),
``pixel_max`` (top of the pixel range; default 255 when any value exceeds 1, else 1),
``missing_values`` (``auto``, ``nan`` or ``impute``).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from failmodes.corruptions import SEVERITIES
from failmodes.corruptions.image import IMAGE_CORRUPTIONS, corrupt_images
from failmodes.corruptions.tabular import TABULAR_CORRUPTIONS, TableSchema, impute
from failmodes.corruptions.text import TEXT_CORRUPTIONS
from failmodes.errors import DataError, FailmodesError, InputError
from failmodes.findings import Plot, Series
from failmodes.probes.base import Measurement, Need, Probe, ProbeContext, ProbeSpec
from failmodes.probes.scoring import query_allowance
from failmodes.probes.slices import feature_frame
from failmodes.targets.base import Inputs, Target
from failmodes.targets.datasets import select_rows

MODE = "common_corruption"
#: Fewest test rows worth corrupting.
MIN_ROWS = 10
#: Below this share of distinct values a text column counts as categorical.
CATEGORICAL_DISTINCT_SHARE = 0.5
MISSING_VALUE_MODES = ("auto", "nan", "impute")


@dataclass
class _Suite:
    """The corruptions that suit one data set and how to apply them."""

    kind: str
    names: list[str]
    apply: Callable[[str, int, np.random.Generator], Inputs]
    schema: TableSchema | None = None
    notes: list[str] = field(default_factory=list)


def _column_kinds(
    frame: pd.DataFrame, feature_types: Mapping[str, str], only: Sequence[str]
) -> tuple[list[str], list[str], list[str]]:
    """Numeric, categorical and free-text columns among those to corrupt."""
    numeric, categorical, text = [], [], []
    for col in frame.columns:
        if only and col not in only:
            continue
        column = frame[col]
        if pd.api.types.is_bool_dtype(column):
            continue
        if feature_types.get(str(col)) in ("categorical", "binary"):
            categorical.append(col)
        elif pd.api.types.is_numeric_dtype(column):
            numeric.append(col)
        elif column.nunique() <= CATEGORICAL_DISTINCT_SHARE * len(column):
            categorical.append(col)
        else:
            text.append(col)
    return numeric, categorical, text


def _table_suite(X: pd.DataFrame, reference: pd.DataFrame, ctx: ProbeContext) -> _Suite:
    only = [str(f) for f in ctx.options.get("features", ())]
    unknown = sorted(set(only) - {str(c) for c in X.columns})
    if unknown:
        raise InputError(f"features {unknown} are not columns of the test set")
    numeric, categorical, text = _column_kinds(X, ctx.data.feature_types, only)
    schema = TableSchema.from_frame(reference, numeric, categorical)
    names = [
        *(["gaussian_noise", "unit_error"] if numeric else []),
        *(["missing_values"] if numeric or categorical else []),
        *(["category_typo"] if categorical else []),
        *(TEXT_CORRUPTIONS if text else []),
    ]

    def apply(name: str, severity: int, rng: np.random.Generator) -> pd.DataFrame:
        if name in TEXT_CORRUPTIONS:
            out = X.copy()
            for col in text:
                values = TEXT_CORRUPTIONS[name](X[col].astype(str).tolist(), severity, rng)
                out[col] = pd.Series(values, index=X.index, dtype=X[col].dtype)
            return out
        return TABULAR_CORRUPTIONS[name](X, severity, rng, schema)

    return _Suite(kind="table", names=names, apply=apply, schema=schema)


def _suite(X: Inputs, reference: Inputs, ctx: ProbeContext) -> _Suite:
    """The corruptions for this kind of data."""
    if isinstance(X, pd.DataFrame):
        return _table_suite(X, reference if isinstance(reference, pd.DataFrame) else X, ctx)
    if X.ndim in (3, 4) and np.issubdtype(X.dtype, np.number):
        top = ctx.options.get("pixel_max")
        return _Suite(
            kind="image",
            names=list(IMAGE_CORRUPTIONS),
            apply=lambda name, severity, rng: corrupt_images(
                X, name, severity, rng, top=None if top is None else float(top)
            ),
        )
    if X.ndim == 1 and X.dtype.kind in "OUS":
        return _Suite(
            kind="text",
            names=list(TEXT_CORRUPTIONS),
            apply=lambda name, severity, rng: np.asarray(
                TEXT_CORRUPTIONS[name]([str(t) for t in X], severity, rng),
                dtype=object if X.dtype == object else None,
            ),
        )
    frame, reference_frame = feature_frame(X), feature_frame(reference)
    if frame is not None and reference_frame is not None:
        table = _table_suite(frame, reference_frame, ctx)

        def apply(name: str, severity: int, rng: np.random.Generator) -> np.ndarray:
            values = np.asarray(table.apply(name, severity, rng), dtype=float)
            return values if np.isnan(values).any() else values.astype(X.dtype)

        return _Suite(kind="array", names=table.names, apply=apply, schema=table.schema)
    raise DataError(
        f"common_corruption cannot corrupt test data of shape {X.shape} and dtype {X.dtype}; "
        "give a table, images (N × H × W [× C]) or an array of strings."
    )


def _imputed(corrupted: Inputs, like: Inputs, schema: TableSchema) -> Inputs:
    """Missing values filled as an imputer would, in the container the model takes."""
    frame = feature_frame(corrupted)
    assert frame is not None  # only tables and 2-D arrays have missing values
    filled = impute(frame, schema)
    return filled if isinstance(like, pd.DataFrame) else filled.to_numpy(dtype=like.dtype)


def _changed_cells(clean: Inputs, corrupted: Inputs) -> np.ndarray:
    """Per row (and, for tables, per column): whether the corruption changed it."""
    if isinstance(clean, pd.DataFrame) and isinstance(corrupted, pd.DataFrame):
        return np.column_stack(
            [
                ~(
                    np.asarray(
                        clean[c].to_numpy(dtype=object) == corrupted[c].to_numpy(dtype=object),
                        dtype=bool,
                    )
                    | (clean[c].isna() & corrupted[c].isna()).to_numpy()
                )
                for c in clean.columns
            ]
        )
    a, b = np.asarray(clean), np.asarray(corrupted)
    return np.asarray(a != b).reshape(len(a), -1)


def _predict(target: Target, X: Inputs) -> tuple[np.ndarray | None, str | None]:
    """Predictions, or why the model refused the input. Our own errors (a spent query
    budget) still stop the probe."""
    try:
        return np.asarray(target.predict(X)), None
    except FailmodesError:
        raise
    except Exception as exc:  # the model rejected corrupted input, as it would in production
        first_line = (str(exc).splitlines() or [""])[0]
        return None, f"{type(exc).__name__}: {first_line[:200]}"


class CommonCorruption(Probe):
    """Accuracy drop under everyday corruptions of the test inputs at five severities.

    ImageNet-C's protocol (Hendrycks and Dietterich, ICLR 2019) on the user's own test set,
    with tabular and text corruptions beside the image ones; reports relative drops rather than
    mCE, which needs a baseline model (see the module notes for every difference).
    """

    spec = ProbeSpec(
        id="common_corruption",
        name="Common corruptions",
        summary=(
            "Corrupts the labelled test inputs with everyday noise, blur, compression, missing "
            "values, unit errors or typos at five severities and measures the accuracy drop."
        ),
        failure_modes=(MODE,),
        needs=frozenset({Need.TEST_DATA, Need.LABELS}),
        tags=frozenset({"unintentional", "robustness", "corruption"}),
        references=(
            "Hendrycks, Dietterich. Benchmarking Neural Network Robustness to Common "
            "Corruptions and Perturbations. ICLR 2019",
            "Ribeiro, Wu, Guestrin, Singh. Beyond Accuracy: Behavioral Testing of NLP Models "
            "with CheckList. ACL 2020",
            "Breck, Polyzotis, Roy, Whang, Zinkevich. Data Validation for Machine Learning. "
            "SysML 2019",
        ),
    )

    def run(self, ctx: ProbeContext) -> Iterator[Measurement]:
        assert ctx.target is not None  # the runner checked Need.LABELS
        target = ctx.target
        test = ctx.dataset("test")
        if test.y is None:
            raise DataError(
                "common_corruption needs labelled test data; name the label column "
                "(profile `target.label_column`)."
            )
        missing = str(ctx.options.get("missing_values", "auto"))
        if missing not in MISSING_VALUE_MODES:
            raise InputError(
                f"missing_values must be one of {', '.join(MISSING_VALUE_MODES)}, got {missing!r}"
            )
        severities = sorted({int(s) for s in ctx.options.get("severities", SEVERITIES)})
        if not severities or not set(severities) <= set(SEVERITIES):
            raise InputError(f"severities must be among 1–5, got {severities}")

        train = ctx.data.train
        reference = train.X if train is not None and type(train.X) is type(test.X) else test.X
        wanted = ctx.options.get("corruptions")
        cells = len(wanted or IMAGE_CORRUPTIONS) * len(severities)
        rows = self._rows(ctx, len(test), cells)
        X, y = select_rows(test.X, rows), np.asarray(test.y)[rows]
        suite = _suite(X, reference, ctx)
        if wanted is not None:
            unknown = sorted(set(wanted) - set(suite.names))
            if unknown:
                raise InputError(
                    f"corruptions {unknown} do not apply to {suite.kind} data; choose from "
                    f"{', '.join(suite.names)}"
                )
            suite.names = [n for n in suite.names if n in set(wanted)]
        if not suite.names:
            raise DataError("no column of the test set can be corrupted (check `features`).")

        clean = _predict(target, X)[0]
        if clean is None:
            raise DataError("the model refused the clean test set; check the target and data.")
        clean_correct = clean == y
        clean_accuracy = float(clean_correct.mean())
        if clean_accuracy == 0.0:
            raise DataError("accuracy on the clean test set is 0, so a relative drop is undefined.")

        accuracy: dict[str, dict[int, float]] = {name: {} for name in suite.names}
        rejected: dict[str, str] = {}
        by_feature: dict[str, dict[str, list[int]]] = {}
        plan = [(name, s) for name in suite.names for s in severities]
        for name, severity in ctx.progress(plan, len(plan), "corruptions"):
            rng = np.random.default_rng([ctx.seed, zlib.crc32(name.encode()), severity])
            corrupted = suite.apply(name, severity, rng)
            if name == "missing_values" and missing == "impute":
                assert suite.schema is not None  # missing values are a table corruption
                corrupted = _imputed(corrupted, X, suite.schema)
            changed_cells = _changed_cells(X, corrupted)
            changed = np.asarray(changed_cells.any(axis=1), dtype=bool)
            correct = clean_correct.copy()
            if changed.any():
                predicted, refusal = _predict(target, select_rows(corrupted, changed))
                if refusal is not None and name == "missing_values" and missing == "auto":
                    assert suite.schema is not None
                    suite.notes.append(
                        f"the model refused missing values ({refusal}); they were filled with "
                        "the reference mean or mode, as an imputer would"
                    )
                    missing = "impute"
                    corrupted = _imputed(corrupted, X, suite.schema)
                    changed_cells = _changed_cells(X, corrupted)
                    changed = np.asarray(changed_cells.any(axis=1), dtype=bool)
                    predicted, refusal = _predict(target, select_rows(corrupted, changed))
                if refusal is not None:
                    rejected[f"{name}@{severity}"] = refusal
                correct[changed] = False if predicted is None else predicted == y[changed]
            accuracy[name][severity] = float(correct.mean())
            if suite.schema is not None:
                self._attribute(by_feature.setdefault(name, {}), X, changed_cells, correct)

        yield from self._measure(
            suite=suite,
            clean_accuracy=clean_accuracy,
            accuracy=accuracy,
            severities=severities,
            rows=len(rows),
            rejected=rejected,
            by_feature=by_feature,
        )

    @staticmethod
    def _rows(ctx: ProbeContext, available: int, cells: int) -> np.ndarray:
        """Test rows to corrupt: at most ``max_rows``, and no more than the queries left (the
        probe's budget, or what is left of the target's) pay for with ``cells`` corrupted
        copies plus the clean run (before the data kind is known, ``cells`` assumes the most
        corruptions any kind has: 8)."""
        n = min(available, int(ctx.options.get("max_rows", 1000)))
        left = query_allowance(ctx)
        if left is not None:
            n = min(n, left // (cells + 1))
            if n < MIN_ROWS:
                raise InputError(
                    f"{left:,} queries left leave fewer than {MIN_ROWS} test rows to "
                    "corrupt; raise --budget or choose fewer corruptions or severities."
                )
        if n >= available:
            return np.arange(available)
        return np.sort(ctx.rng.choice(available, n, replace=False))

    @staticmethod
    def _attribute(
        table: dict[str, list[int]], X: Inputs, cells: np.ndarray, correct: np.ndarray
    ) -> None:
        """Count, per feature, rows where only that feature was corrupted and how many of
        them the model still got right."""
        frame = feature_frame(X)
        assert frame is not None  # only tables and 2-D arrays have a schema
        columns = [str(c) for c in frame.columns]
        for row in np.flatnonzero(cells.sum(axis=1) == 1):
            counts = table.setdefault(columns[int(np.argmax(cells[row]))], [0, 0])
            counts[0] += 1
            counts[1] += int(correct[row])

    @staticmethod
    def _measure(
        *,
        suite: _Suite,
        clean_accuracy: float,
        accuracy: dict[str, dict[int, float]],
        severities: list[int],
        rows: int,
        rejected: dict[str, str],
        by_feature: dict[str, dict[str, list[int]]],
    ) -> Iterator[Measurement]:
        drops = {
            name: {s: (clean_accuracy - acc) / clean_accuracy for s, acc in table.items()}
            for name, table in accuracy.items()
        }
        per_corruption = {name: float(np.mean(list(d.values()))) for name, d in drops.items()}
        mean_drop = float(np.mean([v for d in drops.values() for v in d.values()]))
        worst = max(per_corruption, key=lambda n: (per_corruption[n], n))
        plot = Plot(
            kind="line",
            title=f"Accuracy under corruption ({suite.kind} data)",
            xlabel="severity (0 = clean)",
            ylabel="accuracy",
            series=[
                Series(
                    label=name,
                    x=[0.0, *map(float, severities)],
                    y=[clean_accuracy, *(accuracy[name][s] for s in severities)],
                )
                for name in suite.names
            ],
            alt=f"Accuracy against severity for {len(suite.names)} corruptions.",
        ).model_dump()
        feature_accuracy = {
            name: {f: {"rows": n, "accuracy": right / n} for f, (n, right) in table.items()}
            for name, table in by_feature.items()
            if table
        }
        yield Measurement(
            MODE,
            "corruption_accuracy_drop",
            mean_drop,
            message=(
                f"accuracy falls by {mean_drop:.1%} on average (relative) over "
                f"{len(suite.names)} corruptions × {len(severities)} severities, from "
                f"{clean_accuracy:.1%} clean"
            ),
            evidence={
                "data_kind": suite.kind,
                "rows": rows,
                "clean_accuracy": clean_accuracy,
                "severities": severities,
                "accuracy": {n: {str(s): a for s, a in t.items()} for n, t in accuracy.items()},
                "relative_drop": per_corruption,
                "rejected": rejected,
                "accuracy_by_feature": feature_accuracy,
                "notes": suite.notes,
                "plots": [plot],
            },
        )
        yield Measurement(
            MODE,
            "worst_corruption_accuracy_drop",
            per_corruption[worst],
            message=f"{worst} is the most damaging: accuracy falls by {per_corruption[worst]:.1%}",
            evidence={
                "corruption": worst,
                "relative_drop_by_severity": {str(s): d for s, d in drops[worst].items()},
            },
        )
