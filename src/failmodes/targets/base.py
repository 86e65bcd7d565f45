"""One interface to a model, whatever it is: the :class:`Target` contract.

A probe never touches a scikit-learn estimator, a Python function or an HTTP endpoint
directly; it asks a target, which declares what it can do (:class:`Capability`) and counts
every query. A probe declares what it needs, and the runner checks the two against each other
before the probe starts, so "this model returns labels only" is a reason in the report, not
an exception in the middle of an attack.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sized
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd

from failmodes.errors import FailmodesError

Inputs = pd.DataFrame | np.ndarray


class Capability(StrEnum):
    """What a target can do."""

    LABELS = "labels"  # predict(X) -> labels
    SCORES = "scores"  # predict_proba(X) -> class probabilities
    TRAIN = "train"  # fit_fresh(X, y) -> an untrained copy fitted on new data
    EMBEDDINGS = "embeddings"  # embed(X) -> penultimate representations
    GRADIENTS = "gradients"  # loss gradients with respect to inputs


class QueryBudgetExceeded(FailmodesError):
    """The probe asked for more queries than the target's budget allows."""


class CapabilityMissing(FailmodesError):
    """A probe called a method the target does not offer (a probe bug: declare needs)."""


class Target(ABC):
    """A model behind one small interface, with a query counter and an optional budget.

    Subclasses implement :meth:`_predict` (and :meth:`_predict_proba` and friends when they
    declare the capability); the public methods count queries — one per input row — and
    enforce the budget before the model is asked.
    """

    capabilities: frozenset[Capability] = frozenset({Capability.LABELS})

    def __init__(self, *, budget: int | None = None, classes: Any = None) -> None:
        self.budget = budget
        self.queries = 0
        self._classes = None if classes is None else np.asarray(classes)

    # -- the contract --------------------------------------------------------------------
    @property
    def classes(self) -> np.ndarray | None:
        """Class labels in the column order of :meth:`predict_proba`, if known."""
        return self._classes

    def predict(self, X: Inputs) -> np.ndarray:
        """Predicted labels for each row of ``X``."""
        self._spend(X)
        return np.asarray(self._predict(X))

    def predict_proba(self, X: Inputs) -> np.ndarray:
        """Class probabilities, one row per input, columns in :attr:`classes` order."""
        self._require(Capability.SCORES)
        self._spend(X)
        return np.asarray(self._predict_proba(X), dtype=float)

    def fit_fresh(self, X: Inputs, y: np.ndarray, *, seed: int = 0) -> Target:
        """A new target of the same kind, trained from scratch on ``(X, y)``.

        Training copies is how reference-model attacks and poisoning-sensitivity tests work;
        it does not count as querying the deployed model.
        """
        self._require(Capability.TRAIN)
        return self._fit_fresh(X, y, seed)

    def embed(self, X: Inputs) -> np.ndarray:
        self._require(Capability.EMBEDDINGS)
        self._spend(X)
        return np.asarray(self._embed(X), dtype=float)

    # -- for subclasses ------------------------------------------------------------------
    @abstractmethod
    def _predict(self, X: Inputs) -> Any: ...

    def _predict_proba(self, X: Inputs) -> Any:
        raise CapabilityMissing(f"{type(self).__name__} returns no scores")

    def _fit_fresh(self, X: Inputs, y: np.ndarray, seed: int) -> Target:
        raise CapabilityMissing(f"{type(self).__name__} cannot be retrained")

    def _embed(self, X: Inputs) -> Any:
        raise CapabilityMissing(f"{type(self).__name__} gives no embeddings")

    # -- bookkeeping ---------------------------------------------------------------------
    def _require(self, capability: Capability) -> None:
        if capability not in self.capabilities:
            raise CapabilityMissing(
                f"{type(self).__name__} does not offer {capability.value}; the probe must "
                "declare it in its spec so the runner can skip it with a reason"
            )

    def _spend(self, X: Sized) -> None:
        n = len(X)
        if self.budget is not None and self.queries + n > self.budget:
            raise QueryBudgetExceeded(
                f"query budget of {self.budget:,} exhausted ({self.queries:,} used, "
                f"{n:,} more asked); raise --budget or lower the probe's sample size"
            )
        self.queries += n

    def describe(self) -> str:
        """A short description for reports (never the model itself)."""
        return type(self).__name__
