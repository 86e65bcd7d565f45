"""The distributional-shift probe on generated tables and a real scikit-learn model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from failmodes.catalog.loader import load_catalog
from failmodes.findings import Finding, Status
from failmodes.probes.base import Measurement, ProbeContext, RunStatus
from failmodes.probes.distributional_shift import DistributionalShiftProbe
from failmodes.probes.runner import run_probe
from failmodes.targets.callable import CallableTarget
from failmodes.targets.datasets import DataBundle, Dataset
from failmodes.targets.sklearn import SklearnTarget

N = 1000
NUMERIC = [f"x{i}" for i in range(10)]


def table(
    rng: np.random.Generator, n: int, *, concept: float = 1.0, shift: bool = False
) -> Dataset:
    """Ten numeric and two categorical features; the label depends on x0, x2, x5 and channel.

    ``shift`` drifts exactly two columns — a mean shift of x2 and a rebalanced channel — and
    ``concept`` = -1 reverses the relation between features and label.
    """
    X = pd.DataFrame(rng.normal(size=(n, 10)), columns=NUMERIC)
    X["x3"] = np.exp(X["x3"])
    X["x2"] += 0.5 if shift else 0.0
    channels = [0.3, 0.3, 0.4] if shift else [0.5, 0.3, 0.2]
    X["channel"] = rng.choice(["web", "app", "shop"], n, p=channels)
    X["tier"] = rng.choice(["a", "b"], n)
    logit = concept * (1.5 * X["x0"] + X["x2"] - X["x5"]) + (X["channel"] == "shop")
    y = (logit + rng.logistic(size=n) * 0.5 > 0).astype(int).to_numpy()
    return Dataset("data", X, y)


@pytest.fixture(scope="module")
def target() -> SklearnTarget:
    train = table(np.random.default_rng(0), 2000)
    model = make_pipeline(
        make_column_transformer((OneHotEncoder(), ["channel", "tier"]), remainder=StandardScaler()),
        LogisticRegression(max_iter=1000),
    )
    return SklearnTarget(model.fit(train.X, train.y))


@pytest.fixture(scope="module")
def reference() -> Dataset:
    data = table(np.random.default_rng(1), N)
    return Dataset("reference", data.X, data.y)


def measure(ctx: ProbeContext) -> dict[str, Measurement]:
    return {m.metric: m for m in DistributionalShiftProbe().run(ctx)}


@pytest.fixture(scope="module")
def shifted(target: SklearnTarget, reference: Dataset) -> dict[str, Measurement]:
    production = table(np.random.default_rng(2), N, shift=True)
    data = DataBundle(reference=reference, production=production)
    return measure(ProbeContext(profile=None, target=target, data=data, seed=0))


@pytest.fixture(scope="module")
def stable(target: SklearnTarget, reference: Dataset) -> dict[str, Measurement]:
    production = table(np.random.default_rng(2), N)
    data = DataBundle(reference=reference, production=production)
    return measure(ProbeContext(profile=None, target=target, data=data, seed=0))


def test_drift_in_two_columns_is_found_in_those_two_only(shifted: dict[str, Measurement]) -> None:
    share = shifted["drifted_feature_share"]
    assert share.evidence["drifted"] == ["x2", "channel"]
    assert share.value == pytest.approx(2 / 12)
    table_rows = {row["feature"]: row for row in share.evidence["features"]}
    assert len(table_rows) == 12
    assert table_rows["x2"]["test"] == "ks" and table_rows["channel"]["test"] == "chi2"
    assert table_rows["x2"]["p_adjusted"] < 1e-10
    assert table_rows["x2"]["wasserstein"] == pytest.approx(0.5, abs=0.1)
    plots = share.evidence["plots"]
    assert {p["kind"] for p in plots} == {"histogram", "bar"}
    histogram = next(p for p in plots if p["kind"] == "histogram")
    reference_series, production_series = histogram["series"]
    assert reference_series["x"] == production_series["x"]  # the same bin edges
    assert len(reference_series["x"]) == len(reference_series["y"]) + 1
    assert sum(production_series["y"][5:]) > sum(reference_series["y"][5:]) + 0.1
    assert shifted["max_psi"].evidence["feature"] in ("x2", "channel")
    assert shifted["max_psi"].value > 0.1


def test_shift_moves_the_domain_classifier_and_the_predictions(
    shifted: dict[str, Measurement], stable: dict[str, Measurement]
) -> None:
    auc = shifted["domain_classifier_auc"]
    assert auc.value > 0.6 and auc.evidence["p_value"] < 1e-6
    assert auc.evidence["rows_per_side"] == N
    # x2 and channel feed the model, so its scores move too.
    assert shifted["prediction_drift_psi"].value > 0.1
    assert shifted["prediction_drift_psi"].evidence["output"] == "score"
    # Covariate shift with the same concept: accuracy holds.
    assert abs(shifted["production_accuracy_drop"].value) < 0.05


def test_no_drift_between_two_samples_of_the_same_distribution(
    stable: dict[str, Measurement],
) -> None:
    assert stable["drifted_feature_share"].value == 0.0
    assert stable["drifted_feature_share"].evidence["plots"] == []
    assert stable["max_psi"].value < 0.05
    assert abs(stable["domain_classifier_auc"].value - 0.5) < 0.05
    assert stable["domain_classifier_auc"].evidence["p_value"] > 0.05
    assert stable["prediction_drift_psi"].value < 0.05
    assert abs(stable["production_accuracy_drop"].value) < 0.04


def test_concept_drift_shows_as_an_accuracy_drop(target: SklearnTarget, reference: Dataset) -> None:
    # Same inputs, reversed relation to the label: no feature drifts, accuracy collapses.
    production = table(np.random.default_rng(2), N, concept=-1.0)
    data = DataBundle(test=Dataset("test", reference.X, reference.y), production=production)
    found = measure(ProbeContext(profile=None, target=target, data=data, seed=0))
    assert found["drifted_feature_share"].value == 0.0
    assert found["drifted_feature_share"].evidence["reference"] == "test"
    drop = found["production_accuracy_drop"]
    assert drop.value > 0.3
    assert drop.evidence["baseline_accuracy"] > 0.8


def test_runner_verdicts_use_the_catalog_ids_and_thresholds(
    target: SklearnTarget, reference: Dataset
) -> None:
    mode = load_catalog().get("distributional_shift")
    production = table(np.random.default_rng(2), N, shift=True)
    data = DataBundle(reference=reference, production=Dataset("production", production.X))
    run = run_probe(
        DistributionalShiftProbe(),
        ProbeContext(profile=None, target=target, data=data, seed=0, budget=600),
        lambda mode_id, metric: (mode.threshold_for(metric), mode.severity.default),
    )
    assert run.status == RunStatus.RAN
    found: dict[str, Finding] = {f.metric: f for f in run.findings}
    # No production labels: no accuracy drop; every other metric is a catalog indicator.
    assert set(found) == {
        "drifted_feature_share",
        "max_psi",
        "domain_classifier_auc",
        "prediction_drift_psi",
    }
    assert all(mode.threshold_for(metric) is not None for metric in found)
    assert found["drifted_feature_share"].status == Status.WARN  # 2/12 between 0.1 and 0.3
    assert found["max_psi"].status in (Status.WARN, Status.FAIL)
    # The budget of 600 queries caps the rows sent to the model: 300 per data set.
    assert run.queries == 600
    assert found["prediction_drift_psi"].evidence["rows"] == {"reference": 300, "production": 300}


def test_without_a_target_only_the_data_is_compared(reference: Dataset) -> None:
    production = table(np.random.default_rng(2), N)
    data = DataBundle(reference=reference, production=production)
    found = measure(ProbeContext(profile=None, target=None, data=data, seed=0))
    assert found["prediction_drift_psi"].value is None
    assert "no model target" in found["prediction_drift_psi"].message
    assert "production_accuracy_drop" not in found


def test_without_reference_or_test_data_the_run_says_why(reference: Dataset) -> None:
    data = DataBundle(train=reference, production=reference)
    run = run_probe(
        DistributionalShiftProbe(),
        ProbeContext(profile=None, target=None, data=data, seed=0),
        lambda mode_id, metric: (None, None),
    )
    assert run.status == RunStatus.ERROR
    assert "reference or test data" in (run.reason or "")
    bad_option = run_probe(
        DistributionalShiftProbe(),
        ProbeContext(
            profile=None,
            target=None,
            data=DataBundle(reference=reference, production=reference),
            seed=0,
            options={"numeric_test": "t-test"},
        ),
        lambda mode_id, metric: (None, None),
    )
    assert bad_option.status == RunStatus.ERROR
    assert "numeric_test must be 'ks' or 'chi2'" in (bad_option.reason or "")


def test_same_seed_same_findings(
    shifted: dict[str, Measurement], target: SklearnTarget, reference: Dataset
) -> None:
    production = table(np.random.default_rng(2), N, shift=True)
    data = DataBundle(reference=reference, production=production)
    again = measure(ProbeContext(profile=None, target=target, data=data, seed=0))
    assert {k: (m.value, m.evidence) for k, m in again.items()} == {
        k: (m.value, m.evidence) for k, m in shifted.items()
    }


def test_labels_only_target_gives_class_drift_and_a_test_baseline(
    target: SklearnTarget, reference: Dataset
) -> None:
    labels_only = CallableTarget(target.estimator.predict, name="labels-only API")
    unlabelled = Dataset("reference", reference.X)
    test = table(np.random.default_rng(4), N)
    production = table(np.random.default_rng(2), N, shift=True)
    data = DataBundle(
        reference=unlabelled, test=Dataset("test", test.X, test.y), production=production
    )
    ctx = ProbeContext(profile=None, target=labels_only, data=data, seed=0, budget=900)
    found = measure(ctx)
    drift = found["prediction_drift_psi"]
    assert drift.evidence["output"] == "predicted_class" and drift.evidence["test"] == "chi2"
    assert drift.evidence["plots"][0]["kind"] == "bar"
    assert drift.value > 0.05  # measured 0.11: more rows land in the positive class
    # Accuracy baseline from the labelled test set, predicted separately: 3 sets share the budget.
    drop = found["production_accuracy_drop"]
    assert drop.evidence["baseline"] == "test"
    assert drop.evidence["rows"] == {"test": 300, "production": 300}
    assert labels_only.queries == 900
