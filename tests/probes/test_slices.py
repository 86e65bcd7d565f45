"""Slice discovery: conditions, significance, ranking."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from failmodes.errors import InputError
from failmodes.probes.slices import SliceOptions, find_slices, slice_frame, wilson_upper


def test_wilson_upper_bound_matches_known_values() -> None:
    assert wilson_upper(0.5, 100, 1.96) == pytest.approx(0.5962, abs=1e-4)
    z = 1.645
    assert wilson_upper(0.0, 30, z) == pytest.approx((z * z / 30) / (1 + z * z / 30))
    assert wilson_upper(1.0, 10, 2.0) == 1.0


def test_interaction_of_two_features_is_found_as_a_pair() -> None:
    rng = np.random.default_rng(0)
    n = 2000
    frame = pd.DataFrame(
        {"colour": rng.choice(["red", "blue"], n), "size": rng.choice(["S", "M", "L", "XL"], n)}
    )
    correct = rng.random(n) > 0.05
    bad = ((frame["colour"] == "red") & (frame["size"] == "XL")).to_numpy()
    correct[bad] = rng.random(bad.sum()) > 0.6  # 40 % errors there, 5 % elsewhere
    search = find_slices(frame, correct)
    worst = search.slices[0]
    assert worst.description in ("colour = red & size = XL", "size = XL & colour = red")
    assert worst.size == bad.sum() and worst.significant
    assert search.worst_gap == pytest.approx(correct.mean() - correct[bad].mean())


def test_numeric_features_are_cut_into_quantile_bins() -> None:
    frame = pd.DataFrame({"x": np.arange(100.0), "flag": np.arange(100) % 2})
    search = find_slices(frame, np.ones(100, dtype=bool), options=SliceOptions(min_size=5))
    names = {s.description for s in search.slices if s.features == ("x",)}
    assert len(names) == 10 and "x ≤ 9.9" in names and "x > 89.1" in names
    assert {s.description for s in search.slices if s.features == ("flag",)} == {
        "flag = 0",
        "flag = 1",
    }  # few distinct values: one slice per value
    assert search.worst_gap == 0.0 and not search.significant


def test_small_slices_and_bad_options_are_refused() -> None:
    frame = pd.DataFrame({"c": ["a"] * 95 + ["b"] * 5})
    correct = np.r_[np.ones(95, dtype=bool), np.zeros(5, dtype=bool)]
    assert [s.description for s in find_slices(frame, correct).slices] == ["c = a"]
    with pytest.raises(InputError, match="slice_alpha"):
        SliceOptions.from_options({"slice_alpha": 2})
    with pytest.raises(InputError, match="slice_bins"):
        SliceOptions.from_options({"slice_bins": 1})


def test_data_without_features_is_sliced_by_class() -> None:
    images = np.zeros((4, 8, 8))
    frame, categorical = slice_frame(images, np.array([0, 1, 1, 2]))
    assert list(frame.columns) == ["label"] and categorical == {"label"}
    table, _ = slice_frame(np.zeros((3, 2)), None)
    assert list(table.columns) == ["x0", "x1"]
