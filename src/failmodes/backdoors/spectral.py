"""Spectral signatures (Tran, Li and Madry, "Spectral Signatures in Backdoor Attacks",
NeurIPS 2018).

Within one class, the learned representations of trigger-bearing samples differ from the clean
ones along a direction that dominates the class's covariance, so they stand out on the top
right singular vector of the centred representations. Each sample's *outlier score* is its
squared projection on that vector; the paper removes the highest 1.5·ε of a class (ε the
poisoning budget) and retrains.

The paper does not need to decide *which* class is poisoned: it cleans every class, and so do
we — the backdoor probe names a class with Neural Cleanse and uses the signature to pick samples
within it. As a per-class summary we report the *tail ratio*, the mean of the top 5 % of
outlier scores over the class mean: a heavy tail is a group of samples far out along one
direction. On the digits pair it does not single out the poisoned class by itself (a third of
that class is poisoned, which makes the poisoned samples a mode, not a tail).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ClassSpectrum:
    """One class's spectral signature."""

    label: int
    rows: np.ndarray  # indices, into the data, of the class's samples
    scores: np.ndarray  # outlier score of each, in ``rows`` order

    @property
    def tail_ratio(self) -> float:
        """Mean of the top 5 % of outlier scores over the mean score."""
        top = np.sort(self.scores)[-max(1, len(self.scores) // 20) :]
        return float(top.mean() / max(float(self.scores.mean()), 1e-12))

    def suspects(self, fraction: float) -> np.ndarray:
        """Rows of the ``fraction`` of this class with the highest outlier scores."""
        count = max(1, round(fraction * len(self.rows)))
        return np.sort(self.rows[np.argsort(self.scores)[::-1][:count]])


def spectral_signatures(
    embeddings: np.ndarray, labels: np.ndarray, *, min_class_size: int = 10
) -> list[ClassSpectrum]:
    """The spectral signature of every class with at least ``min_class_size`` samples."""
    out = []
    for label in np.unique(labels):
        rows = np.flatnonzero(labels == label)
        if len(rows) < min_class_size:
            continue
        centred = embeddings[rows] - embeddings[rows].mean(axis=0)
        _, _, vt = np.linalg.svd(centred, full_matrices=False)
        out.append(ClassSpectrum(label=int(label), rows=rows, scores=(centred @ vt[0]) ** 2))
    return out
