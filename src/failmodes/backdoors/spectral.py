"""Spectral signatures (Tran, Li and Madry, "Spectral Signatures in Backdoor Attacks",
NeurIPS 2018).

Within one class, the learned representations of trigger-bearing samples differ from the clean
ones along a direction that dominates the class's covariance, so they stand out on the top
right singular vector of the centred representations. Each sample's *outlier score* is its
squared projection on that vector; the paper removes the highest 1.5·ε of a class (ε the
poisoning budget) and retrains.

The paper does not need to decide *which* class is poisoned: it cleans every class. To name a
suspicious class we add a class statistic: the share of the class's variance that lies along
its top singular direction, compared across classes with the robust (median / MAD) anomaly
index Neural Cleanse uses (:func:`failmodes.backdoors.robust.anomaly_index`). A poisoned class
is a mixture of two populations, which concentrates its variance on the direction that parts
them.
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
    top_share: float  # share of the class's variance on the top singular direction

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
        _, singular, vt = np.linalg.svd(centred, full_matrices=False)
        energy = float(np.sum(singular**2))
        out.append(
            ClassSpectrum(
                label=int(label),
                rows=rows,
                scores=(centred @ vt[0]) ** 2,
                top_share=float(singular[0] ** 2 / energy) if energy > 0 else 0.0,
            )
        )
    return out
