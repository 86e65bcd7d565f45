"""What an attack found for each row, kept whole so that success can be read at any ε and any
query budget after the run."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass
class AttackResult:
    """Per attacked row: the adversarial point of smallest L∞ found (NaN when none), the
    smallest L∞ and L2 sizes found, queries spent, and the trace of (queries spent, smallest
    L∞ so far) that the budget curve is read from."""

    name: str
    adversarial: np.ndarray
    linf: np.ndarray
    l2: np.ndarray
    queries: np.ndarray
    trace: list[list[tuple[int, float]]]

    def found(self) -> np.ndarray:
        return np.asarray(np.isfinite(self.linf))

    def success_within(self, epsilon: float, queries: float = math.inf) -> np.ndarray:
        """Rows flipped by a change of at most ``epsilon`` (L∞) within ``queries``."""
        return np.asarray(
            [any(q <= queries and d <= epsilon + 1e-9 for q, d in t) for t in self.trace]
        )


def perturbation_sizes(Z: np.ndarray, z0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The L∞ and L2 size of each row's change from ``z0`` to ``Z``."""
    delta = Z - z0
    return np.abs(delta).max(axis=1, initial=0.0), np.linalg.norm(delta, axis=1)
