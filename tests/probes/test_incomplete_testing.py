"""incomplete_testing: a planted bad slice is found; a test set unlike production is seen."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from failmodes.catalog.loader import load_catalog
from failmodes.catalog.schema import Severity, Threshold
from failmodes.findings import Finding, Plot, Status
from failmodes.probes.base import ProbeContext, ProbeRun, RunStatus
from failmodes.probes.incomplete_testing import IncompleteTesting
from failmodes.probes.runner import run_probe
from failmodes.targets.callable import CallableTarget
from failmodes.targets.datasets import DataBundle, Dataset
from failmodes.targets.sklearn import SklearnTarget

CATALOG = load_catalog()


def lookup(mode: str, metric: str) -> tuple[Threshold | None, Severity | None]:
    entry = CATALOG.get(mode)
    return entry.threshold_for(metric), entry.severity.default


def rows(n: int, rng: np.random.Generator, b_mean: float = 0.0) -> tuple[pd.DataFrame, np.ndarray]:
    """The label is the sign of ``x`` (kept away from 0); ``a``, ``b`` and ``site`` are noise."""
    x = rng.choice([-1, 1], n) * rng.uniform(0.5, 3.0, n)
    frame = pd.DataFrame(
        {
            "a": rng.uniform(0, 1, n),
            "b": rng.normal(b_mean, 1.0, n),
            "x": x,
            "site": rng.choice(["north", "south", "east"], n),
        }
    )
    return frame, (x > 0).astype(int)


@pytest.fixture(scope="module")
def model() -> Any:
    X, y = rows(600, np.random.default_rng(0))
    numeric = make_column_transformer(("passthrough", ["a", "b", "x"]))
    return make_pipeline(numeric, LogisticRegression(C=10)).fit(X, y)


def run(model: Any, data: DataBundle, seed: int = 0, **options: Any) -> ProbeRun:
    ctx = ProbeContext(
        profile=None, target=SklearnTarget(model), data=data, seed=seed, options=options
    )
    return run_probe(IncompleteTesting(), ctx, lookup)


def finding(result: ProbeRun, metric: str) -> Finding:
    return next(f for f in result.findings if f.metric == metric)


@pytest.fixture(scope="module")
def planted(model: Any) -> tuple[DataBundle, ProbeRun]:
    """Labels flipped where ``a`` is in its top decile: the model is wrong on that slice."""
    test, y = rows(600, np.random.default_rng(1))
    top = (test["a"] > test["a"].quantile(0.9)).to_numpy()
    y[top] = 1 - y[top]
    data = DataBundle(test=Dataset("test", test, y), feature_types={"site": "categorical"})
    return data, run(model, data)


def test_planted_slice_is_found_as_the_worst(planted: tuple[DataBundle, ProbeRun]) -> None:
    data, result = planted
    assert result.status == RunStatus.RAN and result.queries == 2 * 600  # labels, then scores
    gap = finding(result, "worst_slice_accuracy_gap")
    worst = gap.evidence["worst_slices"][0]
    cut = float(worst["slice"].removeprefix("a > "))
    assert data.test is not None and isinstance(data.test.X, pd.DataFrame)
    assert cut == pytest.approx(data.test.X["a"].quantile(0.9), abs=1e-3)
    assert worst["size"] == 60 and worst["accuracy"] == 0.0 and worst["significant"]
    assert gap.value == pytest.approx(0.9) and gap.status == Status.FAIL
    assert "accuracy 0.0% on a > " in gap.message
    plot = Plot.model_validate(gap.evidence["plots"][0])
    assert plot.kind == "bar" and plot.categories[0] == worst["slice"]
    assert plot.reference_line == pytest.approx(0.9) and plot.series[0].y[0] == 0.0


def test_uniform_label_noise_has_no_significant_slice(model: Any) -> None:
    rng = np.random.default_rng(2)
    test, y = rows(600, rng)
    noisy = rng.random(600) < 0.1
    y[noisy] = 1 - y[noisy]
    result = run(model, DataBundle(test=Dataset("test", test, y)))
    gap = finding(result, "worst_slice_accuracy_gap")
    assert gap.value == 0.0 and gap.status == Status.PASS
    assert gap.evidence["significant_slices"] == 0
    assert gap.evidence["overall_accuracy"] == pytest.approx(1 - noisy.mean())
    assert finding(result, "calibration_error").value == pytest.approx(noisy.mean(), abs=0.03)


def test_test_set_from_another_region_is_separable_from_production(model: Any) -> None:
    rng = np.random.default_rng(3)
    test, y = rows(300, rng)
    same, _ = rows(300, rng)
    elsewhere, _ = rows(300, rng, b_mean=2.0)
    aucs, outside = {}, {}
    for name, production in (("random", same), ("elsewhere", elsewhere)):
        data = DataBundle(
            test=Dataset("test", test, y), production=Dataset("production", production)
        )
        result = run(model, data, slice_beam=0)
        aucs[name] = finding(result, "test_production_auc")
        outside[name] = finding(result, "production_outside_test_range")
    assert abs(aucs["random"].value - 0.5) < 0.1 and aucs["random"].status == Status.PASS
    assert aucs["elsewhere"].value > 0.75 and aucs["elsewhere"].status == Status.FAIL
    assert outside["random"].value < 0.02
    assert outside["elsewhere"].value == pytest.approx(
        np.mean(elsewhere["b"] > test["b"].max()), abs=0.02
    )
    assert next(iter(outside["elsewhere"].evidence["by_feature"])) == "b"  # most often first


def test_labelled_production_gives_the_online_offline_gap(model: Any) -> None:
    rng = np.random.default_rng(4)
    test, y = rows(200, rng)
    production, live = rows(200, rng)
    live[:50] = 1 - live[:50]
    data = DataBundle(test=Dataset("test", test, y), production=Dataset("p", production, live))
    gap = finding(run(model, data, slice_beam=0), "online_offline_gap")
    assert gap.value == pytest.approx(0.25)


def test_unlabelled_test_set_keeps_the_coverage_findings(model: Any) -> None:
    rng = np.random.default_rng(5)
    test, _ = rows(100, rng)
    production, _ = rows(100, rng)
    data = DataBundle(test=Dataset("test", test), production=Dataset("production", production))
    result = run(model, data)
    assert result.status == RunStatus.ERROR and "labelled test data" in (result.reason or "")
    assert {f.metric for f in result.findings} == {
        "test_production_auc",
        "production_outside_test_range",
    }


def test_without_scores_or_production_the_slices_still_run(
    planted: tuple[DataBundle, ProbeRun], model: Any
) -> None:
    data, _ = planted
    labels_only = CallableTarget(predict=model.predict)
    ctx = ProbeContext(profile=None, target=labels_only, data=data, seed=0)
    result = run_probe(IncompleteTesting(), ctx, lookup)
    assert [f.metric for f in result.findings] == ["worst_slice_accuracy_gap"]
    assert result.findings[0].value == pytest.approx(0.9)


def test_same_seed_same_findings(model: Any) -> None:
    rng = np.random.default_rng(6)
    test, y = rows(200, rng)
    production, _ = rows(200, rng, b_mean=1.0)
    data = DataBundle(test=Dataset("test", test, y), production=Dataset("production", production))
    first, again = run(model, data, seed=7), run(model, data, seed=7)
    assert [(f.metric, f.value, f.evidence) for f in first.findings] == [
        (f.metric, f.value, f.evidence) for f in again.findings
    ]
