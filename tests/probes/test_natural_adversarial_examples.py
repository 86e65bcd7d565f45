"""natural_adversarial_examples: a planted sub-population the model is confidently wrong on."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from failmodes.catalog.loader import load_catalog
from failmodes.catalog.schema import Severity, Threshold
from failmodes.findings import Finding, Plot, Status
from failmodes.probes.base import ProbeContext, ProbeRun, RunStatus
from failmodes.probes.natural_adversarial_examples import NaturalAdversarialExamples
from failmodes.probes.runner import run_probe
from failmodes.targets.callable import CallableTarget
from failmodes.targets.datasets import DataBundle, Dataset
from failmodes.targets.sklearn import SklearnTarget

CATALOG = load_catalog()


def lookup(mode: str, metric: str) -> tuple[Threshold | None, Severity | None]:
    entry = CATALOG.get(mode)
    return entry.threshold_for(metric), entry.severity.default


def rows(n: int, rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray]:
    """The label is the sign of ``x`` (kept away from 0); ``a``, ``b`` and ``site`` are noise."""
    x = rng.choice([-1, 1], n) * rng.uniform(0.5, 3.0, n)
    frame = pd.DataFrame(
        {
            "a": rng.uniform(0, 1, n),
            "b": rng.normal(size=n),
            "x": x,
            "site": rng.choice(["north", "south", "east"], n),
        }
    )
    return frame, (x > 0).astype(int)


@pytest.fixture(scope="module")
def setup() -> dict[str, Any]:
    """A linear model that learned the simple rule, and test sets with and without a planted
    sub-population (``a`` in its top decile) whose labels break the rule."""
    rng = np.random.default_rng(1)
    X, y = rows(1000, rng)
    numeric = make_column_transformer(("passthrough", ["a", "b", "x"]))
    model = make_pipeline(numeric, LogisticRegression(C=10)).fit(X, y)
    test, clean = rows(600, rng)
    planted = clean.copy()
    pocket = (test["a"] > test["a"].quantile(0.9)).to_numpy()
    planted[pocket] = 1 - planted[pocket]
    return {"model": model, "test": test, "clean": clean, "planted": planted, "pocket": pocket}


def run(target: Any, data: DataBundle, seed: int = 0, **options: Any) -> ProbeRun:
    ctx = ProbeContext(profile=None, target=target, data=data, seed=seed, options=options)
    result = run_probe(NaturalAdversarialExamples(), ctx, lookup)
    assert result.status == RunStatus.RAN, result.reason
    return result


def finding(result: ProbeRun, metric: str, dataset: str = "test") -> Finding:
    return next(f for f in result.findings if f.metric == metric and f.dataset == dataset)


@pytest.fixture(scope="module")
def planted_run(setup: dict[str, Any]) -> ProbeRun:
    data = DataBundle(test=Dataset("test", setup["test"], setup["planted"]))
    return run(SklearnTarget(setup["model"]), data)


@pytest.fixture(scope="module")
def clean_run(setup: dict[str, Any]) -> ProbeRun:
    data = DataBundle(test=Dataset("test", setup["test"], setup["clean"]))
    return run(SklearnTarget(setup["model"]), data)


def test_planted_sub_population_gives_confident_errors(
    setup: dict[str, Any], planted_run: ProbeRun, clean_run: ProbeRun
) -> None:
    planted = finding(planted_run, "confident_error_rate")
    clean = finding(clean_run, "confident_error_rate")
    pocket = setup["pocket"]
    # Almost every row is predicted confidently, and the pocket's are all wrong.
    assert planted.value == pytest.approx(pocket.mean(), abs=0.02)
    assert planted.status == Status.FAIL
    assert clean.value == 0.0 and clean.status == Status.PASS
    listed = planted.evidence["most_confident_errors"]
    assert len(listed) == 20
    assert all(pocket[e["row"]] and e["predicted"] != e["true"] for e in listed)
    confidences = [e["confidence"] for e in listed]
    assert confidences == sorted(confidences, reverse=True) and confidences[-1] >= 0.9


def test_confident_errors_fall_in_the_worst_slice(planted_run: ProbeRun) -> None:
    gap = finding(planted_run, "worst_slice_accuracy_gap")
    worst = gap.evidence["worst_slices"][0]
    assert worst["slice"].startswith("a > ") and worst["features"] == ["a"]
    assert worst["accuracy"] == 0.0 and gap.value == pytest.approx(0.9, abs=0.02)
    rate = finding(planted_run, "confident_error_rate").evidence
    assert rate["confident_errors_by_slice"][worst["slice"]] == rate["confident_errors"]
    assert rate["confident_errors_in_worst_slices"] == rate["confident_errors"]
    assert all(worst["slice"] in e["slices"] for e in rate["most_confident_errors"])


def test_calibration_error_with_reliability_diagram(
    planted_run: ProbeRun, clean_run: ProbeRun
) -> None:
    planted = finding(planted_run, "calibration_error")
    assert planted.status == Status.INFO
    assert planted.value == pytest.approx(0.1, abs=0.03)
    assert finding(clean_run, "calibration_error").value < 0.02
    plot = Plot.model_validate(planted.evidence["plots"][0])
    assert plot.kind == "line" and plot.series[1].x == [0.0, 1.0]
    counts = planted.evidence["bin_counts"]
    assert sum(counts) == 600 and counts[-1] > 500


def test_labelled_production_is_mined_too(setup: dict[str, Any]) -> None:
    test = Dataset("test", setup["test"], setup["clean"])
    production = Dataset("production", setup["test"], setup["planted"])
    result = run(SklearnTarget(setup["model"]), DataBundle(test=test, production=production))
    assert finding(result, "confident_error_rate").value == 0.0
    assert finding(result, "confident_error_rate", "production").value > 0.05
    assert "production set" in finding(result, "calibration_error", "production").message


def test_no_confident_prediction_gives_no_rate(setup: dict[str, Any]) -> None:
    unsure = CallableTarget(
        predict_proba=lambda X: np.tile([0.6, 0.4], (len(X), 1)), classes=[0, 1]
    )
    data = DataBundle(test=Dataset("test", setup["test"], setup["planted"]))
    rate = finding(run(unsure, data), "confident_error_rate")
    assert rate.value is None and rate.status == Status.INFO
    assert "no prediction reached confidence 0.9" in rate.message
    lowered = finding(run(unsure, data, confidence_threshold=0.6), "confident_error_rate")
    assert lowered.value == pytest.approx(np.mean(setup["planted"] != 0))


def test_images_are_sliced_by_class() -> None:
    digits = load_digits()
    images, labels = digits.images[:400] / 16.0, digits.target[:400]
    model = LogisticRegression(max_iter=300).fit(images[:200].reshape(200, -1), labels[:200])
    target = CallableTarget(
        predict_proba=lambda X: model.predict_proba(X.reshape(len(X), -1)), classes=model.classes_
    )
    data = DataBundle(test=Dataset("test", images[200:], labels[200:]))
    result = run(target, data, min_slice_size=10)
    slices = finding(result, "worst_slice_accuracy_gap").evidence["worst_slices"]
    assert {tuple(s["features"]) for s in slices} == {("label",)}


def test_same_seed_same_findings(setup: dict[str, Any], planted_run: ProbeRun) -> None:
    data = DataBundle(test=Dataset("test", setup["test"], setup["planted"]))
    again = run(SklearnTarget(setup["model"]), data)
    assert [(f.metric, f.value, f.evidence) for f in again.findings] == [
        (f.metric, f.value, f.evidence) for f in planted_run.findings
    ]
