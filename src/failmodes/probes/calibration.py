"""Confidence and calibration: does the model's stated confidence match how often it is right?

:func:`scored_predictions` asks a target once for class probabilities and reads the predicted
label and its confidence from them; :func:`reliability` bins the confidences and computes the
expected calibration error of Guo, Pleiss, Sun and Weinberger ("On Calibration of Modern Neural
Networks", ICML 2017): ECE = Σ_b (|B_b| / n) · |accuracy(B_b) − confidence(B_b)| over
:data:`ECE_BINS` equal-width confidence bins, as in the paper. Used by the
``natural_adversarial_examples`` and ``incomplete_testing`` probes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from failmodes.findings import Plot, Series
from failmodes.targets.base import Inputs, Target

#: Equal-width confidence bins, as in Guo et al. (2017).
ECE_BINS = 15


@dataclass(frozen=True)
class ScoredPredictions:
    """Predicted labels with the probability the model gave them."""

    labels: np.ndarray
    confidence: np.ndarray


def scored_predictions(target: Target, X: Inputs) -> ScoredPredictions:
    """Labels and confidences from one ``predict_proba`` query per row.

    The label is the arg-max class, the one the confidence belongs to; for most models it is
    what ``predict`` returns (not always: an SVC's Platt-scaled probabilities can disagree with
    its decision function). Only when the target does not say its classes is ``predict``
    asked as well.
    """
    proba = target.predict_proba(X)
    classes = target.classes
    if classes is not None and len(classes) == proba.shape[1]:
        labels = classes[np.argmax(proba, axis=1)]
    else:
        labels = np.asarray(target.predict(X))
    return ScoredPredictions(labels=labels, confidence=proba.max(axis=1))


@dataclass(frozen=True)
class Reliability:
    """A reliability diagram's data: per confidence bin, its rows, mean confidence and
    accuracy; and the expected calibration error."""

    ece: float
    edges: list[float]
    counts: list[int]
    confidence: list[float | None]
    accuracy: list[float | None]

    def evidence(self) -> dict[str, Any]:
        return {
            "ece_bins": len(self.counts),
            "bin_edges": self.edges,
            "bin_counts": self.counts,
            "bin_confidence": self.confidence,
            "bin_accuracy": self.accuracy,
        }

    def plot(self, title: str) -> dict[str, Any]:
        """Accuracy against confidence per bin; the diagonal is perfect calibration."""
        filled = [i for i, n in enumerate(self.counts) if n]
        return Plot(
            kind="line",
            title=title,
            xlabel="confidence",
            ylabel="accuracy",
            series=[
                Series(
                    label="model",
                    x=[float(self.confidence[i] or 0.0) for i in filled],
                    y=[float(self.accuracy[i] or 0.0) for i in filled],
                ),
                Series(label="perfect calibration", x=[0.0, 1.0], y=[0.0, 1.0]),
            ],
            alt=f"Reliability diagram; expected calibration error {self.ece:.3f}.",
        ).model_dump()


def reliability(confidence: np.ndarray, correct: np.ndarray, bins: int = ECE_BINS) -> Reliability:
    """Bin ``confidence`` into ``bins`` equal-width bins over (0, 1] and compare each bin's
    mean confidence with its accuracy (``correct`` is one boolean per row)."""
    confidence = np.asarray(confidence, dtype=float)
    correct = np.asarray(correct, dtype=bool)
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.ceil(confidence * bins).astype(int) - 1, 0, bins - 1)
    counts = np.bincount(index, minlength=bins)
    conf_sum = np.bincount(index, weights=confidence, minlength=bins)
    right = np.bincount(index, weights=correct.astype(float), minlength=bins)
    filled = counts > 0
    mean_conf = np.divide(conf_sum, counts, out=np.zeros(bins), where=filled)
    accuracy = np.divide(right, counts, out=np.zeros(bins), where=filled)
    ece = float(np.sum(counts / max(len(confidence), 1) * np.abs(accuracy - mean_conf)))
    return Reliability(
        ece=ece,
        edges=[float(e) for e in edges],
        counts=[int(n) for n in counts],
        confidence=[float(c) if f else None for c, f in zip(mean_conf, filled, strict=True)],
        accuracy=[float(a) if f else None for a, f in zip(accuracy, filled, strict=True)],
    )
