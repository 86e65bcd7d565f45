"""Black-box evasion: a linear model is pushed over its boundary by as little as geometry
allows; a model that ignores everything an attacker can change cannot be; every query respects
the feature constraints."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from failmodes.catalog.loader import load_catalog
from failmodes.findings import Finding, Status
from failmodes.probes.base import ProbeContext, ProbeRun, RunStatus
from failmodes.probes.perturbation_attack import PerturbationAttackProbe
from failmodes.probes.registry import ProbeRegistry
from failmodes.probes.runner import run_probe
from failmodes.targets.base import Target
from failmodes.targets.callable import CallableTarget
from failmodes.targets.datasets import DataBundle, Dataset
from failmodes.targets.sklearn import SklearnTarget

CATALOG = load_catalog()
QUERIES = 300


def lookup(mode: str, metric: str) -> Any:
    return CATALOG.get(mode).threshold_for(metric), None


def attack(
    target: Target, data: DataBundle, *, seed: int = 0, budget: int | None = None, **options: Any
) -> ProbeRun:
    options = {"queries_per_sample": QUERIES, **options}
    ctx = ProbeContext(
        profile=None, target=target, data=data, seed=seed, budget=budget, options=options
    )
    return run_probe(PerturbationAttackProbe(), ctx, lookup)


def value(run: ProbeRun, metric: str) -> float | None:
    return finding(run, metric).value


def finding(run: ProbeRun, metric: str) -> Finding:
    return next(f for f in run.findings if f.metric == metric)


# -- a linear model, where the smallest flip is known in closed form ---------------------
@pytest.fixture(scope="module")
def linear() -> dict[str, Any]:
    """Logistic regression on raw features of very different scales. In the standardized
    space z = x / std the logit is (w·std)·z + b, so the smallest flip of a row has L∞ size
    |logit| / ‖w·std‖₁ and L2 size |logit| / ‖w·std‖₂."""
    X, y = make_classification(
        n_samples=400, n_features=10, n_informative=10, n_redundant=0, random_state=1
    )
    X = X * np.array([1, 10, 100, 0.1, 1, 5, 50, 0.5, 2, 20])
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, random_state=0)
    model = LogisticRegression(max_iter=1000).fit(X_train, y_train)
    X_test, y_test = X_test[:20], y_test[:20]
    weights = model.coef_[0] * X_train.std(axis=0)
    correct = model.predict(X_test) == y_test
    margin = np.abs(model.decision_function(X_test))[correct]
    data = DataBundle(
        train=Dataset("train", X_train, y_train), test=Dataset("test", X_test, y_test)
    )
    run = attack(SklearnTarget(model), data, samples=20, epsilon=0.3)
    return {
        "model": model,
        "data": data,
        "run": run,
        "correct": correct,
        "linf": margin / np.abs(weights).sum(),
        "l2": margin / np.linalg.norm(weights),
    }


def test_the_probe_registers() -> None:
    registry = ProbeRegistry([PerturbationAttackProbe])
    assert registry.get("perturbation_attack") is PerturbationAttackProbe


def test_a_linear_model_is_easily_evaded(linear: dict[str, Any]) -> None:
    run = linear["run"]
    assert run.status == RunStatus.RAN
    success = value(run, "attack_success_rate")
    assert success is not None and success > 0.5
    assert finding(run, "attack_success_rate").status == Status.FAIL
    robust = value(run, "robust_accuracy")
    n_correct = linear["correct"].sum()
    assert robust == pytest.approx(n_correct * (1 - success) / 20)
    assert finding(run, "robust_accuracy").status == Status.FAIL
    # Small: a median flip well under one standard deviation per feature.
    size = value(run, "median_perturbation_size")
    assert size is not None and size < 0.5


def test_the_score_attack_finds_every_flip_that_exists_within_epsilon(
    linear: dict[str, Any],
) -> None:
    """A row can be flipped within ε (L∞) exactly when its smallest flip is at most ε."""
    flippable = float(np.mean(linear["linf"] <= 0.3))
    evidence = finding(linear["run"], "robust_accuracy").evidence
    assert evidence["attacks"]["score_based"]["success_rate"] == pytest.approx(flippable)
    assert value(linear["run"], "attack_success_rate") == pytest.approx(flippable)


def test_hop_skip_jump_comes_close_to_the_smallest_l2_flip(linear: dict[str, Any]) -> None:
    found = finding(linear["run"], "robust_accuracy").evidence["attacks"]["decision_based"]
    exact = float(np.median(linear["l2"]))
    assert found["found_at_any_size"] == linear["correct"].sum()
    # Never below the true minimum; within 15 % of it after 300 queries a row.
    assert exact * 0.999 <= found["median_l2"] <= exact * 1.15
    assert found["median_queries_per_sample"] <= QUERIES


def test_the_plots(linear: dict[str, Any]) -> None:
    robust, budget = finding(linear["run"], "robust_accuracy").evidence["plots"]
    assert robust["kind"] == budget["kind"] == "line"
    assert [s["label"] for s in robust["series"]] == [
        "score-based",
        "decision-based",
        "either attack",
    ]
    either = robust["series"][2]
    assert either["x"][0] == 0.0 and either["x"][10] == pytest.approx(0.3)
    assert either["y"][10] == pytest.approx(value(linear["run"], "robust_accuracy"))
    assert all(a >= b for a, b in zip(either["y"], either["y"][1:], strict=False))
    assert budget["xscale"] == "log" and budget["series"][0]["x"][-1] == QUERIES


def test_same_seed_same_result(linear: dict[str, Any]) -> None:
    again = attack(SklearnTarget(linear["model"]), linear["data"], samples=20, epsilon=0.3)
    assert [(f.metric, f.value, f.evidence) for f in again.findings] == [
        (f.metric, f.value, f.evidence) for f in linear["run"].findings
    ]


def test_label_only_runs_the_decision_based_attack_alone(linear: dict[str, Any]) -> None:
    model = linear["model"]
    run = attack(CallableTarget(model.predict), linear["data"], samples=5)
    attacks = finding(run, "robust_accuracy").evidence["attacks"]
    assert set(attacks) == {"decision_based"}
    assert run.queries <= 5 * (1 + QUERIES)


def test_the_budget_lowers_the_number_of_rows(linear: dict[str, Any]) -> None:
    run = attack(SklearnTarget(linear["model"]), linear["data"], budget=3 * (1 + 2 * QUERIES))
    assert finding(run, "robust_accuracy").evidence["samples"] == 3
    assert run.queries <= 3 * (1 + 2 * QUERIES)
    refused = attack(SklearnTarget(linear["model"]), linear["data"], budget=100)
    assert refused.status == RunStatus.ERROR and "queries_per_sample" in (refused.reason or "")


def test_bad_options_are_reported(linear: dict[str, Any]) -> None:
    run = attack(SklearnTarget(linear["model"]), linear["data"], epsilon=-1)
    assert run.status == RunStatus.ERROR and "epsilon" in (run.reason or "")


# -- a table with constraints ------------------------------------------------------------
RANGES = {"x1": (-1.0, 1.0), "visits": (0.0, 20.0), "rooms": (1.0, 5.0)}


def table(n: int, rng: np.random.Generator) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_age": rng.uniform(0, 10, n),  # immutable; every value unique
            "segment": rng.choice(["a", "b", "c"], n),  # categorical strings
            "flag": rng.integers(0, 2, n),  # declared binary
            "visits": rng.integers(0, 21, n),  # integer dtype, range 0–20
            "rooms": rng.integers(1, 6, n).astype(float),  # declared integer, float dtype
            "x1": rng.uniform(-1, 1, n),  # range −1–1
            "x2": rng.normal(size=n),
        }
    )


def rule(X: pd.DataFrame) -> np.ndarray:
    score = (
        2 * X["x1"]
        + X["x2"]
        + 0.2 * (X["visits"] - 10)
        + 0.5 * (X["rooms"] - 3)
        + X["flag"]
        + 0.3 * (X["account_age"] - 5)
        - (X["segment"] == "b")
    )
    return (score > 0).to_numpy().astype(int)


@pytest.fixture(scope="module")
def constrained() -> DataBundle:
    rng = np.random.default_rng(0)
    train, test = table(300, rng), table(40, rng)
    return DataBundle(
        train=Dataset("train", train, rule(train)),
        test=Dataset("test", test, rule(test)),
        feature_types={"segment": "categorical", "flag": "binary", "rooms": "integer"},
        immutable_features=["account_age"],
        ranges=RANGES,
    )


def recording(model: Any, sent: list[pd.DataFrame]) -> CallableTarget:
    def predict(X: pd.DataFrame) -> Any:
        sent.append(X)
        return model.predict(X)

    def predict_proba(X: pd.DataFrame) -> Any:
        sent.append(X)
        return model.predict_proba(X)

    return CallableTarget(predict, predict_proba, classes=model.classes_)


def test_every_query_respects_the_constraints(constrained: DataBundle) -> None:
    assert constrained.train is not None and constrained.test is not None
    encode = make_column_transformer((OneHotEncoder(), ["segment"]), remainder=StandardScaler())
    model = make_pipeline(encode, LogisticRegression()).fit(
        constrained.train.X, constrained.train.y
    )
    sent: list[pd.DataFrame] = []
    run = attack(recording(model, sent), constrained, samples=20, epsilon=0.5)
    queries = pd.concat(sent, ignore_index=True)
    assert len(queries) == run.queries > 20 * 20
    original = constrained.test.X
    # Immutable and categorical features keep their row's values.
    fixed = ["account_age", "segment", "flag"]
    known = set(original[fixed].itertuples(index=False))
    assert set(queries[fixed].itertuples(index=False)) <= known
    for name, (low, high) in RANGES.items():
        assert queries[name].between(low, high).all()
    assert (queries["visits"].dtype.kind == "i") and (queries["rooms"] % 1 == 0).all()
    # And the attack still works: the model depends on what may change.
    assert value(run, "attack_success_rate") > 0.2  # type: ignore[operator]
    evidence = finding(run, "robust_accuracy").evidence
    assert set(evidence["fixed_features"]) == {"account_age", "segment", "flag"}
    assert evidence["mutable_features"] == ["visits", "rooms", "x1", "x2"]
    # The examples show changes to mutable features only, in original units.
    assert evidence["examples"]
    for example in evidence["examples"]:
        row = original.iloc[example["test_row"]]
        for name, (before, after) in example["changes"].items():
            assert name in evidence["mutable_features"] and before == row[name] != after


@pytest.mark.parametrize("kind", ["constant", "immutable_only"])
def test_a_model_that_ignores_what_an_attacker_can_change_is_not_evaded(
    constrained: DataBundle, kind: str
) -> None:
    assert constrained.test is not None
    if kind == "constant":

        def predict(X: pd.DataFrame) -> Any:
            return np.ones(len(X), dtype=int)

    else:

        def predict(X: pd.DataFrame) -> Any:
            return (X["account_age"] > 5).to_numpy().astype(int)

    def predict_proba(X: pd.DataFrame) -> Any:
        return np.eye(2)[predict(X)]

    target = CallableTarget(predict, predict_proba, classes=np.array([0, 1]))
    test = constrained.test
    labels = predict(test.X) if kind == "immutable_only" else test.y
    data = DataBundle(
        train=constrained.train,
        test=Dataset("test", test.X, labels),
        feature_types=constrained.feature_types,
        immutable_features=constrained.immutable_features,
        ranges=constrained.ranges,
    )
    run = attack(target, data, samples=20, queries_per_sample=100)
    evidence = finding(run, "robust_accuracy").evidence
    assert value(run, "attack_success_rate") == 0.0
    assert value(run, "robust_accuracy") == evidence["clean_accuracy"]
    assert value(run, "median_perturbation_size") is None
    assert finding(run, "robust_accuracy").status != Status.FAIL or kind == "constant"
    # Both attacks spent their budget trying.
    assert evidence["attacks"]["score_based"]["median_queries_per_sample"] >= 99
