"""Adversarial reprogramming of the clean digits network for iris, far above chance; and the
probe is skipped, with the reason, on a target without gradients."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from failmodes.findings import Status
from failmodes.probes.base import ProbeContext, RunStatus
from failmodes.probes.runner import run_probe
from failmodes.targets.callable import CallableTarget
from failmodes.targets.datasets import DataBundle
from tests.deep.conftest import DigitsPair, catalog_lookup, digits_target

pytest.importorskip("torch")

from failmodes.attacks.reprogramming import render_foreign_task
from failmodes.probes.neural_net_reprogramming import NeuralNetReprogramming


def test_reprograms_the_digits_network_for_iris(digits_pair: DigitsPair) -> None:
    target: Any = digits_target(digits_pair.clean)
    ctx = ProbeContext(
        profile=None, target=target, data=DataBundle(), seed=0, options={"steps": 200}
    )
    run = run_probe(NeuralNetReprogramming(), ctx, catalog_lookup)
    assert run.status == RunStatus.RAN, run.reason
    found = {f.metric: f for f in run.findings}
    accuracy = found["reprogramming_task_accuracy"]
    chance = accuracy.evidence["chance"]
    assert chance < 0.45 and accuracy.value > chance + 0.25, (accuracy.value, chance)
    assert found["reprogramming_advantage"].status in (Status.WARN, Status.FAIL)
    assert accuracy.evidence["gradient_queries"] == 200 * 64
    assert run.queries >= 200 * 64  # every gradient query counted by the target
    program = np.array(accuracy.evidence["plots"][0]["images"][0])
    assert program.shape == (8, 8)
    # the weights are untouched and trainable again afterwards
    assert all(p.requires_grad for p in digits_pair.clean.parameters())


def test_foreign_data_sits_in_the_window_only() -> None:
    features = np.arange(12, dtype=float).reshape(3, 4)
    task = render_foreign_task(
        "t",
        features,
        np.array([0, 1, 1]),
        (1, 8, 8),
        value_range=(0.0, 1.0),
        rng=np.random.default_rng(0),
        test_share=0.34,
    )
    assert task.window.sum() == 4 and task.window[3:5, 3:5].all()
    outside = np.concatenate([task.X_train, task.X_test])[:, 0][:, task.window == 0]
    assert not outside.any()


def test_needs_gradients() -> None:
    target = CallableTarget(lambda X: np.zeros(len(X)))
    ctx = ProbeContext(profile=None, target=target, data=DataBundle(), seed=0)
    run = run_probe(NeuralNetReprogramming(), ctx, catalog_lookup)
    assert run.status == RunStatus.SKIPPED and "gradients" in (run.reason or "")
