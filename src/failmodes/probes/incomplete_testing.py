"""Incomplete testing: does the test set show where the model fails, and does it look like
production?

Three measurements of test adequacy:

- **Worst slice** — accuracy per slice with automatic discovery of the worst slices
  (:mod:`failmodes.probes.slices`: the idea of Slice Finder, Chung et al., ICDE 2019, and
  Domino, Eyuboglu et al., ICLR 2022, in a simpler form). A large gap means an average test
  score hides a group the model fails.
- **Coverage of production** (when production data is given) — the AUC of a domain
  classifier trained to tell test rows from production rows, scored out of fold: the
  classifier two-sample test of Lopez-Paz and Oquab ("Revisiting Classifier Two-Sample
  Tests", ICLR 2017), read as an effect size rather than a p-value — the same test the
  ``distributional_shift`` probe runs (:func:`failmodes.monitor.drift.domain_classifier_test`),
  here on test against production rather than reference against production. 0.5 means the
  test set looks like production; images are compared pixel by pixel. Also, as information,
  the share of production rows with a value outside the test set's range of some feature (or
  a category the test set never had): inputs the test never exercised.
- **Calibration** (when the target gives scores) — expected calibration error, Guo et al.,
  ICML 2017, as information; and, when production has labels, the online–offline gap (test
  accuracy minus production accuracy).

The coverage part needs no model and runs first, so it is kept even when the rest cannot run.
Queries: one ``predict`` per test row, one ``predict_proba`` per test row when the target
gives scores, one ``predict`` per labelled production row.

Options: ``coverage_max_rows`` (2000: rows per side for the domain classifier, drawn at
random) and the slice options of :class:`~failmodes.probes.slices.SliceOptions`.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from failmodes.errors import DataError
from failmodes.monitor.drift import domain_classifier_test
from failmodes.probes.base import Measurement, Need, Probe, ProbeContext, ProbeSpec
from failmodes.probes.calibration import reliability, scored_predictions
from failmodes.probes.slices import SliceOptions, feature_frame, find_slices, slice_frame
from failmodes.targets.base import Capability
from failmodes.targets.datasets import Dataset

MODE = "incomplete_testing"


def comparable_frame(X: pd.DataFrame | np.ndarray) -> pd.DataFrame | None:
    """Rows as a table the domain classifier can read: the features, or an image's pixels;
    ``None`` for raw text, which has no features to compare."""
    features = feature_frame(X)
    if features is not None:
        return features
    if isinstance(X, np.ndarray) and np.issubdtype(X.dtype, np.number):
        return pd.DataFrame(X.reshape(len(X), -1))
    return None


def outside_test_range(
    test: pd.DataFrame, production: pd.DataFrame
) -> tuple[float, dict[str, float]]:
    """Share of production rows with some value the test set never had: a numeric value
    outside the test set's [min, max], or an unseen category; and that share per feature."""
    outside = np.zeros(len(production), dtype=bool)
    per_feature = {}
    for col in test.columns:
        a, b = test[col], production[col]
        if pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b):
            out = ((b < a.min()) | (b > a.max())).to_numpy()
        else:
            out = (~b.isin(set(a))).to_numpy()
        outside |= out
        per_feature[str(col)] = float(out.mean())
    return float(outside.mean()), per_feature


class IncompleteTesting(Probe):
    """Worst-slice accuracy, test–production coverage and calibration of the test set.

    Slices after Slice Finder (Chung et al., ICDE 2019), simplified to one- and two-feature
    conditions with a Wilson bound; coverage by a classifier two-sample test (Lopez-Paz and
    Oquab, ICLR 2017); ECE as in Guo et al. (ICML 2017).
    """

    spec = ProbeSpec(
        id="incomplete_testing",
        name="Incomplete testing",
        summary=(
            "Finds the slices of the test set where the model is worst, measures how well the "
            "test set covers production (domain-classifier AUC), and its calibration error."
        ),
        failure_modes=(MODE,),
        needs=frozenset({Need.TEST_DATA, Need.LABELS}),
        tags=frozenset({"unintentional", "slices", "coverage", "calibration"}),
        references=(
            "Chung, Kraska, Polyzotis, Tae, Whang. Slice Finder: Automated Data Slicing for "
            "Model Validation. ICDE 2019",
            "Eyuboglu et al. Domino: Discovering Systematic Errors with Cross-Modal "
            "Embeddings. ICLR 2022",
            "Lopez-Paz, Oquab. Revisiting Classifier Two-Sample Tests. ICLR 2017",
            "Guo, Pleiss, Sun, Weinberger. On Calibration of Modern Neural Networks. ICML 2017",
        ),
    )

    def run(self, ctx: ProbeContext) -> Iterator[Measurement]:
        slicing = SliceOptions.from_options(ctx.options)
        max_rows = int(ctx.options.get("coverage_max_rows", 2000))
        test = ctx.dataset("test")
        production = ctx.data.production
        if production is not None:
            yield from self._coverage(ctx, test, production, max_rows)
        if test.y is None:
            raise DataError(
                "incomplete_testing needs labelled test data for slices; name the label column "
                "(profile `target.label_column`)."
            )
        assert ctx.target is not None  # the runner checked Need.LABELS
        y = np.asarray(test.y)
        correct = np.asarray(ctx.target.predict(test.X) == y, dtype=bool)
        frame, categorical = slice_frame(test.X, y)
        search = find_slices(frame, correct, set(ctx.data.categorical()) | categorical, slicing)
        top = search.slices[0] if search.slices else None
        yield Measurement(
            MODE,
            "worst_slice_accuracy_gap",
            search.worst_gap,
            message=(
                f"accuracy {top.accuracy:.1%} on {top.description} ({top.size} rows) against "
                f"{search.overall_accuracy:.1%} overall"
                if top is not None and top.significant
                else f"no slice of the test set ({len(search.slices)} tested) is significantly "
                "less accurate than overall"
            ),
            evidence={**search.evidence(), "plots": [search.plot("Worst slices of the test set")]},
        )
        if Capability.SCORES in ctx.target.capabilities:
            scored = scored_predictions(ctx.target, test.X)
            calibration = reliability(scored.confidence, scored.labels == y)
            yield Measurement(
                MODE,
                "calibration_error",
                calibration.ece,
                message=f"expected calibration error {calibration.ece:.3f} on the test set",
                evidence={
                    **calibration.evidence(),
                    "plots": [calibration.plot("Reliability diagram of the test set")],
                },
            )
        if production is not None and production.y is not None:
            live = float(np.mean(ctx.target.predict(production.X) == np.asarray(production.y)))
            offline = search.overall_accuracy
            yield Measurement(
                MODE,
                "online_offline_gap",
                offline - live,
                message=f"accuracy {offline:.1%} on the test set, {live:.1%} on production",
                evidence={"test_accuracy": offline, "production_accuracy": live},
            )

    def _coverage(
        self, ctx: ProbeContext, test: Dataset, production: Dataset, max_rows: int
    ) -> Iterator[Measurement]:
        left, right = comparable_frame(test.X), comparable_frame(production.X)
        if left is None or right is None:
            yield Measurement(
                MODE,
                "test_production_auc",
                None,
                message="raw text has no features to compare test and production rows on",
            )
            return
        if left.shape[1] != right.shape[1]:
            raise DataError(
                f"test rows have {left.shape[1]} features but production rows "
                f"{right.shape[1]}; they must match."
            )
        domain = domain_classifier_test(left, right, seed=ctx.seed, max_rows=max_rows)
        yield Measurement(
            MODE,
            "test_production_auc",
            domain.auc,
            message=(
                f"a classifier tells production rows from test rows with AUC {domain.auc:.3f} "
                "(0.5: the test set looks like production)"
            ),
            evidence={
                "rows_per_side": domain.rows_per_side,
                "folds": domain.folds,
                "p_value": domain.p_value,
                "classifier": "HistGradientBoosting, out-of-fold scores",
            },
        )
        test_frame, production_frame = feature_frame(test.X), feature_frame(production.X)
        if test_frame is not None and production_frame is not None:
            share, per_feature = outside_test_range(test_frame, production_frame)
            worst = sorted(per_feature.items(), key=lambda kv: -kv[1])
            yield Measurement(
                MODE,
                "production_outside_test_range",
                share,
                message=(
                    f"{share:.1%} of production rows have a value outside the test set's range "
                    "of some feature"
                    + (f" (most often {worst[0][0]}: {worst[0][1]:.1%})" if share else "")
                ),
                evidence={"by_feature": dict(worst)},
            )
