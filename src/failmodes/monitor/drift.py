"""Drift between two summaries: per-feature tests with a multiple-testing correction, and a
multivariate classifier two-sample test.

Per feature (:func:`compare`), on the summaries of :mod:`failmodes.monitor.summaries`:

* **significance** — the two-sample Kolmogorov–Smirnov test for numeric columns, on the
  summaries' row samples (exact when a data set fits in its sample), or Pearson's chi-squared
  test of homogeneity on the category counts (categorical columns) and on the binned counts
  (numeric columns, with ``numeric_test="chi2"``: the fully mergeable choice, no sample needed).
  p-values are adjusted across features with Benjamini and Hochberg's false-discovery-rate
  procedure (JRSS B 1995), and a feature has *drifted* when its adjusted p-value is below
  ``alpha``.
* **size** — the population stability index over the reference-quantile bins or categories
  (Siddiqi, *Credit Risk Scorecards*, 2006; by convention < 0.1 stable, 0.1–0.25 moderate,
  > 0.25 significant), the Jensen–Shannon distance (base 2, in [0, 1]) and, for numeric
  columns, the Wasserstein-1 distance between the binned distributions, in units of the
  reference standard deviation.

A p-value answers "is there a difference?", and with a million rows almost any difference is
significant; PSI, Jensen–Shannon and Wasserstein answer "how large is it?". Read them together.

Multivariate (:func:`domain_classifier_test`): the classifier two-sample test of Lopez-Paz and
Oquab (ICLR 2017) — a classifier learns to tell reference rows from production rows, and its
AUC says how separable they are (0.5: indistinguishable). It catches shifts in the joint
distribution that no single feature shows. We differ from the paper in scoring every row out of
fold (k-fold cross-fitting) instead of holding out half, and in testing the AUC, not the
accuracy: the AUC is the Mann–Whitney U statistic over ``n₁n₂``, so its p-value is that test's.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict
from scipy.spatial.distance import jensenshannon
from scipy.stats import (
    chi2_contingency,
    false_discovery_control,
    ks_2samp,
    mannwhitneyu,
    wasserstein_distance,
)
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from threadpoolctl import threadpool_limits

from failmodes.errors import InputError
from failmodes.monitor.summaries import (
    CategoricalSummary,
    ColumnSpec,
    ColumnSummary,
    NumericSummary,
    Summary,
    is_numeric,
)


class FeatureDrift(BaseModel):
    """The drift of one feature between reference and production."""

    model_config = ConfigDict(frozen=True)

    feature: str
    kind: Literal["numeric", "categorical"]
    test: Literal["ks", "chi2"]
    statistic: float
    p_value: float
    p_adjusted: float
    psi: float
    js_distance: float
    wasserstein: float | None  # in reference standard deviations; None for categorical
    drifted: bool


class DomainTest(BaseModel):
    """A classifier two-sample test: how well a classifier tells the two data sets apart."""

    model_config = ConfigDict(frozen=True)

    auc: float
    p_value: float
    rows_per_side: int
    folds: int


def compare(
    reference: Summary,
    production: Summary,
    *,
    alpha: float = 0.05,
    numeric_test: Literal["ks", "chi2"] = "ks",
) -> list[FeatureDrift]:
    """Test every column of the spec for drift, with Benjamini–Hochberg adjusted p-values."""
    if reference.spec != production.spec:
        raise InputError("expected summaries made with the same spec, got two different specs")
    if reference.count == 0 or production.count == 0:
        raise InputError("expected two summaries of at least one row each, got an empty one")
    raw = []
    for column in reference.spec.columns:
        ref, prod = reference.columns[column.name], production.columns[column.name]
        r, q = aligned_counts(ref, prod)
        if column.kind == "numeric" and numeric_test == "ks":
            result = ks_2samp(
                reference.sample.rows[column.name].to_numpy(float),
                production.sample.rows[column.name].to_numpy(float),
            )
            test, statistic, p_value = "ks", float(result.statistic), float(result.pvalue)
        else:
            test, (statistic, p_value) = "chi2", chi_squared(r, q)
        raw.append((column, test, statistic, p_value, r, q, ref, prod))
    adjusted = false_discovery_control([row[3] for row in raw], method="bh")
    return [
        FeatureDrift(
            feature=column.name,
            kind=column.kind,
            test=test,
            statistic=statistic,
            p_value=p_value,
            p_adjusted=float(p_adj),
            psi=psi(r, q),
            js_distance=float(jensenshannon(r / r.sum(), q / q.sum(), base=2)),
            wasserstein=binned_wasserstein(ref, prod),
            drifted=bool(p_adj < alpha),
        )
        for (column, test, statistic, p_value, r, q, ref, prod), p_adj in zip(
            raw, adjusted, strict=True
        )
    ]


def aligned_counts(reference: ColumnSummary, production: ColumnSummary) -> tuple[np.ndarray, ...]:
    """Reference and production counts over the same bins (numeric) or categories (the union
    of both sets' categories, sorted)."""
    if isinstance(reference, NumericSummary) and isinstance(production, NumericSummary):
        return reference.histogram.astype(float), production.histogram.astype(float)
    if isinstance(reference, CategoricalSummary) and isinstance(production, CategoricalSummary):
        names = categories(reference, production)
        return (
            np.array([reference.counts.get(c, 0) for c in names], dtype=float),
            np.array([production.counts.get(c, 0) for c in names], dtype=float),
        )
    raise InputError(
        "expected two summaries of the same column kind, got a numeric and a categorical"
    )


def categories(reference: CategoricalSummary, production: CategoricalSummary) -> list[str]:
    """The categories of either set, sorted: the order of :func:`aligned_counts`."""
    return sorted(set(reference.counts) | set(production.counts))


def psi(reference_counts: np.ndarray, production_counts: np.ndarray) -> float:
    """Population stability index ``Σ (q − p) ln(q / p)`` over aligned bins.

    Half a count is added to every bin of both sets (additive smoothing) so that a bin empty on
    one side gives a large but finite term instead of infinity.
    """
    p = (reference_counts + 0.5) / (reference_counts.sum() + 0.5 * len(reference_counts))
    q = (production_counts + 0.5) / (production_counts.sum() + 0.5 * len(production_counts))
    return float(np.sum((q - p) * np.log(q / p)))


def chi_squared(reference_counts: np.ndarray, production_counts: np.ndarray) -> tuple[float, float]:
    """Pearson's chi-squared test of homogeneity on a 2 × k table; bins empty in both sets are
    dropped, and one remaining bin means nothing to test (statistic 0, p-value 1)."""
    table = np.vstack([reference_counts, production_counts])
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        return 0.0, 1.0
    result = chi2_contingency(table, correction=False)
    return float(result.statistic), float(result.pvalue)


def finite_edges(
    spec: ColumnSpec, reference: NumericSummary, production: NumericSummary
) -> list[float]:
    """The bin edges with the open ends closed at the smallest and largest value seen."""
    low = min(reference.minimum, production.minimum, *spec.edges)
    high = max(reference.maximum, production.maximum, *spec.edges)
    return [low, *spec.edges, high]


def binned_wasserstein(reference: ColumnSummary, production: ColumnSummary) -> float | None:
    """Wasserstein-1 distance from the histograms, in units of the reference standard
    deviation; None for categorical columns.

    Each bin's mass is placed at the mean of its values (bin sum over bin count), and the
    distance between the two discrete distributions is exact; what is lost is only how the
    values spread within a bin, so the error is bounded by the bins' widths — small where the
    quantile bins are narrow, and no worse in the open-ended tails than where the mass sits.
    """
    if not (isinstance(reference, NumericSummary) and isinstance(production, NumericSummary)):
        return None
    r, q = reference.histogram > 0, production.histogram > 0
    distance = float(
        wasserstein_distance(
            reference.bin_sums[r] / reference.histogram[r],
            production.bin_sums[q] / production.histogram[q],
            reference.histogram[r],
            production.histogram[q],
        )
    )
    return distance / reference.std if reference.std > 0 else distance


def domain_classifier_test(
    reference: pd.DataFrame,
    production: pd.DataFrame,
    *,
    seed: int,
    folds: int = 5,
    max_rows: int = 2000,
) -> DomainTest:
    """Classifier two-sample test: can a model tell the two sides' rows apart?

    Both sides are cut to the same size — the smaller side's, at most ``max_rows`` — by a
    seeded random sample of each, never its first rows, which in a time-ordered file are its
    oldest; equal sizes make AUC 0.5 mean no signal. A gradient-boosted tree ensemble scores
    each row out of fold; non-numeric
    columns enter as codes. The ensemble trains on one thread: the same result on any machine,
    and no OpenMP threads spinning against each other on a busy one.
    """
    rows = min(len(reference), len(production), max_rows)
    folds = min(folds, rows)
    if folds < 2:
        raise InputError(
            f"expected at least 2 rows on each side for the domain classifier, got {rows}"
        )
    rng = np.random.default_rng(seed)
    both = pd.concat(
        [side.iloc[rng.choice(len(side), rows, replace=False)] for side in (reference, production)],
        ignore_index=True,
    )
    features = np.column_stack(
        [
            both[c].to_numpy(float) if is_numeric(both[c]) else pd.factorize(both[c], sort=True)[0]
            for c in both.columns
        ]
    )
    domain = np.repeat([0, 1], rows)
    classifier = HistGradientBoostingClassifier(
        max_iter=100, max_leaf_nodes=15, early_stopping=False, random_state=seed
    )
    with threadpool_limits(limits=1, user_api="openmp"):
        scores = cross_val_predict(
            classifier,
            features,
            domain,
            cv=StratifiedKFold(folds, shuffle=True, random_state=seed),
            method="predict_proba",
        )[:, 1]
    test = mannwhitneyu(scores[domain == 1], scores[domain == 0], alternative="greater")
    return DomainTest(
        auc=float(test.statistic) / rows**2,
        p_value=float(test.pvalue),
        rows_per_side=rows,
        folds=folds,
    )
