"""The attack space: which features move, in which units, and the way back to valid inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from failmodes.attacks.feature_space import feature_space
from failmodes.targets.datasets import DataBundle, Dataset


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "amount": rng.normal(100, 20, 200),  # std about 20
            "items": rng.integers(1, 10, 200),  # integer dtype
            "age": rng.integers(18, 90, 200),  # immutable
            "channel": rng.choice(["web", "app"], 200),  # categorical
            "constant": np.full(200, 3.0),  # no spread
        }
    )


@pytest.fixture(scope="module")
def space(frame):
    data = DataBundle(
        feature_types={"channel": "categorical"},
        immutable_features=["age"],
        ranges={"amount": (0.0, 150.0)},
    )
    return feature_space(frame.iloc[:5], data, Dataset("reference", frame))


def test_only_numeric_mutable_features_with_spread_move(space, frame):
    assert space.names == ["amount", "items"]
    assert space.fixed == {
        "age": "immutable",
        "channel": "categorical (left at its value)",
        "constant": "no spread in the data",
    }
    assert np.allclose(space.scale, [frame["amount"].std(ddof=0), frame["items"].std(ddof=0)])
    assert space.integer.tolist() == [False, True]


def test_embed_is_in_standard_deviations(space, frame):
    z = space.embed(frame.iloc[:5])
    assert np.allclose(z[:, 0] * space.scale[0], frame["amount"].iloc[:5])


def test_projection_clips_to_ranges_and_balls_and_rounds_integers(space):
    far = np.array([[100.0, 0.26]])  # amount 100 std: far above 150; items 0.26 std
    projected = space.project(far) * space.scale
    assert projected[0, 0] == 150.0
    assert projected[0, 1] == np.round(0.26 * space.scale[1])
    center = np.array([[5.0, 1.0]])
    inside = space.project(far, center, radius=0.1)
    assert np.all(np.abs(inside - center) <= 0.1 + 1e-9)


def test_inputs_keep_fixed_features_and_dtypes(space, frame):
    rows = np.arange(5)
    z = space.embed(frame.iloc[:5]) + 0.5
    made = space.inputs(space.project(z), rows)
    original = frame.iloc[:5].reset_index(drop=True)
    for name in ("age", "channel", "constant"):
        assert made[name].tolist() == original[name].tolist()
    assert made["items"].dtype == original["items"].dtype
    assert (made["amount"] <= 150.0).all()
    assert not np.allclose(made["amount"], original["amount"])


def test_arrays_are_a_flat_space_of_every_feature():
    X = np.arange(24, dtype=float).reshape(6, 2, 2)
    space = feature_space(X[:2], DataBundle(), Dataset("reference", X))
    assert space.dim == 4 and space.fixed == {}
    made = space.inputs(space.embed(X[:2]), np.arange(2))
    assert made.shape == (2, 2, 2) and np.allclose(made, X[:2])
