"""The target as the attacks see it: asked about points of the feature space, with its
queries counted per attacked row.

The attacks' goal is read here: a label that differs from the true one (decision-based), or
a margin ``p(true class) − max p(other class)`` below zero (score-based). Rows are attacked
together, one model call per step for all of them, which changes no per-sample query count:
each row's budget is checked against its own count.
"""

from __future__ import annotations

import numpy as np

from failmodes.attacks.feature_space import FeatureSpace
from failmodes.targets.base import Target


class Oracle:
    """Asks the target about points of the space, counting queries per attacked row."""

    def __init__(self, target: Target, space: FeatureSpace, labels: np.ndarray) -> None:
        self.target = target
        self.space = space
        self.labels = labels
        self.spent = np.zeros(len(labels), dtype=int)
        classes = target.classes
        self._column = (
            None
            if classes is None
            else np.asarray([np.flatnonzero(classes == y)[0] for y in labels])
        )

    def adversarial(self, Z: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Whether the model's label differs from the true one, for each point."""
        if len(rows) == 0:
            return np.zeros(0, dtype=bool)
        np.add.at(self.spent, rows, 1)
        predicted = self.target.predict(self.space.inputs(Z, rows))
        return np.asarray(predicted != self.labels[rows])

    def margin(self, Z: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """``p(true class) − max p(other class)``: negative once the top score is wrong."""
        assert self._column is not None
        np.add.at(self.spent, rows, 1)
        scores = self.target.predict_proba(self.space.inputs(Z, rows))
        true = self._column[rows]
        mine = scores[np.arange(len(rows)), true]
        scores[np.arange(len(rows)), true] = -np.inf
        return np.asarray(mine - scores.max(axis=1))
