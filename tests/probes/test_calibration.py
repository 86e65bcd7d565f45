"""Expected calibration error and scored predictions."""

from __future__ import annotations

import numpy as np
import pytest

from failmodes.probes.calibration import reliability, scored_predictions
from failmodes.targets.callable import CallableTarget


def test_ece_of_a_known_example() -> None:
    # Bin (0.8667, 0.9333]: confidence 0.9, accuracy 0.5. Bin (0.6, 0.6667]: 0.62, accuracy 1.
    confidence = np.array([0.9, 0.9, 0.9, 0.9, 0.62, 0.62])
    correct = np.array([True, False, True, False, True, True])
    result = reliability(confidence, correct)
    assert result.ece == pytest.approx(4 / 6 * 0.4 + 2 / 6 * 0.38)
    assert sum(result.counts) == 6 and result.counts[13] == 4 and result.counts[9] == 2
    assert result.accuracy[13] == 0.5 and result.confidence[9] == pytest.approx(0.62)
    assert result.accuracy[0] is None


def test_perfectly_calibrated_scores_have_small_ece() -> None:
    rng = np.random.default_rng(0)
    confidence = rng.uniform(0.5, 1.0, 20000)
    correct = rng.random(20000) < confidence
    assert reliability(confidence, correct).ece < 0.02


def test_scored_predictions_read_labels_from_the_classes() -> None:
    target = CallableTarget(
        predict_proba=lambda X: np.array([[0.2, 0.8], [0.7, 0.3]]), classes=["cat", "dog"]
    )
    scored = scored_predictions(target, np.zeros((2, 1)))
    assert list(scored.labels) == ["dog", "cat"]
    np.testing.assert_allclose(scored.confidence, [0.8, 0.7])
    assert target.queries == 2
