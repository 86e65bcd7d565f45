"""STRIP (Gao, Xu, Wang, Chen, Ranasinghe and Nepal, "STRIP: A Defence Against Trojan Attacks
on Deep Neural Networks", ACSAC 2019).

An input is superimposed on a set of clean images and the model's predictions on the blends are
read. A clean input's prediction follows whatever it was blended with, so the predictions vary
and their average entropy is high; an input carrying a trigger keeps being sent to the target
class, whatever the blend, so its entropy is low. The detection boundary is the false-rejection
percentile of a normal distribution fitted to the entropies of clean held-out inputs, as in the
paper. Blending adds the two images and clips to the input range (the paper's superimposition).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

#: Probabilities are clipped this far from 0 before logs.
EPS = 1e-12


def strip_entropy(
    predict_proba: Callable[[np.ndarray], np.ndarray],
    X: np.ndarray,
    overlays: np.ndarray,
    *,
    value_range: tuple[float, float],
) -> np.ndarray:
    """Mean prediction entropy (bits) of each row of ``X`` blended with every overlay."""
    low, high = value_range
    n, k = len(X), len(overlays)
    blends = np.clip(X[:, None] + overlays[None, :], low, high).reshape(n * k, *X.shape[1:])
    proba = np.clip(predict_proba(blends.astype(X.dtype)), EPS, 1.0)
    entropy = -(proba * np.log2(proba)).sum(axis=1)
    return np.asarray(entropy.reshape(n, k).mean(axis=1))


@dataclass(frozen=True)
class StripBoundary:
    """Entropies below ``threshold`` are flagged as carrying a trigger."""

    threshold: float
    false_rejection_rate: float
    clean_mean: float
    clean_std: float


def strip_boundary(clean_entropy: np.ndarray, false_rejection_rate: float = 0.01) -> StripBoundary:
    """The paper's boundary: the FRR percentile of a normal fit to clean entropies."""
    mean, std = float(np.mean(clean_entropy)), float(np.std(clean_entropy))
    return StripBoundary(
        threshold=float(norm.ppf(false_rejection_rate, mean, max(std, 1e-12))),
        false_rejection_rate=false_rejection_rate,
        clean_mean=mean,
        clean_std=std,
    )
