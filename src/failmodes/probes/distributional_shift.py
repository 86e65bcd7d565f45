"""Distributional shift: does production data still look like the data the model was validated on?

The probe compares the *reference* data (the test set when no reference set is given) with
*production* data, in four ways:

1. **Per feature** — Kolmogorov–Smirnov for numeric features, chi-squared for categorical ones,
   with Benjamini–Hochberg correction across features, plus PSI, Jensen–Shannon and
   Wasserstein-1 as effect sizes (:func:`failmodes.monitor.drift.compare`). Methods and their
   order follow Rabanser, Günnemann and Lipton, *Failing Loudly* (NeurIPS 2019), who found
   univariate tests with a correction a strong baseline for detecting shift.
2. **Multivariate** — the classifier two-sample test of Lopez-Paz and Oquab (ICLR 2017): the
   AUC of a classifier that tells reference rows from production rows, which also sees shifts
   in how features move together.
3. **Prediction drift** — PSI of the model's scores (binary scorers) or predicted classes,
   reference against production: the shift the model itself reacts to, label shift included
   (Lipton, Wang and Smola, ICML 2018), without needing labels.
4. **Performance** — accuracy on labelled production rows against accuracy on the reference
   (or test) labels, when production has labels.

Everything about the data is computed from mergeable summaries
(:mod:`failmodes.monitor.summaries`), summarized here chunk by chunk — the same code a
distributed engine would run per partition. Only the model-based parts (3 and 4) query the
target, on at most ``sample_size`` rows of each data set.

Options (``ctx.options``):

``alpha``         false-discovery rate for the per-feature tests (default 0.05)
``bins``          reference-quantile bins per numeric feature (default 10)
``sample_size``   rows kept in each summary's sample (KS, domain classifier) and rows per data
                  set sent to the model (default 5000); the query budget lowers the latter
``numeric_test``  ``ks`` (default) or ``chi2`` (binned counts, no sample needed)
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import reduce
from typing import Any, Literal, cast

import numpy as np
import pandas as pd

from failmodes.errors import DataError, InputError
from failmodes.findings import Plot, Series
from failmodes.monitor.drift import (
    FeatureDrift,
    aligned_counts,
    categories,
    compare,
    domain_classifier_test,
    finite_edges,
)
from failmodes.monitor.summaries import (
    CategoricalSummary,
    ColumnSpec,
    NumericSummary,
    Summary,
    SummarySpec,
    merge,
    summarize,
)
from failmodes.probes.base import Measurement, Need, Probe, ProbeContext, ProbeSpec
from failmodes.targets.base import Capability, Target
from failmodes.targets.datasets import Dataset, select_rows

MODE = "distributional_shift"
#: Rows summarized at a time: the unit of work a distributed engine would get.
CHUNK_ROWS = 100_000
#: Distribution plots in the evidence (the most shifted features first).
MAX_PLOTS = 6
#: Categories shown in a bar plot of a categorical feature.
MAX_CATEGORIES = 20


class DistributionalShiftProbe(Probe):
    """Reference against production: per-feature and multivariate drift, prediction drift and
    the accuracy drop where production has labels."""

    spec = ProbeSpec(
        id="distributional_shift",
        name="Distributional shift",
        summary=(
            "Compares production data with the reference (or test) data: per-feature KS and "
            "chi-squared tests with Benjamini–Hochberg correction, PSI, Wasserstein and "
            "Jensen–Shannon distances, a domain-classifier test, prediction drift, and the "
            "accuracy drop where production has labels."
        ),
        failure_modes=(MODE,),
        needs=frozenset({Need.PRODUCTION_DATA, Need.TABULAR_DATA}),
        tags=frozenset({"drift", "monitoring", "data", "tabular"}),
        references=(
            "Rabanser, Günnemann, Lipton. Failing Loudly: An Empirical Study of Methods for "
            "Detecting Dataset Shift. NeurIPS 2019",
            "Lopez-Paz, Oquab. Revisiting Classifier Two-Sample Tests. ICLR 2017",
            "Benjamini, Hochberg. Controlling the False Discovery Rate. JRSS B 1995",
            "Lipton, Wang, Smola. Detecting and Correcting for Label Shift with Black Box "
            "Predictors. ICML 2018",
            "Siddiqi. Credit Risk Scorecards (population stability index). Wiley 2006",
        ),
    )

    def run(self, ctx: ProbeContext) -> Iterator[Measurement]:
        alpha = float(ctx.options.get("alpha", 0.05))
        bins = int(ctx.options.get("bins", 10))
        sample_size = int(ctx.options.get("sample_size", 5000))
        numeric_test = str(ctx.options.get("numeric_test", "ks"))
        if numeric_test not in ("ks", "chi2"):
            raise InputError(f"option numeric_test must be 'ks' or 'chi2', got {numeric_test!r}")
        role = "reference" if ctx.data.reference is not None else "test"
        if getattr(ctx.data, role) is None:
            raise DataError(
                "distributional shift needs reference or test data to compare production with "
                "(profile `target.data.reference` or `target.data.test`)."
            )
        reference, production = ctx.dataset(role), ctx.dataset("production")
        ref_frame, prod_frame = _frame(reference), _frame(production)
        spec = SummarySpec.from_reference(
            ref_frame,
            categorical=ctx.data.categorical(),
            bins=bins,
            sample_size=sample_size,
            seed=ctx.seed,
        )
        ref_summary = _summarize(ref_frame, spec, ctx, role)
        prod_summary = _summarize(prod_frame, spec, ctx, "production")
        drifts = compare(
            ref_summary,
            prod_summary,
            alpha=alpha,
            numeric_test=cast(Literal["ks", "chi2"], numeric_test),
        )
        yield from _feature_measurements(
            drifts, spec, ref_summary, prod_summary, role=role, alpha=alpha
        )

        domain = domain_classifier_test(
            ref_summary.sample.rows, prod_summary.sample.rows, seed=ctx.seed
        )
        yield Measurement(
            MODE,
            "domain_classifier_auc",
            domain.auc,
            message=(
                f"A classifier tells {role} rows from production rows with AUC {domain.auc:.3f} "
                f"(p = {domain.p_value:.2g}; 0.5 means indistinguishable)."
            ),
            evidence={**domain.model_dump(), "classifier": "HistGradientBoostingClassifier"},
        )
        yield from _model_measurements(
            ctx, reference, production, role=role, sample_size=sample_size, bins=bins
        )


def _frame(dataset: Dataset) -> pd.DataFrame:
    if not isinstance(dataset.X, pd.DataFrame):  # TABULAR_DATA makes this a probe bug
        raise DataError(f"{dataset.name}: distributional shift needs a table of features.")
    return dataset.X


def _summarize(frame: pd.DataFrame, spec: SummarySpec, ctx: ProbeContext, label: str) -> Summary:
    """Summarize chunk by chunk and merge, as a distributed engine would per partition."""
    starts = range(0, len(frame), CHUNK_ROWS)
    chunks = (summarize(frame.iloc[i : i + CHUNK_ROWS], spec) for i in starts)
    return reduce(merge, ctx.progress(chunks, len(starts), f"summarizing {label} data"))


def _feature_measurements(
    drifts: list[FeatureDrift],
    spec: SummarySpec,
    reference: Summary,
    production: Summary,
    *,
    role: str,
    alpha: float,
) -> Iterator[Measurement]:
    drifted = [d for d in drifts if d.drifted]
    columns = {c.name: c for c in spec.columns}
    plots = [
        _distribution_plot(d.feature, columns[d.feature], reference, production, role)
        for d in sorted(drifted, key=lambda d: -d.psi)[:MAX_PLOTS]
    ]
    names = ", ".join(d.feature for d in drifted[:8]) + (" …" if len(drifted) > 8 else "")
    yield Measurement(
        MODE,
        "drifted_feature_share",
        len(drifted) / len(drifts),
        message=(
            f"{len(drifted)} of {len(drifts)} features drifted between {role} and production "
            f"data (Benjamini–Hochberg adjusted p < {alpha})" + (f": {names}." if drifted else ".")
        ),
        evidence={
            "features": [d.model_dump() for d in drifts],
            "drifted": [d.feature for d in drifted],
            "reference": role,
            "rows": {role: reference.count, "production": production.count},
            "alpha": alpha,
            "plots": plots,
        },
    )
    top = max(drifts, key=lambda d: d.psi)
    yield Measurement(
        MODE,
        "max_psi",
        top.psi,
        message=f"The largest population stability index is {top.psi:.3f}, on {top.feature!r}.",
        evidence={"feature": top.feature, "psi": {d.feature: d.psi for d in drifts}},
    )


def _distribution_plot(
    name: str, column: ColumnSpec, reference: Summary, production: Summary, role: str
) -> dict[str, Any]:
    """Reference and production shares over the same bins (numeric) or categories."""
    ref, prod = reference.columns[name], production.columns[name]
    r, q = aligned_counts(ref, prod)
    r, q = r / r.sum(), q / q.sum()
    if isinstance(ref, NumericSummary) and isinstance(prod, NumericSummary):
        edges = finite_edges(column, ref, prod)
        return Plot(
            kind="histogram",
            title=f"{name}: {role} vs production",
            xlabel=name,
            ylabel="share of rows",
            series=[
                Series(label=role, x=edges, y=r.tolist()),
                Series(label="production", x=edges, y=q.tolist()),
            ],
            alt=f"Share of rows per {role}-quantile bin of {name}, {role} against production.",
        ).model_dump()
    names = categories(cast(CategoricalSummary, ref), cast(CategoricalSummary, prod))
    shown = np.argsort(-(r + q), kind="stable")[:MAX_CATEGORIES]
    return Plot(
        kind="bar",
        title=f"{name}: {role} vs production",
        xlabel=name,
        ylabel="share of rows",
        categories=[names[i] for i in shown],
        series=[
            Series(label=role, y=r[shown].tolist()),
            Series(label="production", y=q[shown].tolist()),
        ],
        alt=f"Share of rows per category of {name}, {role} against production.",
    ).model_dump()


def _model_measurements(
    ctx: ProbeContext,
    reference: Dataset,
    production: Dataset,
    *,
    role: str,
    sample_size: int,
    bins: int,
) -> Iterator[Measurement]:
    """Prediction drift and, with production labels, the accuracy drop; both query the
    target on a seeded sample of at most ``sample_size`` rows per data set."""
    target = ctx.target
    baseline = reference if reference.y is not None else ctx.data.test
    y_base = baseline.y if baseline is not None else None
    y_prod = production.y
    labelled = y_prod is not None and y_base is not None
    if target is None:
        yield Measurement(
            MODE,
            "prediction_drift_psi",
            None,
            message="Not measured: no model target is configured, so there are no predictions.",
        )
        return
    sets = 3 if labelled and baseline is not reference else 2
    rows = sample_size if ctx.budget is None else min(sample_size, ctx.budget // sets)
    if rows < 1:
        raise InputError(f"a query budget of {ctx.budget} leaves no rows to predict on")
    rng = ctx.rng
    ref_rows = _sample_rows(rng, reference, rows)
    prod_rows = _sample_rows(rng, production, rows)
    ref_scores, ref_labels = _outputs(target, select_rows(reference.X, ref_rows))
    prod_scores, prod_labels = _outputs(target, select_rows(production.X, prod_rows))
    if ref_scores is not None and prod_scores is not None:
        output = "score"
        before, after = pd.DataFrame({output: ref_scores}), pd.DataFrame({output: prod_scores})
    else:
        output = "predicted_class"
        before = pd.DataFrame({output: ref_labels.astype(str)})
        after = pd.DataFrame({output: prod_labels.astype(str)})
    spec = SummarySpec.from_reference(before, bins=bins, sample_size=rows, seed=ctx.seed)
    ref_summary, prod_summary = summarize(before, spec), summarize(after, spec)
    drift = compare(ref_summary, prod_summary)[0]
    yield Measurement(
        MODE,
        "prediction_drift_psi",
        drift.psi,
        message=(
            f"PSI of the model's {output.replace('_', ' ')}s, {role} against production: "
            f"{drift.psi:.3f} ({drift.test} p = {drift.p_value:.2g})."
        ),
        evidence={
            "output": output,
            "test": drift.test,
            "statistic": drift.statistic,
            "p_value": drift.p_value,
            "rows": {role: len(ref_rows), "production": len(prod_rows)},
            "plots": [_distribution_plot(output, spec.columns[0], ref_summary, prod_summary, role)],
        },
    )
    if baseline is None or y_base is None or y_prod is None:
        return
    if baseline is reference:
        base_rows, base_labels = ref_rows, ref_labels
    else:
        base_rows = _sample_rows(rng, baseline, rows)
        base_labels = _outputs(target, select_rows(baseline.X, base_rows))[1]
    base_accuracy = float(np.mean(base_labels == y_base[base_rows]))
    prod_accuracy = float(np.mean(prod_labels == y_prod[prod_rows]))
    yield Measurement(
        MODE,
        "production_accuracy_drop",
        base_accuracy - prod_accuracy,
        message=(
            f"Accuracy {prod_accuracy:.3f} on labelled production rows against "
            f"{base_accuracy:.3f} on {baseline.name} rows."
        ),
        evidence={
            "baseline": baseline.name,
            "baseline_accuracy": base_accuracy,
            "production_accuracy": prod_accuracy,
            "rows": {baseline.name: len(base_rows), "production": len(prod_rows)},
        },
    )


def _sample_rows(rng: np.random.Generator, dataset: Dataset, size: int) -> np.ndarray:
    if len(dataset) <= size:
        return np.arange(len(dataset))
    return np.sort(rng.choice(len(dataset), size=size, replace=False))


def _outputs(target: Target, X: pd.DataFrame | np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
    """The positive-class score when the target scores two known classes, and labels."""
    classes = target.classes
    if Capability.SCORES in target.capabilities and classes is not None and len(classes) == 2:
        proba = target.predict_proba(X)
        return proba[:, 1], classes[proba.argmax(axis=1)]
    return None, target.predict(X)
