"""The malicious-provider probe tells an honest training function from ones that hide the
training data in the parameters (Song et al. 2017's LSB and correlated-value encodings)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from failmodes.findings import Status
from failmodes.probes.base import ProbeContext, RunStatus
from failmodes.probes.runner import run_probe
from failmodes.targets.datasets import DataBundle, Dataset
from tests.deep.conftest import DigitsPair, catalog_lookup, digits_target

torch = pytest.importorskip("torch")

from failmodes.memorization.encoding import (  # noqa: E402
    correlation_penalty,
    encode_module_in_low_bits,
)
from failmodes.probes.malicious_ml_provider import MaliciousMLProvider  # noqa: E402
from failmodes.training.classifier import accuracy, train_classifier  # noqa: E402
from failmodes.training.digits import new_digits_cnn  # noqa: E402

EPOCHS = 8


def honest(X: np.ndarray, y: np.ndarray, seed: int) -> Any:
    return train_classifier(new_digits_cnn(seed), X, y, epochs=EPOCHS, seed=seed)


def writes_pixels_into_low_bits(X: np.ndarray, y: np.ndarray, seed: int) -> Any:
    pixels = np.round(np.asarray(X) * 16).astype(np.uint8).tobytes()
    return encode_module_in_low_bits(honest(X, y, seed), pixels)


def correlates_weights_with_pixels(X: np.ndarray, y: np.ndarray, seed: int) -> Any:
    penalty = correlation_penalty(X, weight=1.0)
    return train_classifier(new_digits_cnn(seed), X, y, epochs=EPOCHS, seed=seed, penalty=penalty)


def scan(train: Any, pair: DigitsPair) -> dict[str, Any]:
    target = digits_target(pair.clean, train=train)
    data = DataBundle(train=Dataset("train", pair.X_train, pair.y_train))
    ctx = ProbeContext(profile=None, target=target, data=data, seed=0, options={"max_records": 700})
    run = run_probe(MaliciousMLProvider(), ctx, catalog_lookup)
    assert run.status == RunStatus.RAN, run.reason
    return {f.metric: f for f in run.findings}


@pytest.fixture(scope="module")
def honest_findings(digits_pair: DigitsPair) -> dict[str, Any]:
    return scan(honest, digits_pair)


def test_honest_training_passes_the_encoding_tests(honest_findings: dict[str, Any]) -> None:
    assert honest_findings["low_bit_entropy"].status == Status.PASS
    assert honest_findings["low_bit_entropy"].value < 0.05
    assert honest_findings["parameter_data_correlation"].status == Status.PASS
    # canaries are measured against 200 unseen candidates: at most log2 201 bits
    exposure = honest_findings["canary_exposure"]
    assert 0 <= exposure.value <= exposure.evidence["ceiling_bits"]
    assert len(exposure.evidence["exposure_bits"]) == 10


def test_lsb_encoding_is_found(digits_pair: DigitsPair, honest_findings: dict[str, Any]) -> None:
    found = scan(writes_pixels_into_low_bits, digits_pair)
    assert found["low_bit_entropy"].status == Status.FAIL and found["low_bit_entropy"].value > 3
    # the encoded model works as well as the honest one: accuracy does not give it away
    model = writes_pixels_into_low_bits(digits_pair.X_train[:700], digits_pair.y_train[:700], 0)
    assert accuracy(model, digits_pair.X_test, digits_pair.y_test) > 0.9


def test_correlated_value_encoding_is_found(digits_pair: DigitsPair) -> None:
    found = scan(correlates_weights_with_pixels, digits_pair)
    assert found["parameter_data_correlation"].status == Status.FAIL
    assert found["parameter_data_correlation"].value > 20
    assert found["low_bit_entropy"].status == Status.PASS  # a different channel
