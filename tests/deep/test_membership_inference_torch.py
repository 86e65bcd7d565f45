"""Membership inference on a PyTorch target with a training function: the existing probe trains
LiRA reference models through ``fit_fresh`` and finds the leak of a network overfit on few
records."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from failmodes.probes.base import ProbeContext, RunStatus
from failmodes.probes.runner import run_probe
from failmodes.targets.datasets import DataBundle, Dataset
from tests.deep.conftest import DigitsPair, catalog_lookup, digits_target

pytest.importorskip("torch")

from failmodes.probes.membership_inference import MembershipInferenceProbe
from failmodes.training.classifier import train_classifier
from failmodes.training.digits import new_digits_cnn

MEMBERS = 150


def overfit(X: np.ndarray, y: np.ndarray, seed: int) -> Any:
    """Many epochs on few records, no regularisation: memorises its members."""
    return train_classifier(new_digits_cnn(seed), X, y, epochs=40, batch_size=32, seed=seed)


def test_lira_runs_through_the_torch_training_function(digits_pair: DigitsPair) -> None:
    X_in, y_in = digits_pair.X_train[:MEMBERS], digits_pair.y_train[:MEMBERS]
    X_out, y_out = digits_pair.X_test[:MEMBERS], digits_pair.y_test[:MEMBERS]
    target = digits_target(overfit(X_in, y_in, 0), train=overfit)
    data = DataBundle(train=Dataset("train", X_in, y_in), test=Dataset("test", X_out, y_out))
    ctx = ProbeContext(profile=None, target=target, data=data, seed=0, options={"shadow_models": 4})
    run = run_probe(MembershipInferenceProbe(), ctx, catalog_lookup)
    assert run.status == RunStatus.RAN, run.reason
    auc = {f.metric: f for f in run.findings}["mia_auc"]
    attacks = auc.evidence["attacks"]
    assert set(attacks) == {"loss", "modified_entropy", "lira"}
    assert attacks["lira"]["auc"] > 0.6 and auc.value > 0.6
