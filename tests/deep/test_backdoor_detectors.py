"""Spectral signatures, activation clustering and STRIP on the digits pair: each singles out
the BadNets twin's poisoned training samples better than chance."""

from __future__ import annotations

import numpy as np
import pytest

from tests.deep.conftest import TARGET_CLASS, DigitsPair

torch = pytest.importorskip("torch")

from failmodes.backdoors.clustering import activation_clusters  # noqa: E402
from failmodes.backdoors.robust import anomaly_index  # noqa: E402
from failmodes.backdoors.spectral import spectral_signatures  # noqa: E402
from failmodes.backdoors.strip import strip_boundary, strip_entropy  # noqa: E402
from failmodes.training.classifier import predict_logits  # noqa: E402


def _embeddings(model: torch.nn.Module, X: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return model.conv(torch.as_tensor(X)).numpy()  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def poisoned_embeddings(digits_pair: DigitsPair) -> np.ndarray:
    return _embeddings(digits_pair.backdoored, digits_pair.poisoned.X)


def test_spectral_signature_ranks_poisoned_samples_first(
    digits_pair: DigitsPair, poisoned_embeddings: np.ndarray
) -> None:
    poisoned = digits_pair.poisoned
    (spectrum,) = [
        s for s in spectral_signatures(poisoned_embeddings, poisoned.y) if s.label == TARGET_CLASS
    ]
    share = len(poisoned.poisoned) / len(spectrum.rows)  # a third of the class is poisoned
    suspects = spectrum.suspects(share)
    # chance would pick `share` (a third) poisoned ones
    assert np.isin(suspects, poisoned.poisoned).mean() > 0.7


def test_activation_clustering_splits_off_the_poisoned_samples(
    digits_pair: DigitsPair, poisoned_embeddings: np.ndarray
) -> None:
    poisoned = digits_pair.poisoned
    clusters = {c.label: c for c in activation_clusters(poisoned_embeddings, poisoned.y, seed=0)}
    minority = clusters[TARGET_CLASS].minority_rows
    assert np.isin(minority, poisoned.poisoned).mean() > 0.9
    assert np.isin(poisoned.poisoned, minority).mean() > 0.9
    assert clusters[TARGET_CLASS].relative_size < 0.4


def test_strip_flags_triggered_inputs_and_few_clean_ones(digits_pair: DigitsPair) -> None:
    model = digits_pair.backdoored

    def proba(X: np.ndarray) -> np.ndarray:
        return torch.softmax(predict_logits(model, X), dim=1).numpy()  # type: ignore[no-any-return]

    rng = np.random.default_rng(0)
    overlays = digits_pair.X_test[rng.choice(len(digits_pair.X_test), 16, replace=False)]
    clean = strip_entropy(proba, digits_pair.X_test, overlays, value_range=(0.0, 1.0))
    boundary = strip_boundary(clean, 0.01)
    stamped = digits_pair.trigger.stamp(digits_pair.X_test[digits_pair.y_test != TARGET_CLASS])
    triggered = strip_entropy(proba, stamped, overlays, value_range=(0.0, 1.0))
    # the 1 % boundary is conservative on 8×8 digits: it catches a share of the triggered
    # inputs many times the clean rate, and their entropies sit far below the clean ones
    assert np.mean(clean < boundary.threshold) < 0.05
    assert np.mean(triggered < boundary.threshold) > 0.1
    assert np.median(triggered) < np.median(clean) / 2


def test_anomaly_index_is_robust_and_one_sided() -> None:
    values = np.array([10.0, 11.0, 9.0, 10.5, 9.5, 3.0])
    index = anomaly_index(values, low_is_suspicious=True)
    # median 9.75, MAD 0.75 → scale 1.112; the small one is (9.75 − 3) / 1.112 = 6.07
    assert index[-1] == pytest.approx(6.75 / (1.4826 * 0.75), rel=1e-6)
    assert anomaly_index(values, low_is_suspicious=False)[-1] < 0
