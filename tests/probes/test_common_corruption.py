"""common_corruption on real small models: images (digits), tables and text."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler
from sklearn.svm import SVC

from failmodes.catalog.loader import load_catalog
from failmodes.catalog.schema import Severity, Threshold
from failmodes.findings import Finding, Plot, Status
from failmodes.probes.base import ProbeContext, ProbeRun, RunStatus
from failmodes.probes.common_corruption import CommonCorruption
from failmodes.probes.runner import run_probe
from failmodes.targets.datasets import DataBundle, Dataset
from failmodes.targets.sklearn import SklearnTarget

CATALOG = load_catalog()
NOISE_AND_BLUR = ["gaussian_noise", "impulse_noise", "gaussian_blur"]


def lookup(mode: str, metric: str) -> tuple[Threshold | None, Severity | None]:
    entry = CATALOG.get(mode)
    return entry.threshold_for(metric), entry.severity.default


def run(model: Any, data: DataBundle, seed: int = 0, **options: Any) -> ProbeRun:
    ctx = ProbeContext(
        profile=None, target=SklearnTarget(model), data=data, seed=seed, options=options
    )
    return run_probe(CommonCorruption(), ctx, lookup)


def finding(result: ProbeRun, metric: str) -> Finding:
    assert result.status == RunStatus.RAN, result.reason
    return next(f for f in result.findings if f.metric == metric)


def flatten(images: np.ndarray) -> np.ndarray:
    return images.reshape(len(images), -1)


@pytest.fixture(scope="module")
def digits() -> tuple[Any, DataBundle]:
    """An RBF SVC on 8 × 8 digit images (values 0–1): it reads fine pixel detail."""
    data = load_digits()
    images, labels = data.images / 16.0, data.target
    model = make_pipeline(FunctionTransformer(flatten), SVC()).fit(images[:700], labels[:700])
    return model, DataBundle(test=Dataset("test", images[700:950], labels[700:950]))


@pytest.fixture(scope="module")
def image_run(digits: tuple[Any, DataBundle]) -> ProbeRun:
    return run(*digits, corruptions=NOISE_AND_BLUR)


def test_noise_and_blur_hurt_a_pixel_level_model_at_high_severity(image_run: ProbeRun) -> None:
    mean = finding(image_run, "corruption_accuracy_drop")
    evidence = mean.evidence
    clean, accuracy = evidence["clean_accuracy"], evidence["accuracy"]
    assert evidence["data_kind"] == "image" and clean > 0.9
    for name in NOISE_AND_BLUR:
        by_severity = [accuracy[name][str(s)] for s in range(1, 6)]
        assert (clean - by_severity[0]) / clean < 0.03  # severity 1 costs little
        assert (clean - by_severity[4]) / clean > 0.1  # severity 5 costs clearly more
        assert by_severity[4] < by_severity[2] < by_severity[0] + 0.01  # monotone-ish
    drops = [(clean - a) / clean for table in accuracy.values() for a in table.values()]
    assert mean.value == pytest.approx(np.mean(drops))
    worst = finding(image_run, "worst_corruption_accuracy_drop")
    assert worst.value == pytest.approx(max(evidence["relative_drop"].values()))
    assert worst.evidence["corruption"] == max(
        evidence["relative_drop"], key=evidence["relative_drop"].get
    )


def test_accuracy_plot_has_one_series_per_corruption(image_run: ProbeRun) -> None:
    evidence = finding(image_run, "corruption_accuracy_drop").evidence
    plot = Plot.model_validate(evidence["plots"][0])
    assert plot.kind == "line"
    assert [s.label for s in plot.series] == NOISE_AND_BLUR
    noise = plot.series[0]
    assert noise.x == [0, 1, 2, 3, 4, 5]
    assert noise.y[0] == evidence["clean_accuracy"]
    assert noise.y[5] == evidence["accuracy"]["gaussian_noise"]["5"]


def test_same_seed_same_findings(digits: tuple[Any, DataBundle], image_run: ProbeRun) -> None:
    again = run(*digits, corruptions=NOISE_AND_BLUR)
    assert [f.value for f in again.findings] == [f.value for f in image_run.findings]
    assert again.findings[0].evidence == image_run.findings[0].evidence
    other = run(*digits, seed=1, corruptions=NOISE_AND_BLUR)
    assert other.findings[0].evidence["accuracy"] != image_run.findings[0].evidence["accuracy"]


@pytest.fixture(scope="module")
def cancer() -> tuple[pd.DataFrame, np.ndarray]:
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    return X.iloc[:, :6], y.to_numpy()


def test_a_model_that_ignores_the_corrupted_features_is_unaffected(
    cancer: tuple[pd.DataFrame, np.ndarray],
) -> None:
    X, y = cancer
    only_radius = make_column_transformer(("passthrough", ["mean radius"]))
    model = make_pipeline(only_radius, LogisticRegression()).fit(X[:350], y[:350])
    data = DataBundle(test=Dataset("test", X[350:], y[350:]))
    others = [c for c in X.columns if c != "mean radius"]
    untouched = run(model, data, features=others)
    assert finding(untouched, "corruption_accuracy_drop").value == 0.0
    assert finding(untouched, "corruption_accuracy_drop").status == Status.PASS
    touched = run(model, data, features=["mean radius"])
    assert finding(touched, "worst_corruption_accuracy_drop").value > 0.15
    by_feature = finding(touched, "corruption_accuracy_drop").evidence["accuracy_by_feature"]
    assert set(by_feature["unit_error"]) == {"mean radius"}


def test_missing_values_are_imputed_only_for_models_that_refuse_nan(
    cancer: tuple[pd.DataFrame, np.ndarray],
) -> None:
    X, y = cancer
    data = DataBundle(
        train=Dataset("train", X[:350], y[:350]), test=Dataset("test", X[350:], y[350:])
    )
    refuses = make_pipeline(StandardScaler(), LogisticRegression()).fit(X[:350], y[:350])
    accepts = make_pipeline(SimpleImputer(), StandardScaler(), LogisticRegression())
    accepts.fit(X[:350], y[:350])
    for model, imputed in ((refuses, True), (accepts, False)):
        result = run(model, data, corruptions=["missing_values"], severities=[5])
        evidence = finding(result, "corruption_accuracy_drop").evidence
        assert bool(evidence["notes"]) is imputed
        assert evidence["rejected"] == {}


def test_category_typos_that_crash_an_encoder_count_as_errors() -> None:
    rng = np.random.default_rng(0)
    n = 400
    X = pd.DataFrame({"city": rng.choice(["paris", "berlin", "rome"], n), "x": rng.normal(size=n)})
    y = (X["city"] == "rome").to_numpy().astype(int)
    data = DataBundle(test=Dataset("test", X[200:], y[200:]), feature_types={"city": "categorical"})
    results = {}
    for unknown in ("error", "ignore"):
        encoder = make_column_transformer((OneHotEncoder(handle_unknown=unknown), ["city"]))
        model = make_pipeline(encoder, LogisticRegression()).fit(X[:200], y[:200])
        results[unknown] = finding(
            run(model, data, corruptions=["category_typo"]), "corruption_accuracy_drop"
        )
    strict, lenient = results["error"].evidence, results["ignore"].evidence
    assert set(strict["rejected"]) == {f"category_typo@{s}" for s in range(1, 6)}
    assert "unknown categories" in strict["rejected"]["category_typo@1"]
    assert strict["accuracy"]["category_typo"]["5"] == 0.0  # every row was hit and refused
    assert lenient["rejected"] == {}
    assert lenient["accuracy"]["category_typo"]["5"] > 0.5


def test_text_corruptions_hurt_a_case_sensitive_model_only() -> None:
    rng = np.random.default_rng(1)
    good, bad = ["good", "great", "fine"], ["bad", "awful", "poor"]
    labels = rng.integers(0, 2, 300)
    texts = np.array(
        [
            " ".join([*rng.choice(good if label else bad, 2), "the", "movie", "was"])
            for label in labels
        ],
        dtype=object,
    )
    accuracy = {}
    for lowercase in (True, False):
        model = make_pipeline(CountVectorizer(lowercase=lowercase), LogisticRegression())
        model.fit(texts[:150], labels[:150])
        data = DataBundle(test=Dataset("test", texts[150:], labels[150:]))
        result = finding(run(model, data), "corruption_accuracy_drop")
        assert result.evidence["data_kind"] == "text"
        assert result.evidence["clean_accuracy"] == 1.0
        accuracy[lowercase] = result.evidence["accuracy"]
    assert set(accuracy[True]["case"].values()) == {1.0}  # it lowercases first
    assert accuracy[False]["case"]["5"] < 0.9
    for name in ("typo", "whitespace"):  # words the vocabulary never had
        assert accuracy[True][name]["5"] < 0.95
    assert set(accuracy[True]["punctuation"].values()) == {1.0}  # its tokenizer drops it


def test_budget_limits_rows_and_bad_options_are_clear_errors(
    digits: tuple[Any, DataBundle],
) -> None:
    model, data = digits
    ctx = ProbeContext(
        profile=None,
        target=SklearnTarget(model),
        data=data,
        seed=0,
        budget=1000,
        options={"corruptions": ["gaussian_noise"]},
    )
    result = run_probe(CommonCorruption(), ctx, lookup)
    assert finding(result, "corruption_accuracy_drop").evidence["rows"] == 1000 // 6
    assert result.queries <= 1000
    tight = SklearnTarget(model, budget=100)
    ctx = ProbeContext(profile=None, target=tight, data=data, seed=0)
    starved = run_probe(CommonCorruption(), ctx, lookup)
    assert starved.status == RunStatus.ERROR and "100 queries left" in (starved.reason or "")
    assert tight.queries == 0
    for options, message in (
        ({"corruptions": ["unit_error"]}, "do not apply to image data"),
        ({"severities": [0, 6]}, "severities must be among"),
        ({"missing_values": "drop"}, "missing_values must be one of"),
    ):
        failed = run(model, data, **options)
        assert failed.status == RunStatus.ERROR
        assert message in (failed.reason or "")
