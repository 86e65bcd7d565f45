"""Drift tests on summaries: the injected drift is found where it is, and nowhere else."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp, wasserstein_distance

from failmodes.errors import InputError
from failmodes.monitor.drift import (
    FeatureDrift,
    binned_wasserstein,
    chi_squared,
    compare,
    domain_classifier_test,
    psi,
)
from failmodes.monitor.summaries import SummarySpec, summarize

N = 2000
NUMERIC = [f"x{i}" for i in range(10)]


def table(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Ten correlated numeric columns of mixed shapes and two categorical ones."""
    base = rng.normal(size=(n, 10))
    base[:, 1] += 0.6 * base[:, 0]
    frame = pd.DataFrame(base, columns=NUMERIC)
    frame["x3"] = np.exp(frame["x3"])  # skewed
    frame["x4"] = rng.integers(0, 5, n)  # few distinct values
    frame["channel"] = rng.choice(["web", "app", "shop"], n, p=[0.5, 0.3, 0.2])
    frame["tier"] = rng.choice(["a", "b"], n)
    return frame


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return table(np.random.default_rng(1), N)


@pytest.fixture(scope="module")
def production() -> pd.DataFrame:
    return table(np.random.default_rng(2), N)


@pytest.fixture(scope="module")
def drifted(production: pd.DataFrame) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    shifted = production.copy()
    shifted["x2"] = shifted["x2"] + 0.3  # a mean shift of 0.3 standard deviations
    shifted["channel"] = rng.choice(["web", "app", "shop"], N, p=[0.35, 0.3, 0.35])
    return shifted


def drift_of(
    reference: pd.DataFrame, production: pd.DataFrame, numeric_test: Literal["ks", "chi2"] = "ks"
) -> dict[str, FeatureDrift]:
    spec = SummarySpec.from_reference(reference, sample_size=N, seed=0)
    ref, prod = summarize(reference, spec), summarize(production, spec)
    found = compare(ref, prod, numeric_test=numeric_test)
    return {d.feature: d for d in found}


@pytest.mark.parametrize("numeric_test", ["ks", "chi2"])
def test_drift_in_two_columns_is_found_there_and_nowhere_else(
    reference: pd.DataFrame, drifted: pd.DataFrame, numeric_test: Literal["ks", "chi2"]
) -> None:
    found = drift_of(reference, drifted, numeric_test=numeric_test)
    assert {name for name, d in found.items() if d.drifted} == {"x2", "channel"}
    assert found["x2"].test == numeric_test and found["channel"].test == "chi2"
    assert found["x2"].p_adjusted < 1e-6 and found["channel"].p_adjusted < 1e-6
    # Size: a 0.3 SD mean shift is about 0.3 SD of Wasserstein distance.
    assert found["x2"].wasserstein == pytest.approx(0.3, abs=0.06)
    assert found["channel"].wasserstein is None
    assert found["channel"].psi > 0.1
    assert max(d.psi for name, d in found.items() if name not in ("x2", "channel")) < 0.05


def test_no_drift_between_two_samples_of_one_distribution(
    reference: pd.DataFrame, production: pd.DataFrame
) -> None:
    for numeric_test in ("ks", "chi2"):
        found = drift_of(reference, production, numeric_test)
        assert not any(d.drifted for d in found.values())
        assert max(d.psi for d in found.values()) < 0.05
        assert max(d.js_distance for d in found.values()) < 0.08


def test_ks_on_the_sample_is_exact_when_the_data_fits(
    reference: pd.DataFrame, drifted: pd.DataFrame
) -> None:
    found = drift_of(reference, drifted)
    expected = ks_2samp(reference["x2"], drifted["x2"])
    assert found["x2"].statistic == pytest.approx(expected.statistic)
    assert found["x2"].p_value == pytest.approx(expected.pvalue)


def test_benjamini_hochberg_adjustment(reference: pd.DataFrame, drifted: pd.DataFrame) -> None:
    found = list(drift_of(reference, drifted).values())
    p = np.array([d.p_value for d in found])
    m = len(p)
    order = np.argsort(p)
    # BH by hand: p_(i) * m / i, made monotone from the largest down, capped at 1.
    scaled = np.minimum.accumulate((p[order] * m / np.arange(1, m + 1))[::-1])[::-1]
    expected = np.empty(m)
    expected[order] = np.minimum(scaled, 1)
    np.testing.assert_allclose([d.p_adjusted for d in found], expected)


def test_psi_and_chi_squared_by_hand() -> None:
    r, q = np.array([50.0, 30.0, 20.0]), np.array([30.0, 30.0, 40.0])
    p_s, q_s = (r + 0.5) / 101.5, (q + 0.5) / 101.5
    assert psi(r, q) == pytest.approx(float(np.sum((q_s - p_s) * np.log(q_s / p_s))))
    assert psi(r, r) == 0.0
    statistic, p_value = chi_squared(r, q)
    # 2 x 3 table, expected counts 40/30/30 per row: sum (o - e)^2 / e.
    by_hand = 2 * (10**2 / 40 + 0 + 10**2 / 30)
    assert statistic == pytest.approx(by_hand)
    assert 0 < p_value < 0.01
    assert chi_squared(np.array([5.0, 0.0]), np.array([7.0, 0.0])) == (0.0, 1.0)


def test_binned_wasserstein_approximates_the_exact_distance() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(0, 1, 20000), rng.normal(0.5, 1.5, 20000)
    frame_a, frame_b = pd.DataFrame({"v": a}), pd.DataFrame({"v": b})
    spec = SummarySpec.from_reference(frame_a, bins=20, sample_size=0)
    binned = binned_wasserstein(
        summarize(frame_a, spec).columns["v"], summarize(frame_b, spec).columns["v"]
    )
    assert binned == pytest.approx(wasserstein_distance(a, b) / a.std(), rel=0.05)


def test_domain_classifier_separates_shifted_rows_only(
    reference: pd.DataFrame, production: pd.DataFrame
) -> None:
    # Shift the joint distribution only: swap the sign of x1's dependence on x0. Every
    # marginal stays the same, so no per-feature test can see it.
    joint = production.copy()
    joint["x1"] = joint["x1"] - 1.2 * joint["x0"]
    marginal = drift_of(reference.iloc[:600], joint.iloc[:600])
    assert not marginal["x0"].drifted
    shifted = domain_classifier_test(reference.iloc[:600], joint.iloc[:600], seed=0)
    same = domain_classifier_test(reference.iloc[:600], production.iloc[:600], seed=0)
    assert shifted.auc > 0.62 and shifted.p_value < 1e-6
    assert abs(same.auc - 0.5) < 0.05 and same.p_value > 0.05
    assert (shifted.rows_per_side, shifted.folds) == (600, 5)


def test_domain_classifier_ignores_the_order_of_identifier_values(
    reference: pd.DataFrame, production: pd.DataFrame
) -> None:
    # A unique identifier per row carries no distribution; coding its values in order of
    # appearance would make every reference row "smaller" than every production row.
    rng = np.random.default_rng(3)
    ids = [f"{v:012x}" for v in rng.integers(0, 2**48, 1200)]
    left = reference.iloc[:600].assign(record_id=ids[:600])
    right = production.iloc[:600].assign(record_id=ids[600:])
    result = domain_classifier_test(left, right, seed=0)
    assert abs(result.auc - 0.5) < 0.06


def test_domain_classifier_samples_each_side_at_random_not_its_first_rows() -> None:
    """A time-ordered reference whose oldest 300 rows differ: they are 5% of it, so a random
    sample of 300 rows barely sees them, while the first 300 rows would be nothing else."""
    rng = np.random.default_rng(5)
    reference = pd.DataFrame({"x": rng.normal(size=6000)})
    reference.loc[:299, "x"] += 4.0
    production = pd.DataFrame({"x": rng.normal(size=6000)})
    sampled = domain_classifier_test(reference, production, seed=0, max_rows=300)
    assert sampled.rows_per_side == 300 and sampled.auc < 0.62
    oldest = domain_classifier_test(reference.iloc[:300], production, seed=0, max_rows=300)
    assert oldest.auc > 0.95  # what taking the first rows used to measure
    again = domain_classifier_test(reference, production, seed=0, max_rows=300)
    assert again == sampled  # seeded
    assert domain_classifier_test(reference, production, seed=1, max_rows=300) != sampled


def test_bad_inputs_are_clear_errors(reference: pd.DataFrame) -> None:
    spec = SummarySpec.from_reference(reference)
    other = SummarySpec.from_reference(reference, bins=4)
    with pytest.raises(InputError, match="same spec"):
        compare(summarize(reference, spec), summarize(reference, other))
    with pytest.raises(InputError, match="empty"):
        compare(summarize(reference, spec), summarize(reference.iloc[:0], spec))
    with pytest.raises(InputError, match="at least 2 rows"):
        domain_classifier_test(reference.iloc[:1], reference.iloc[:1], seed=0)
