"""The framework around probes: needs checked before a run, errors kept as results with their
partial findings, verdicts from thresholds, and threshold precedence."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from failmodes.assessment.scan import scan, threshold_lookup
from failmodes.catalog import load_catalog
from failmodes.catalog.schema import Direction, Threshold
from failmodes.errors import InputError
from failmodes.findings import Status
from failmodes.probes.base import Measurement, Need, Probe, ProbeContext, ProbeSpec, RunStatus
from failmodes.probes.registry import ProbeRegistry
from failmodes.probes.runner import run_probe
from failmodes.profile import profile_from_dict
from failmodes.profile.schema import MetricThreshold
from failmodes.targets.callable import CallableTarget
from failmodes.targets.datasets import DataBundle, Dataset
from failmodes.targets.sklearn import SklearnTarget

CATALOG = load_catalog()
PROFILE = profile_from_dict({"name": "Runner test"})
X = np.random.default_rng(0).normal(size=(40, 3))
Y = (X[:, 0] > 0).astype(int)
DATA = DataBundle(train=Dataset("train", X, Y), test=Dataset("test", X, Y))
MODEL = LogisticRegression().fit(X, Y)


def spec(**changes) -> ProbeSpec:
    base = {
        "id": "toy",
        "name": "Toy",
        "summary": "A probe for tests.",
        "failure_modes": ("membership_inference",),
    }
    return ProbeSpec(**{**base, **changes})


class Measures(Probe):
    """Queries ten rows, then yields the AUC it was given in its options."""

    spec = spec(needs=frozenset({Need.SCORES, Need.TRAIN_DATA}))

    def run(self, ctx: ProbeContext) -> Iterator[Measurement]:
        assert ctx.target is not None
        ctx.target.predict_proba(X[:10])
        yield Measurement("membership_inference", "mia_auc", ctx.options.get("auc", 0.7))
        yield Measurement("membership_inference", "shadow_count", 4.0)
        yield Measurement("membership_inference", "mia_advantage", None, message="not measured")


class FailsHalfway(Probe):
    """Yields one finding, then breaks."""

    spec = spec(id="fails_halfway")

    def run(self, ctx: ProbeContext) -> Iterator[Measurement]:
        yield Measurement("membership_inference", "mia_auc", 0.52)
        raise RuntimeError("shadow model diverged")


class Strays(Probe):
    """Measures a failure mode its spec does not declare."""

    spec = spec(id="strays")

    def run(self, ctx: ProbeContext) -> Iterator[Measurement]:
        yield Measurement("model_stealing", "surrogate_fidelity", 0.9)


def lookup(thresholds=None):
    return threshold_lookup(CATALOG, PROFILE, thresholds)


def run(probe, target=None, data=DATA, **options):
    ctx = ProbeContext(PROFILE, target, data, seed=5, options=options)
    return run_probe(probe(), ctx, lookup())


def test_needs_not_met_skip_with_every_reason():
    result = run(
        Measures, target=CallableTarget(MODEL.predict, name="label API"), data=DataBundle()
    )
    assert result.status == RunStatus.SKIPPED and result.findings == []
    assert result.reason == (
        "the target (label API) does not offer scores; no train data (profile `target.data.train`)."
    )
    no_target = run(Measures, target=None)
    assert no_target.reason.startswith("no model target is configured")


class NeedsTorch(Measures):
    """Measures, behind the torch extra."""

    spec = spec(id="needs_torch", extras=("torch",))


def test_a_missing_extra_skips_the_probe_with_how_to_install_it(monkeypatch):
    from failmodes.probes import runner

    assert run(NeedsTorch, target=SklearnTarget(MODEL)).status == RunStatus.RAN
    monkeypatch.setitem(runner.EXTRA_MODULES, "torch", "failmodes_test_no_such_module")
    result = run(NeedsTorch, target=SklearnTarget(MODEL))
    assert result.status == RunStatus.SKIPPED and result.findings == []
    assert result.reason == "needs failmodes[torch] (pip install 'failmodes[torch]')."


def test_measurements_become_findings_with_verdicts_and_query_counts():
    result = run(Measures, target=SklearnTarget(MODEL), auc=0.58)
    assert result.status == RunStatus.RAN and result.queries == 10 and result.seed == 5
    auc, extra, missing = result.findings
    assert (auc.status, auc.severity) == (Status.WARN, None)  # 0.55 < 0.58 ≤ 0.6
    assert auc.threshold == Threshold(direction=Direction.ABOVE, warn=0.55, fail=0.6)
    assert extra.status == Status.INFO and extra.threshold is None  # not a catalog indicator
    assert missing.status == Status.INFO and missing.message == "not measured"
    assert all(f.queries == 10 and f.probe == "toy" for f in result.findings)
    failed = run(Measures, target=SklearnTarget(MODEL), auc=0.61).findings[0]
    assert failed.status == Status.FAIL and failed.severity.value == "important"
    assert run(Measures, target=SklearnTarget(MODEL), auc=0.55).findings[0].status == Status.PASS


def test_an_error_keeps_the_findings_measured_before_it():
    result = run(FailsHalfway)
    assert result.status == RunStatus.ERROR
    assert result.reason == "RuntimeError: shadow model diverged"
    assert [f.value for f in result.findings] == [0.52]


def test_measuring_an_undeclared_mode_is_an_error():
    result = run(Strays)
    assert result.status == RunStatus.ERROR and "does not declare" in result.reason
    assert result.findings == []


def test_threshold_precedence_command_line_then_profile_then_catalog():
    profile = profile_from_dict(
        {"name": "p", "thresholds": {"mia_auc": {"warn": 0.7, "fail": 0.8}}}
    )
    cli = {"membership_inference.mia_auc": MetricThreshold(warn=0.9, fail=0.95)}
    catalog_only = threshold_lookup(CATALOG, PROFILE)("membership_inference", "mia_auc")[0]
    from_profile = threshold_lookup(CATALOG, profile)("membership_inference", "mia_auc")[0]
    from_cli = threshold_lookup(CATALOG, profile, cli)("membership_inference", "mia_auc")[0]
    assert (catalog_only.warn, catalog_only.fail) == (0.55, 0.6)
    assert (from_profile.warn, from_profile.fail) == (0.7, 0.8)
    assert (from_cli.warn, from_cli.fail) == (0.9, 0.95)
    assert from_cli.direction == Direction.ABOVE  # inherited from the catalog


def test_a_threshold_for_a_new_metric_needs_a_direction():
    no_direction = {"shadow_count": MetricThreshold(warn=2)}
    with pytest.raises(InputError, match="give its `direction`"):
        threshold_lookup(CATALOG, PROFILE, no_direction)("membership_inference", "shadow_count")
    below = {"shadow_count": MetricThreshold(direction="below", fail=8)}
    threshold, _ = threshold_lookup(CATALOG, PROFILE, below)("membership_inference", "shadow_count")
    assert threshold.verdict(4.0).value == "fail"


def test_scan_marks_modes_tested_and_untested_with_reasons():
    registry = ProbeRegistry([Measures, FailsHalfway])
    profile = profile_from_dict({"name": "Scored API", "training_data": {"personal_data": True}})
    assessment = scan(
        profile, SklearnTarget(MODEL), DATA, catalog=CATALOG, registry=registry, budget=50
    )
    mia = assessment.get("membership_inference")
    assert mia.tested and {f.probe for f in mia.findings} == {"toy", "fails_halfway"}
    assert assessment.get("model_stealing").untested_reason.startswith("no probe is built")
    assert [r.status for r in assessment.probe_runs] == [RunStatus.ERROR, RunStatus.RAN]
    assert assessment.coverage.tested == 1
