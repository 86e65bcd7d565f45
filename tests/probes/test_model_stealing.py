"""Model stealing: a surrogate copies an unprotected score API, not a model that answers noise."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from failmodes.catalog.loader import load_catalog
from failmodes.findings import Finding, Status
from failmodes.probes.base import ProbeContext, ProbeRun, RunStatus
from failmodes.probes.model_stealing import ModelStealingProbe, budget_grid
from failmodes.probes.registry import ProbeRegistry
from failmodes.probes.runner import run_probe
from failmodes.targets.base import Target
from failmodes.targets.callable import CallableTarget
from failmodes.targets.datasets import DataBundle, Dataset
from failmodes.targets.sklearn import SklearnTarget

CATALOG = load_catalog()


def lookup(mode: str, metric: str) -> Any:
    return CATALOG.get(mode).threshold_for(metric), None


def steal(target: Target, test: Dataset, *, budget: int | None = None, **options: Any) -> ProbeRun:
    ctx = ProbeContext(
        profile=None,
        target=target,
        data=DataBundle(test=test),
        seed=3,
        budget=budget,
        options=options,
    )
    return run_probe(ModelStealingProbe(), ctx, lookup)


def finding(run: ProbeRun, metric: str) -> Finding:
    return next(f for f in run.findings if f.metric == metric)


@pytest.fixture(scope="module")
def cancer() -> tuple[Any, Dataset]:
    """A logistic regression on breast_cancer and its held-out half (285 rows: 86 held out
    for fidelity, 199 in the attacker's pool)."""
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y.to_numpy(), test_size=0.5, random_state=0
    )
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X_train, y_train)
    return model, Dataset("test", X_test, y_test)


@pytest.fixture(scope="module")
def score_api(cancer: tuple[Any, Dataset]) -> ProbeRun:
    model, test = cancer
    return steal(SklearnTarget(model), test)


def test_the_probe_registers() -> None:
    assert ProbeRegistry([ModelStealingProbe]).get("model_stealing") is ModelStealingProbe


def test_budget_grid_is_geometric_up_to_the_cap() -> None:
    assert budget_grid(1000) == [50, 100, 200, 500, 1000]
    assert budget_grid(199) == [50, 100, 199]
    assert budget_grid(2500) == [50, 100, 200, 500, 1000, 2000, 2500]
    assert budget_grid(30) == [30]


def test_a_surrogate_copies_an_unprotected_score_api(score_api: ProbeRun) -> None:
    fidelity = finding(score_api, "surrogate_fidelity")
    assert score_api.status == RunStatus.RAN
    assert fidelity.value is not None and fidelity.value >= 0.9
    assert fidelity.status == Status.FAIL  # the catalog fails fidelity above 0.9
    assert finding(score_api, "surrogate_accuracy").value >= 0.9  # type: ignore[operator]
    reached = finding(score_api, "queries_to_90pct_fidelity").value
    assert reached is not None and reached <= 200
    settings = fidelity.evidence["settings"]
    assert set(settings) == {"label_only", "score_based"}
    assert settings["label_only"]["budgets"] == [50, 100, 199]
    # The answers are collected once and reused for every budget: 86 held-out rows, then
    # 199 labels and 199 score vectors.
    assert score_api.queries == 86 + 2 * 199


def test_the_curve_is_a_log_scaled_line_plot(score_api: ProbeRun) -> None:
    (plot,) = finding(score_api, "surrogate_fidelity").evidence["plots"]
    assert plot["kind"] == "line" and plot["xscale"] == "log"
    labels = [s["label"] for s in plot["series"]]
    assert labels == [
        "fidelity, label-only",
        "accuracy, label-only",
        "fidelity, score-based",
        "accuracy, score-based",
    ]
    assert plot["series"][0]["x"] == [50.0, 100.0, 199.0]


def test_a_model_that_answers_noise_cannot_be_copied(cancer: tuple[Any, Dataset]) -> None:
    _, test = cancer
    noise = np.random.default_rng(0)
    target = CallableTarget(lambda X: noise.integers(0, 2, len(X)), name="noise")
    run = steal(target, test)
    fidelity = finding(run, "surrogate_fidelity")
    assert fidelity.value is not None and abs(fidelity.value - 0.5) < 0.15
    assert fidelity.status == Status.PASS
    assert finding(run, "queries_to_90pct_fidelity").value is None
    # Without scores only the label-only attacker runs.
    assert set(fidelity.evidence["settings"]) == {"label_only"}


def test_scores_make_stealing_cheaper_than_labels() -> None:
    """Five classes: each score vector says how close the query is to every class, a label
    says only which one won, so the distilled surrogate is ahead at every small budget."""
    X, y = make_classification(
        n_samples=1200, n_features=20, n_informative=10, n_classes=5, random_state=0
    )
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, random_state=0)
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X_train, y_train)
    run = steal(SklearnTarget(model), Dataset("test", X_test, y_test), max_queries=200)
    settings = finding(run, "surrogate_fidelity").evidence["settings"]
    label, score = settings["label_only"]["fidelity"], settings["score_based"]["fidelity"]
    assert settings["score_based"]["budgets"] == [50, 100, 200]
    assert all(s > lab for s, lab in zip(score, label, strict=True))
    assert np.mean(score) - np.mean(label) > 0.05


def test_same_seed_same_findings(cancer: tuple[Any, Dataset], score_api: ProbeRun) -> None:
    model, test = cancer
    again = steal(SklearnTarget(model), test)
    assert [(f.metric, f.value, f.evidence) for f in again.findings] == [
        (f.metric, f.value, f.evidence) for f in score_api.findings
    ]


def test_the_budget_caps_the_queries(cancer: tuple[Any, Dataset]) -> None:
    model, test = cancer
    run = steal(SklearnTarget(model), test, budget=200)
    # 86 held-out rows leave 114 queries, 57 for each attacker.
    assert finding(run, "surrogate_fidelity").evidence["settings"]["label_only"]["budgets"] == [
        50,
        57,
    ]
    assert run.queries == 86 + 2 * 57
    too_small = steal(SklearnTarget(model), test, budget=100)
    assert too_small.status == RunStatus.ERROR
    assert too_small.reason is not None and "--budget" in too_small.reason


def test_synthetic_and_mixed_queries(cancer: tuple[Any, Dataset]) -> None:
    """Marginal sampling is not bounded by the pool; mixed queries alternate real rows and
    synthetic ones."""
    model, test = cancer
    sent: list[Any] = []

    def predict(X: Any) -> Any:
        sent.append(X)
        return model.predict(X)

    synthetic = steal(CallableTarget(predict), test, query_source="synthetic", max_queries=250)
    budgets = finding(synthetic, "surrogate_fidelity").evidence["settings"]["label_only"]
    assert budgets["budgets"] == [50, 100, 200, 250]  # beyond the 199 rows of the pool
    sent.clear()
    steal(CallableTarget(predict), test, query_source="mixed", max_queries=60)
    queries = sent[1]  # after the held-out rows
    real = {tuple(row) for row in test.X.to_numpy()}
    in_test = [tuple(row) in real for row in queries.to_numpy()]
    assert len(in_test) == 60
    assert all(in_test[0::2]) and not any(in_test[1::2])


def test_bad_options_are_reported(cancer: tuple[Any, Dataset]) -> None:
    model, test = cancer
    run = steal(SklearnTarget(model), test, query_source="web")
    assert run.status == RunStatus.ERROR
    assert run.reason is not None and "query_source" in run.reason and "mixed" in run.reason
