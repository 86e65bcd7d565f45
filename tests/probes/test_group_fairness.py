"""group_fairness: a planted disparity is found, a model without one passes, and the figures
are Fairlearn's."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import skops.io
import yaml
from sklearn.linear_model import LogisticRegression
from typer.testing import CliRunner

from failmodes.assessment.scan import threshold_lookup
from failmodes.catalog import load_catalog
from failmodes.cli import app
from failmodes.findings import Status
from failmodes.probes.base import ProbeContext, RunStatus
from failmodes.probes.group_fairness import (
    GroupFairness,
    demographic_parity_difference,
    equalized_odds_difference,
    group_rates,
)
from failmodes.probes.runner import run_probe
from failmodes.profile import profile_from_dict
from failmodes.targets.datasets import DataBundle, Dataset
from failmodes.targets.sklearn import SklearnTarget

CATALOG = load_catalog(["failmodes:governance"])
PROFILE = profile_from_dict({"name": "Fairness fixture"})


def population(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Two features that decide the label, and a group column independent of both."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"income": rng.normal(size=n), "debt": rng.normal(size=n)})
    X["group"] = rng.integers(0, 2, n)
    y = (X["income"] - X["debt"] + rng.normal(scale=0.5, size=n) > 0).astype(int).to_numpy()
    return X, y


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame, np.ndarray]:
    X_train, y_train = population(3000, 0)
    X_test, y_test = population(3000, 1)
    return X_train, y_train, X_test, y_test


def run(model, X_test, y_test, **options):
    ctx = ProbeContext(
        PROFILE,
        SklearnTarget(model),
        DataBundle(test=Dataset("test", X_test, y_test), protected_attribute="group"),
        seed=0,
        options=options,
    )
    return run_probe(GroupFairness(), ctx, threshold_lookup(CATALOG, PROFILE))


def by_metric(result) -> dict:
    return {f.metric: f for f in result.findings}


def test_planted_disparity_is_found(data):
    X_train, y_train, X_test, y_test = data
    # The historic labels refuse most of group 1's positives: the model learns the group.
    rng = np.random.default_rng(2)
    biased = y_train.copy()
    biased[(X_train["group"].to_numpy() == 1) & (rng.random(len(biased)) < 0.7)] = 0
    model = LogisticRegression().fit(X_train, biased)
    result = run(model, X_test, y_test)
    assert result.status == RunStatus.RAN, result.reason
    found = by_metric(result)
    parity, odds = found["demographic_parity_difference"], found["equalized_odds_difference"]
    assert parity.status == Status.FAIL and parity.value > 0.3
    assert odds.status == Status.FAIL and odds.value > 0.3
    groups = parity.evidence["groups"]
    assert groups["1"]["selection_rate"] < groups["0"]["selection_rate"]
    assert "group=0" in parity.message


def test_model_without_disparity_passes(data):
    X_train, y_train, X_test, y_test = data
    model = LogisticRegression().fit(X_train, y_train)
    found = by_metric(run(model, X_test, y_test))
    for metric in ("demographic_parity_difference", "equalized_odds_difference"):
        assert found[metric].status == Status.PASS, (metric, found[metric].value)
        assert found[metric].value < 0.05


def test_figures_match_fairlearn(data):
    fairlearn = pytest.importorskip("fairlearn.metrics")
    X_train, y_train, X_test, y_test = data
    rng = np.random.default_rng(3)
    biased = np.where((X_train["group"] == 1) & (rng.random(len(y_train)) < 0.4), 0, y_train)
    y_pred = LogisticRegression().fit(X_train, biased).predict(X_test)
    groups = X_test["group"].to_numpy()
    rates = group_rates(y_test, y_pred, groups, 1)
    assert demographic_parity_difference(rates) == pytest.approx(
        fairlearn.demographic_parity_difference(y_test, y_pred, sensitive_features=groups),
        abs=1e-12,
    )
    assert equalized_odds_difference(rates) == pytest.approx(
        fairlearn.equalized_odds_difference(y_test, y_pred, sensitive_features=groups), abs=1e-12
    )


def test_small_groups_are_left_out_and_one_group_is_refused(data):
    X_train, y_train, X_test, y_test = data
    model = LogisticRegression().fit(X_train, y_train)
    X = X_test.copy()
    X.loc[X.index[:5], "group"] = 7  # five rows: below the default minimum of 20
    found = by_metric(run(model, X, y_test))
    assert found["demographic_parity_difference"].evidence["groups_left_out"] == [7]
    X["group"] = 0
    result = run(model, X, y_test)
    assert result.status == RunStatus.ERROR
    assert "fewer than two groups" in (result.reason or "")


def test_multiclass_needs_the_favourable_label(data):
    X_train, _, X_test, _ = data
    y3_train = np.digitize(X_train["income"], [-0.5, 0.5])
    y3_test = np.digitize(X_test["income"], [-0.5, 0.5])
    model = LogisticRegression().fit(X_train, y3_train)
    result = run(model, X_test, y3_test)
    assert result.status == RunStatus.ERROR and "positive_label" in (result.reason or "")
    assert run(model, X_test, y3_test, positive_label="2").status == RunStatus.RAN
    wrong = run(model, X_test, y3_test, positive_label="9")
    assert wrong.status == RunStatus.ERROR and "not a label" in (wrong.reason or "")


def test_scan_with_the_governance_overlay_and_the_nist_view(data, tmp_path):
    """End to end: the profile names the protected attribute, the governance overlay brings
    the mode, the scan runs the probe, and NIST MEASURE 2.11 shows the failed measurement."""
    X_train, y_train, X_test, y_test = data
    biased = np.where(X_train["group"] == 1, 0, y_train)
    skops.io.dump(LogisticRegression().fit(X_train, biased), tmp_path / "model.skops")
    X_test.assign(approved=y_test).to_csv(tmp_path / "test.csv", index=False)
    profile = {
        "name": "Loan approvals",
        "task": "classification",
        "modalities": ["tabular"],
        "training_data": {"personal_data": True},
        "target": {
            "model": "model.skops",
            "data": {"test": "test.csv"},
            "label_column": "approved",
            "protected_attribute": "group",
        },
    }
    (tmp_path / "profile.yaml").write_text(yaml.safe_dump(profile))
    out = tmp_path / "assessment.json"
    runner = CliRunner()
    governance = ["-O", "failmodes:governance"]
    scan = runner.invoke(
        app,
        [
            "scan",
            str(tmp_path / "profile.yaml"),
            *governance,
            "-p",
            "group_fairness",
            "-o",
            str(out),
        ],
    )
    assert scan.exit_code == 0, scan.output
    mode = next(m for m in json.loads(out.read_text())["modes"] if m["id"] == "group_unfairness")
    assert mode["applicable"] and mode["tested"]
    assert {f["metric"]: f["status"] for f in mode["findings"]} == {
        "demographic_parity_difference": "fail",
        "equalized_odds_difference": "fail",
    }
    view = runner.invoke(
        app, ["report", str(out), "--by", "nist-ai-rmf", "-O", "failmodes:governance", "-q"]
    )
    assert view.exit_code == 0, view.output
    fairness = view.stdout.split("## MEASURE 2.11", 1)[1].split("\n## ", 1)[0]
    bare = runner.invoke(app, ["report", str(out), "--by", "nist-ai-rmf"])
    assert "made with overlay(s) failmodes-governance; pass them with -O" in bare.stderr
    assert "**Unfair outcomes across protected groups** (`group_unfairness`): failed" in fairness
    assert "group\\_fairness: demographic\\_parity\\_difference = " in fairness
