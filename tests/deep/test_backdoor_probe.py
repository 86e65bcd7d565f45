"""The backdoor probe on the digits pair: it names the BadNets target class on the twin, with
the poisoned training rows and the recovered trigger, and names nothing on the clean network."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from failmodes.findings import Status
from failmodes.probes.base import ProbeContext, RunStatus
from failmodes.probes.runner import run_probe
from failmodes.targets.datasets import DataBundle, Dataset
from tests.deep.conftest import TARGET_CLASS, DigitsPair, catalog_lookup, digits_target

pytest.importorskip("torch")

from failmodes.probes.backdoor import BackdoorProbe

OPTIONS = {"cleanse_steps": 100, "cleanse_inputs": 64, "overlays": 12}


def scan(model: Any, X: np.ndarray, y: np.ndarray, pair: DigitsPair) -> dict[str, Any]:
    data = DataBundle(train=Dataset("train", X, y), test=Dataset("test", pair.X_test, pair.y_test))
    ctx = ProbeContext(
        profile=None, target=digits_target(model), data=data, seed=0, options=OPTIONS
    )
    run = run_probe(BackdoorProbe(), ctx, catalog_lookup)
    assert run.status == RunStatus.RAN, run.reason
    return {f.metric: f for f in run.findings}


@pytest.fixture(scope="module")
def twin(digits_pair: DigitsPair) -> dict[str, Any]:
    poisoned = digits_pair.poisoned
    return scan(digits_pair.backdoored, poisoned.X, poisoned.y, digits_pair)


@pytest.fixture(scope="module")
def clean(digits_pair: DigitsPair) -> dict[str, Any]:
    return scan(digits_pair.clean, digits_pair.X_train, digits_pair.y_train, digits_pair)


def test_names_the_target_class_of_the_twin(twin: dict[str, Any]) -> None:
    finding = twin["trigger_anomaly_index"]
    assert finding.status == Status.FAIL and finding.value > 2
    assert finding.evidence["suspicious_classes"] == [str(TARGET_CLASS)]
    l1 = finding.evidence["mask_l1"]
    assert l1[str(TARGET_CLASS)] < 0.6 * np.median(list(l1.values()))
    kinds = [p["kind"] for p in finding.evidence["plots"]]
    assert kinds == ["bar", "images"]
    mask = np.array(finding.evidence["plots"][1]["images"][0])
    # the recovered mask sits where BadNets put the trigger: the bottom-right 3×3 corner
    assert mask[5:, 5:].sum() > 0.5 * mask.sum()


def test_points_at_the_poisoned_training_rows(
    twin: dict[str, Any], digits_pair: DigitsPair
) -> None:
    rows = np.array(twin["suspected_poisoned_samples"].evidence["rows"][str(TARGET_CLASS)])
    truth = digits_pair.poisoned.poisoned
    assert np.isin(rows, truth).mean() > 0.8  # precision
    assert np.isin(truth, rows).mean() > 0.5  # recall


def test_finds_nothing_on_the_clean_network(clean: dict[str, Any], twin: dict[str, Any]) -> None:
    finding = clean["trigger_anomaly_index"]
    assert finding.status == Status.PASS and finding.value < 2
    assert finding.evidence["suspicious_classes"] == []
    assert "suspected_poisoned_samples" not in clean
    assert clean["low_entropy_input_rate"].value < twin["low_entropy_input_rate"].value
