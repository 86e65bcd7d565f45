"""Any Python function as a target."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from failmodes.targets.base import Capability, Inputs, Target


class CallableTarget(Target):
    """A model given as functions: ``predict(X) -> labels`` and, optionally,
    ``predict_proba(X) -> probabilities`` (columns in ``classes`` order).

    When only ``predict_proba`` is given, labels are its arg-max over ``classes``.
    """

    def __init__(
        self,
        predict: Callable[[Inputs], Any] | None = None,
        predict_proba: Callable[[Inputs], Any] | None = None,
        *,
        classes: Any = None,
        budget: int | None = None,
        name: str = "callable",
    ) -> None:
        if predict is None and predict_proba is None:
            raise ValueError("give predict, predict_proba or both")
        if predict is None and classes is None:
            raise ValueError("with predict_proba alone, also give classes")
        super().__init__(budget=budget, classes=classes)
        self._predict_fn = predict
        self._proba_fn = predict_proba
        self._name = name
        caps = {Capability.LABELS}
        if predict_proba is not None:
            caps.add(Capability.SCORES)
        self.capabilities = frozenset(caps)

    def _predict(self, X: Inputs) -> Any:
        if self._predict_fn is not None:
            return self._predict_fn(X)
        assert self._proba_fn is not None and self._classes is not None
        return self._classes[np.argmax(np.asarray(self._proba_fn(X)), axis=1)]

    def _predict_proba(self, X: Inputs) -> Any:
        assert self._proba_fn is not None
        return self._proba_fn(X)

    def describe(self) -> str:
        return self._name
