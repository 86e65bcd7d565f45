"""Activation clustering (Chen, Carvalho, Baracaldo, Ludwig, Edwards, Lee, Molloy and
Srivastava, "Detecting Backdoor Attacks on Deep Neural Networks by Activation Clustering",
2018).

The last hidden layer's activations of one class are reduced to ten dimensions and split in
two with k-means. For a clean class the two halves are arbitrary; for a poisoned class one
cluster holds the trigger-bearing samples — the network "sees" them differently, because it
labels them for the trigger, not for their content — so it is small and well separated. The
paper reduces with ICA; we use PCA (as its reference implementation in ART allows), which is
deterministic and faster, and report both of the paper's cluster statistics: the smaller
cluster's relative size and the silhouette score of the split.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import silhouette_score

#: Dimensions the activations are reduced to before clustering, as in the paper.
COMPONENTS = 10


@dataclass(frozen=True)
class ClassClusters:
    """The two-way split of one class's activations."""

    label: int
    minority_rows: np.ndarray  # indices, into the data, of the smaller cluster
    relative_size: float  # size of the smaller cluster over the class size
    silhouette: float  # how well the two clusters separate, in [-1, 1]


def activation_clusters(
    embeddings: np.ndarray, labels: np.ndarray, *, seed: int, min_class_size: int = 10
) -> list[ClassClusters]:
    """Split each class with at least ``min_class_size`` samples into two clusters."""
    out = []
    for label in np.unique(labels):
        rows = np.flatnonzero(labels == label)
        if len(rows) < min_class_size:
            continue
        points = embeddings[rows]
        components = min(COMPONENTS, points.shape[1], len(rows) - 1)
        reduced = PCA(n_components=components, random_state=seed).fit_transform(points)
        assignment = KMeans(n_clusters=2, n_init=10, random_state=seed).fit_predict(reduced)
        counts = np.bincount(assignment, minlength=2)
        if counts.min() == 0:
            continue
        minority = int(np.argmin(counts))
        out.append(
            ClassClusters(
                label=int(label),
                minority_rows=rows[assignment == minority],
                relative_size=float(counts[minority] / len(rows)),
                silhouette=float(silhouette_score(reduced, assignment)),
            )
        )
    return out
