"""Slice discovery: coherent groups of rows on which the model is much worse than overall.

The idea is Slice Finder's (Chung, Kraska, Polyzotis, Tae, Whang, "Slice Finder: Automated
Data Slicing for Model Validation", ICDE 2019): describe slices by feature conditions a person
can read, test whether each is really worse than the whole, and report the worst. Ours is
simpler:

- **Candidates** are one-feature conditions — quantile bins of a numeric feature (deciles by
  default; a numeric feature with few distinct values gives one slice per value) and the
  values of a categorical one — plus the conjunctions of two conditions on different
  features, formed from the ``beam`` worst one-feature slices. Slice Finder searches a
  lattice or clusters to any depth; we stop at pairs.
- **Test**: instead of Slice Finder's Welch t-test with α-investing, a one-sided Wilson score
  upper bound on the slice's accuracy at level α / m (Bonferroni over all m slices tested). A
  slice is *significant* when that bound lies below overall accuracy.
- **Rank** by the gap's lower confidence bound (overall accuracy minus the upper bound), so a
  large slice that is clearly bad outranks a tiny one that is bad by chance, and a pair that
  only narrows a bad single slice does not displace it. The reported gap is the point gap
  (overall minus slice accuracy) of the top slice.

Domino (Eyuboglu et al., "Domino: Discovering Systematic Errors with Cross-Modal Embeddings",
ICLR 2022) finds slices in an embedding space; slicing over features needs no embedding model
and names each slice, at the price of missing slices the features do not describe. Data with
no features to slice on (images, raw text) is sliced by true class.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from failmodes.errors import InputError
from failmodes.findings import Plot, Series

#: The column that holds the true class when data has no features to slice on.
LABEL_COLUMN = "label"
#: Gaps within rounding error of zero are no gap (a perfect slice's Wilson bound is 1 − ε).
_TOLERANCE = 1e-9


@dataclass(frozen=True)
class SliceOptions:
    """How slices are searched; read from probe options (keys in brackets).

    ``min_size`` (``min_slice_size``, 20): smallest slice considered. ``bins``
    (``slice_bins``, 10): quantile bins per numeric feature. ``alpha`` (``slice_alpha``,
    0.05): family-wise significance level. ``beam`` (``slice_beam``, 20): one-feature slices
    crossed into pairs. ``top`` (``top_slices``, 10): slices shown in evidence and plots.
    """

    min_size: int = 20
    bins: int = 10
    alpha: float = 0.05
    beam: int = 20
    top: int = 10

    def __post_init__(self) -> None:
        if self.min_size < 1 or self.bins < 2 or self.beam < 0 or self.top < 1:
            raise InputError(
                "slice options: min_slice_size and top_slices must be at least 1, slice_bins "
                f"at least 2, slice_beam at least 0; got {self}"
            )
        if not 0.0 < self.alpha < 1.0:
            raise InputError(f"slice_alpha must lie between 0 and 1, got {self.alpha}")

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> SliceOptions:
        return cls(
            min_size=int(options.get("min_slice_size", cls.min_size)),
            bins=int(options.get("slice_bins", cls.bins)),
            alpha=float(options.get("slice_alpha", cls.alpha)),
            beam=int(options.get("slice_beam", cls.beam)),
            top=int(options.get("top_slices", cls.top)),
        )


@dataclass(frozen=True)
class Slice:
    """One slice: its conditions, its rows (``mask``, for the probe's own use; never put in
    a finding) and how the model does on it."""

    description: str
    features: tuple[str, ...]
    mask: np.ndarray = field(repr=False)
    accuracy: float
    gap: float
    gap_lower_bound: float

    @property
    def size(self) -> int:
        return int(self.mask.sum())

    @property
    def significant(self) -> bool:
        return self.gap_lower_bound > _TOLERANCE

    def summary(self) -> dict[str, Any]:
        return {
            "slice": self.description,
            "features": list(self.features),
            "size": self.size,
            "accuracy": self.accuracy,
            "gap": self.gap,
            "gap_lower_bound": self.gap_lower_bound,
            "significant": self.significant,
        }


@dataclass(frozen=True)
class SliceSearch:
    """Every slice tested, most clearly worse first."""

    overall_accuracy: float
    slices: tuple[Slice, ...]
    options: SliceOptions

    @property
    def significant(self) -> list[Slice]:
        return [s for s in self.slices if s.significant]

    @property
    def worst_gap(self) -> float:
        """Point gap of the top-ranked significant slice; 0 when no slice is significantly
        worse than overall."""
        return self.slices[0].gap if self.slices and self.slices[0].significant else 0.0

    def evidence(self) -> dict[str, Any]:
        return {
            "overall_accuracy": self.overall_accuracy,
            "slices_tested": len(self.slices),
            "significant_slices": len(self.significant),
            "worst_slices": [s.summary() for s in self.slices[: self.options.top]],
            "min_slice_size": self.options.min_size,
            "slice_alpha": self.options.alpha,
        }

    def plot(self, title: str) -> dict[str, Any]:
        """Accuracy of the top slices, with overall accuracy as the reference line."""
        shown = self.slices[: self.options.top]
        return Plot(
            kind="bar",
            title=title,
            ylabel="accuracy",
            categories=[s.description for s in shown],
            series=[
                Series(
                    label="slice accuracy",
                    x=list(range(len(shown))),
                    y=[s.accuracy for s in shown],
                )
            ],
            reference_line=self.overall_accuracy,
            alt=(
                f"Accuracy of the {len(shown)} worst slices against overall accuracy "
                f"{self.overall_accuracy:.3f}."
            ),
        ).model_dump()


def feature_frame(X: pd.DataFrame | np.ndarray) -> pd.DataFrame | None:
    """Named features of a data set: a table's columns, a numeric 2-D array's columns as
    ``x0``, ``x1`` …; ``None`` for images, raw text and other inputs without them."""
    if isinstance(X, pd.DataFrame):
        return X
    if X.ndim == 2 and np.issubdtype(X.dtype, np.number):
        return pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    return None


def slice_frame(
    X: pd.DataFrame | np.ndarray, y: np.ndarray | None
) -> tuple[pd.DataFrame, set[str]]:
    """The columns to slice on and which of them are categorical: the features
    (:func:`feature_frame`), or for data without them the true class alone."""
    features = feature_frame(X)
    if features is not None:
        return features, set()
    if y is None:
        raise InputError("slicing data without features needs its labels")
    return pd.DataFrame({LABEL_COLUMN: y}), {LABEL_COLUMN}


def _conditions(
    frame: pd.DataFrame, categorical: Collection[str], options: SliceOptions
) -> list[tuple[str, str, np.ndarray]]:
    """(description, feature, rows) for each one-feature condition of at least min_size rows."""
    found = []
    for col in frame.columns:
        name = str(col)
        column = frame[col]
        numeric = (
            pd.api.types.is_numeric_dtype(column)
            and not pd.api.types.is_bool_dtype(column)
            and name not in categorical
        )
        if numeric and column.nunique() > options.bins:
            x = column.to_numpy(dtype=float)
            edges = np.unique(np.quantile(x, np.linspace(0.0, 1.0, options.bins + 1))[1:-1])
            which = np.searchsorted(edges, x, side="left")
            for b in range(len(edges) + 1):
                if b == 0:
                    text = f"{name} ≤ {edges[0]:.4g}"
                elif b == len(edges):
                    text = f"{name} > {edges[-1]:.4g}"
                else:
                    text = f"{edges[b - 1]:.4g} < {name} ≤ {edges[b]:.4g}"
                found.append((text, name, which == b))
        else:
            for value in column.value_counts().index:
                found.append((f"{name} = {value}", name, (column == value).to_numpy()))
    return [c for c in found if c[2].sum() >= options.min_size]


def find_slices(
    frame: pd.DataFrame,
    correct: np.ndarray,
    categorical: Collection[str] = (),
    options: SliceOptions | None = None,
) -> SliceSearch:
    """Test one- and two-feature slices of ``frame`` for accuracy below overall.

    ``correct`` holds one boolean per row (prediction equals label); ``categorical`` names
    columns to slice by value even when numeric.
    """
    options = options or SliceOptions()
    correct = np.asarray(correct, dtype=bool)
    overall = float(correct.mean())
    singles = _conditions(frame, categorical, options)
    by_gap = sorted(singles, key=lambda c: float(correct[c[2]].mean()))[: options.beam]
    pairs = []
    for (text_a, feat_a, rows_a), (text_b, feat_b, rows_b) in combinations(by_gap, 2):
        if feat_a == feat_b:
            continue
        rows = rows_a & rows_b
        size = int(rows.sum())
        if size >= options.min_size and size < min(rows_a.sum(), rows_b.sum()):
            pairs.append((f"{text_a} & {text_b}", (feat_a, feat_b), rows))
    candidates = [(text, (feat,), rows) for text, feat, rows in singles] + pairs
    z = float(stats.norm.ppf(1.0 - options.alpha / max(len(candidates), 1)))
    tested = []
    for text, feats, rows in candidates:
        n = int(rows.sum())
        accuracy = float(correct[rows].mean())
        tested.append(
            Slice(
                description=text,
                features=feats,
                mask=rows,
                accuracy=accuracy,
                gap=overall - accuracy,
                gap_lower_bound=overall - wilson_upper(accuracy, n, z),
            )
        )
    tested.sort(key=lambda s: (-s.gap_lower_bound, -s.size, len(s.features), s.description))
    return SliceSearch(overall_accuracy=overall, slices=tuple(tested), options=options)


def wilson_upper(proportion: float, n: int, z: float) -> float:
    """Upper end of the Wilson score interval for a proportion observed in ``n`` trials
    (Wilson, JASA 1927): unlike the normal approximation, sound at proportions near 0 or 1."""
    z2 = z * z
    centre = proportion + z2 / (2 * n)
    spread = z * np.sqrt(proportion * (1 - proportion) / n + z2 / (4 * n * n))
    return float(min(1.0, (centre + spread) / (1 + z2 / n)))
