"""scikit-learn estimators and pipelines as targets."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import clone

from failmodes.targets.base import Capability, Inputs, Target


class SklearnTarget(Target):
    """Any fitted estimator with ``predict`` (and ``predict_proba`` for scores).

    ``trainable`` says whether probes may fit fresh copies (``sklearn.base.clone``) for
    reference-model and poisoning-sensitivity tests; it is on by default because a clone never
    touches the deployed model.
    """

    def __init__(
        self, estimator: Any, *, budget: int | None = None, trainable: bool = True
    ) -> None:
        super().__init__(budget=budget, classes=getattr(estimator, "classes_", None))
        self.estimator = estimator
        caps = {Capability.LABELS}
        if hasattr(estimator, "predict_proba"):
            caps.add(Capability.SCORES)
        if trainable:
            caps.add(Capability.TRAIN)
        self.capabilities = frozenset(caps)

    def _predict(self, X: Inputs) -> Any:
        return self.estimator.predict(X)

    def _predict_proba(self, X: Inputs) -> Any:
        return self.estimator.predict_proba(X)

    def _fit_fresh(self, X: Inputs, y: np.ndarray, seed: int) -> Target:
        fresh = clone(self.estimator)
        params = fresh.get_params()
        seeded = {k: seed for k in params if k == "random_state" or k.endswith("__random_state")}
        if seeded:
            fresh.set_params(**seeded)
        fresh.fit(X, y)
        return SklearnTarget(fresh, trainable=True)

    def describe(self) -> str:
        return type(self.estimator).__name__
