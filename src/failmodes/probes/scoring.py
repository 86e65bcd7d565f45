"""What the privacy probes share: labelled records, the queries left, and the score each
record's own label gets.

Membership inference and model inversion both read ``p(y | x)`` — how much of its score the
model gives the label a record truly has — from a target that may not name its classes, under
a query budget that the scan and the target may each set. One definition makes both probes
read labels, scores and budgets the same way.
"""

from __future__ import annotations

import numpy as np

from failmodes.errors import DataError, InputError
from failmodes.probes.base import ProbeContext
from failmodes.targets.base import Inputs, Target


def true_label_probability(proba: np.ndarray, classes: np.ndarray, y: np.ndarray) -> np.ndarray:
    """p(y_i | x_i) for each row: the column of each record's own label.

    A label the model does not know (a shadow model trained without that class) gets
    probability 0, which is what the model gives it.
    """
    index = {label: i for i, label in enumerate(classes.tolist())}
    columns = np.array([index.get(label, -1) for label in y.tolist()])
    picked = proba[np.arange(len(y)), np.maximum(columns, 0)]
    return np.where(columns >= 0, picked, 0.0)


def score_classes(target: Target, proba: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The labels of ``proba``'s columns: the target's, or the sorted labels of the data
    (scikit-learn's order) when it does not say and their number matches."""
    classes = target.classes
    if classes is None:
        classes = np.unique(y)
    if len(classes) != proba.shape[1]:
        raise DataError(
            f"the target returns {proba.shape[1]} scores per row, but "
            f"{'it names' if target.classes is not None else 'the data has'} {len(classes)} "
            "classes; give the target's class order."
        )
    return np.asarray(classes)


def query_allowance(ctx: ProbeContext) -> int | None:
    """Queries this probe may still send: the scan's budget and the target's, if any."""
    limits = [ctx.budget] if ctx.budget is not None else []
    target = ctx.target
    if target is not None and target.budget is not None:
        limits.append(target.budget - target.queries)
    return min(limits) if limits else None


def labelled(ctx: ProbeContext, role: str) -> tuple[Inputs, np.ndarray]:
    """Features and labels of the data set ``role``, which must carry labels."""
    dataset = ctx.dataset(role)
    if dataset.y is None:
        raise InputError(f"the {role} data has no labels; name `target.label_column`.")
    return dataset.X, dataset.y
