"""The space the attacks search: mutable features in standard deviations, and the way back to
valid inputs.

Each mutable feature is divided by its standard deviation in a reference set (the probe uses
the training data when present, else the test data), so ε = 0.3 means "at most 0.3 standard
deviations per feature" whatever the units. Every point sent to the model is first projected
onto valid inputs — the features the profile calls immutable, categorical or binary keep their
value (we leave categories fixed rather than search over them, and say so in the evidence);
declared ranges are clipped to; integer features (declared, or of integer dtype) are rounded;
features with no spread are left alone. So every adversarial example respects the
constraints, and one searched for inside an L∞ ball stays inside it (integers are rounded
within it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from failmodes.targets.base import Inputs
from failmodes.targets.datasets import DataBundle, Dataset


@dataclass(frozen=True)
class FeatureSpace:
    """Mutable numeric features in standardized units, and the way back to valid inputs.

    ``template`` holds the attacked rows in their original form; a point ``z`` of the space
    (one value per mutable feature, in standard deviations) becomes an input by writing
    ``z * scale`` into the mutable columns of its row's template after :meth:`project`.
    """

    template: Inputs
    columns: np.ndarray  # positions of the mutable features among all features
    scale: np.ndarray
    lower: np.ndarray  # valid range in original units (±inf when none is declared)
    upper: np.ndarray
    integer: np.ndarray  # bool: rounded in original units
    box: tuple[np.ndarray, np.ndarray]  # the data's range, for random starting points
    names: list[str]
    fixed: dict[str, str] = field(default_factory=dict)  # feature → why it is left alone

    @cached_property
    def _template_columns(self) -> dict[Any, Any]:
        assert isinstance(self.template, pd.DataFrame)
        return {name: self.template[name].array for name in self.template.columns}

    @property
    def dim(self) -> int:
        return len(self.columns)

    def mutable_values(self, X: Inputs) -> np.ndarray:
        """The mutable features of rows ``X``, in original units and the space's order."""
        return _aligned(X, self.template)[:, self.columns]

    def embed(self, X: Inputs) -> np.ndarray:
        """Rows of ``X`` as points of the space."""
        values = np.asarray(self.mutable_values(X), dtype=float)
        return np.asarray(values / self.scale)

    def project(
        self, Z: np.ndarray, center: np.ndarray | None = None, radius: float | None = None
    ) -> np.ndarray:
        """The nearest valid points: clipped to the declared ranges (and to the L∞ ball of
        ``radius`` around ``center``), integers rounded inside those bounds."""
        lower = np.broadcast_to(self.lower, Z.shape)
        upper = np.broadcast_to(self.upper, Z.shape)
        if center is not None and radius is not None:
            lower = np.maximum(lower, (center - radius) * self.scale)
            upper = np.minimum(upper, (center + radius) * self.scale)
        return np.asarray(self._valid(Z * self.scale, lower, upper) / self.scale)

    def _valid(self, X: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
        """``X`` (original units) clipped to ``[lower, upper]``, integer features rounded
        within them."""
        X = np.clip(X, lower, upper)
        cols = self.integer
        if cols.any():
            # The tolerance absorbs float error in bounds computed from a ball.
            lo = np.ceil(lower[..., cols] - 1e-9)
            hi = np.floor(upper[..., cols] + 1e-9)
            rounded = np.clip(np.round(X[..., cols]), lo, hi)
            # No integer inside the bounds (a ball narrower than one unit): keep the value.
            X[..., cols] = np.where(lo <= hi, rounded, X[..., cols])
        return X

    def inputs(self, Z: np.ndarray, rows: np.ndarray) -> Inputs:
        """Model inputs: row ``rows[i]`` of the template with its mutable features set to
        ``Z[i]`` (already projected; clipping and rounding again here only removes the
        float error of the trip through standardized units)."""
        shape = (len(Z), self.dim)
        values = self._valid(
            Z * self.scale, np.broadcast_to(self.lower, shape), np.broadcast_to(self.upper, shape)
        )
        if isinstance(self.template, pd.DataFrame):
            # One DataFrame built from columns: far cheaper than assigning into a copy.
            columns = {name: array[rows] for name, array in self._template_columns.items()}
            dtypes = self.template.dtypes
            for j, col in enumerate(self.columns):
                name = self.template.columns[col]
                columns[name] = values[:, j].astype(dtypes.iloc[col])
            return pd.DataFrame(columns)
        flat = _flat(self.template)[rows].astype(float)
        flat[:, self.columns] = values
        return np.asarray(flat.reshape(len(rows), *self.template.shape[1:]))


def _flat(X: Inputs) -> np.ndarray:
    if isinstance(X, pd.DataFrame):
        return X.to_numpy()
    return np.asarray(X).reshape(len(X), -1)


def _aligned(X: Inputs, like: Inputs) -> np.ndarray:
    """``X`` flattened, with its columns in the order of ``like``'s."""
    if isinstance(X, pd.DataFrame) and isinstance(like, pd.DataFrame):
        return X[like.columns].to_numpy()
    return _flat(X)


def feature_space(attacked: Inputs, data: DataBundle, reference: Dataset) -> FeatureSpace:
    """The attack space of ``attacked`` rows under the constraints ``data`` declares; the
    ``reference`` set gives each feature's spread and range."""
    if isinstance(attacked, pd.DataFrame):
        names = [str(c) for c in attacked.columns]
        numeric = [
            pd.api.types.is_numeric_dtype(attacked[c])
            and not pd.api.types.is_bool_dtype(attacked[c])
            for c in attacked.columns
        ]
        int_dtype = [pd.api.types.is_integer_dtype(attacked[c]) for c in attacked.columns]
    else:
        width = _flat(attacked).shape[1]
        names = [str(j) for j in range(width)]
        numeric, int_dtype = [True] * width, [False] * width
    categorical = set(data.categorical())
    immutable = set(data.immutable_features)
    ref = _aligned(reference.X, attacked)
    fixed: dict[str, str] = {}
    columns, scales = [], []
    for j, name in enumerate(names):
        if name in immutable:
            fixed[name] = "immutable"
        elif name in categorical or not numeric[j]:
            fixed[name] = "categorical (left at its value)"
        else:
            spread = float(np.std(ref[:, j].astype(float)))
            if spread == 0:
                fixed[name] = "no spread in the data"
            else:
                columns.append(j)
                scales.append(spread)
    cols = np.asarray(columns, dtype=int)
    scale = np.asarray(scales, dtype=float)
    mutable = [names[j] for j in cols]
    bounds = [data.ranges.get(n, (-np.inf, np.inf)) for n in mutable]
    lower = np.asarray([b[0] for b in bounds], dtype=float)
    upper = np.asarray([b[1] for b in bounds], dtype=float)
    integer = np.asarray(
        [
            data.feature_types.get(n) == "integer" or int_dtype[j]
            for n, j in zip(mutable, cols, strict=True)
        ],
        dtype=bool,
    )
    values = ref[:, cols].astype(float) if len(cols) else np.zeros((len(ref), 0))
    box = (
        np.maximum(values.min(axis=0), lower) / scale,
        np.minimum(values.max(axis=0), upper) / scale,
    )
    return FeatureSpace(attacked, cols, scale, lower, upper, integer, box, mutable, fixed)
