"""Attribute inference: a model that memorised records whose label depends on the sensitive
attribute leaks it; a model that ignores the attribute, or only learned the population trend,
does not."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from failmodes.catalog import load_catalog
from failmodes.findings import Plot, Status
from failmodes.probes.base import ProbeContext, RunStatus
from failmodes.probes.model_inversion import ModelInversionProbe
from failmodes.probes.runner import run_probe
from failmodes.targets.callable import CallableTarget
from failmodes.targets.datasets import DataBundle, Dataset
from failmodes.targets.sklearn import SklearnTarget

CATALOG = load_catalog()
FEATURES = ["a", "b", "c", "d"]


def lookup(mode_id: str, metric: str):
    mode = CATALOG.get(mode_id)
    return mode.threshold_for(metric), mode.severity.default


@pytest.fixture(scope="module")
def data() -> DataBundle:
    """The label is the smoker flag with 20 % of labels flipped, and 1 when `a` is high."""
    rng = np.random.default_rng(0)
    n = 800
    X = pd.DataFrame(rng.normal(size=(n, 4)), columns=FEATURES)
    X["smoker"] = rng.integers(0, 2, n)
    y = np.where(rng.random(n) < 0.2, 1 - X["smoker"], X["smoker"])
    y = np.where(X["a"] > 1.2, 1, y)
    return DataBundle(
        train=Dataset("train", X.iloc[:400], y[:400]),
        test=Dataset("test", X.iloc[400:], y[400:]),
        sensitive_attribute="smoker",
    )


def fitted(model, data):
    return model.fit(data.train.X, data.train.y)


@pytest.fixture(scope="module")
def memorising(data):
    return fitted(RandomForestClassifier(n_estimators=50, bootstrap=False, random_state=0), data)


def scan(target, data, seed=0, **options):
    ctx = ProbeContext(profile=None, target=target, data=data, seed=seed, options=options)
    run = run_probe(ModelInversionProbe(), ctx, lookup)
    assert run.status == RunStatus.RAN, run.reason
    return run, {f.metric: f for f in run.findings}


@pytest.fixture(scope="module")
def leaky_run(memorising, data):
    return scan(SklearnTarget(memorising), data)


def test_memorising_model_leaks_the_attribute(leaky_run):
    run, found = leaky_run
    advantage = found["attribute_inference_advantage"]
    # Without the model, the label gives the flag away for the 80 % of records not flipped
    # (plus a few more via `a`); the model gives away most of the flipped ones too.
    assert 0.72 < found["attribute_inference_baseline_accuracy"].value < 0.82
    assert advantage.evidence["baseline"] == "imputation"
    assert found["attribute_inference_accuracy"].value > 0.88
    assert advantage.value > 0.1 and advantage.status == Status.FAIL
    assert advantage.value == pytest.approx(
        found["attribute_inference_accuracy"].value
        - found["attribute_inference_baseline_accuracy"].value
    )
    assert run.queries == 2 * 400  # every record once per candidate value
    # forest scores are shares of 50 trees: two decimals
    assert found["confidence_exposure"].value == 2 and found["confidence_exposure"].status == "info"


def test_per_value_plot(leaky_run):
    plot = Plot.model_validate(leaky_run[1]["attribute_inference_advantage"].evidence["plots"][0])
    assert plot.kind == "bar" and plot.categories == ["0", "1"]
    attack, baseline = plot.series
    assert all(a > b for a, b in zip(attack.y, baseline.y, strict=True))


def test_model_that_ignores_the_attribute_does_not_leak(data):
    blind = make_pipeline(
        ColumnTransformer([("keep", "passthrough", FEATURES)]),
        RandomForestClassifier(n_estimators=50, random_state=0),
    )
    _, found = scan(SklearnTarget(fitted(blind, data)), data)
    advantage = found["attribute_inference_advantage"]
    # every candidate explains the label equally, so the attack falls back on the prior
    majority = advantage.evidence["baseline_accuracies"]["majority"]
    assert found["attribute_inference_accuracy"].value == pytest.approx(majority)
    assert advantage.value == 0.0 and advantage.status == Status.PASS
    assert advantage.evidence["raw_difference"] < -0.15


def test_model_that_learned_only_the_trend_does_not_leak(data):
    _, found = scan(SklearnTarget(fitted(LogisticRegression(), data)), data)
    assert found["attribute_inference_advantage"].value < 0.05
    assert found["attribute_inference_advantage"].status == Status.PASS
    assert found["confidence_exposure"].value == 10  # full precision


def test_label_only_attack(memorising, data):
    _, found = scan(CallableTarget(memorising.predict), data)
    # labels alone carry less than scores, but still more than the baseline
    assert 0.04 < found["attribute_inference_advantage"].value < 0.15
    assert found["confidence_exposure"].value == 0


def test_budget_limits_records(memorising, data):
    ctx = ProbeContext(None, SklearnTarget(memorising), data, seed=0, budget=101)
    run = run_probe(ModelInversionProbe(), ctx, lookup)
    assert run.queries == 100  # 50 records × 2 values
    assert run.findings[0].evidence["records"] == 50


def test_continuous_attribute_is_refused(memorising, data):
    bundle = DataBundle(train=data.train, test=data.test, sensitive_attribute="a")
    run = run_probe(
        ModelInversionProbe(), ProbeContext(None, SklearnTarget(memorising), bundle, 0), lookup
    )
    assert run.status == RunStatus.ERROR
    assert "'a' has 800 distinct values; attribute inference needs a categorical" in run.reason


def test_skipped_without_a_sensitive_attribute(memorising, data):
    bundle = DataBundle(train=data.train, test=data.test)
    run = run_probe(
        ModelInversionProbe(), ProbeContext(None, SklearnTarget(memorising), bundle, 0), lookup
    )
    assert run.status == RunStatus.SKIPPED
    assert run.reason == "no sensitive attribute named (profile `target.sensitive_attribute`)."


def test_same_seed_same_findings(memorising, data):
    def values(found):
        return {k: (f.value, f.evidence) for k, f in found.items()}

    _, once = scan(SklearnTarget(memorising), data, max_records=100)
    _, again = scan(SklearnTarget(memorising), data, max_records=100)
    assert values(once) == values(again)
    assert once["attribute_inference_advantage"].evidence["records"] == 100
