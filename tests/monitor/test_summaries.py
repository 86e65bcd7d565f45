"""Mergeable summaries: merging chunk summaries gives the summary of the whole."""

from __future__ import annotations

from functools import reduce
from itertools import pairwise

import numpy as np
import pandas as pd
import pytest

from failmodes.errors import DataError, InputError
from failmodes.monitor.summaries import (
    QUANTILE_ROWS,
    CategoricalSummary,
    NumericSummary,
    Summary,
    SummarySpec,
    merge,
    summarize,
)


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 3000
    return pd.DataFrame(
        {
            "amount": rng.lognormal(3, 1, n),
            "age": rng.integers(18, 90, n),
            "score": rng.normal(0, 1, n),
            "country": rng.choice(["de", "fr", "it", "es"], n, p=[0.4, 0.3, 0.2, 0.1]),
            "flag": rng.random(n) < 0.2,
        }
    )


@pytest.fixture(scope="module")
def spec(frame: pd.DataFrame) -> SummarySpec:
    return SummarySpec.from_reference(frame, bins=10, sample_size=400, seed=3)


def assert_same(a: Summary, b: Summary) -> None:
    assert a.count == b.count
    for name, left in a.columns.items():
        right = b.columns[name]
        if isinstance(left, NumericSummary):
            assert isinstance(right, NumericSummary)
            np.testing.assert_array_equal(left.histogram, right.histogram)
            assert (left.count, left.minimum, left.maximum) == (
                right.count,
                right.minimum,
                right.maximum,
            )
            assert left.mean == pytest.approx(right.mean, rel=1e-12)
            assert left.m2 == pytest.approx(right.m2, rel=1e-10)
        else:
            assert left == right
    np.testing.assert_array_equal(a.sample.keys, b.sample.keys)
    pd.testing.assert_frame_equal(a.sample.rows, b.sample.rows)


def test_spec_infers_kinds_and_quantile_edges(frame: pd.DataFrame, spec: SummarySpec) -> None:
    kinds = {c.name: c.kind for c in spec.columns}
    assert kinds == {
        "amount": "numeric",
        "age": "numeric",
        "score": "numeric",
        "country": "categorical",
        "flag": "categorical",
    }
    score = next(c for c in spec.columns if c.name == "score")
    np.testing.assert_allclose(score.edges, np.quantile(frame["score"], np.arange(1, 10) / 10))
    declared = SummarySpec.from_reference(frame, categorical=["age"])
    assert next(c for c in declared.columns if c.name == "age").kind == "categorical"


def test_whole_table_summary_holds_the_exact_statistics(
    frame: pd.DataFrame, spec: SummarySpec
) -> None:
    whole = summarize(frame, spec)
    score = whole.columns["score"]
    assert isinstance(score, NumericSummary)
    assert score.mean == pytest.approx(frame["score"].mean())
    assert score.std == pytest.approx(frame["score"].std(ddof=0))
    # Decile edges: every bin holds a tenth of the reference (the outer bins are open-ended).
    assert score.histogram.tolist() == [300] * 10
    country = whole.columns["country"]
    assert isinstance(country, CategoricalSummary)
    assert dict(country.counts) == frame["country"].value_counts().to_dict()
    assert whole.columns["flag"] == CategoricalSummary(
        {"False": int((~frame["flag"]).sum()), "True": int(frame["flag"].sum())}
    )
    assert len(whole.sample.rows) == 400
    assert np.all(np.diff(whole.sample.keys.astype(np.float64)) >= 0)


@pytest.mark.parametrize("cuts", [[1000, 2000], [1, 2999], [0, 0, 1500, 2999, 3000], [700]])
def test_merging_chunk_summaries_equals_summarizing_the_whole(
    frame: pd.DataFrame, spec: SummarySpec, cuts: list[int]
) -> None:
    bounds = [0, *cuts, len(frame)]
    chunks = [summarize(frame.iloc[a:b], spec) for a, b in pairwise(bounds)]
    whole = summarize(frame, spec)
    assert_same(reduce(merge, chunks), whole)
    # Any order and any grouping: merge is commutative and associative.
    assert_same(reduce(merge, chunks[::-1]), whole)
    half = len(chunks) // 2
    assert_same(merge(reduce(merge, chunks[half:]), reduce(merge, chunks[:half])), whole)


def test_small_data_is_kept_whole_in_the_sample(frame: pd.DataFrame, spec: SummarySpec) -> None:
    small = frame.iloc[:50]
    sample = summarize(small, spec).sample.rows
    assert sorted(sample["score"]) == sorted(small["score"])


def test_values_outside_the_reference_range_land_in_the_open_bins(spec: SummarySpec) -> None:
    far = pd.DataFrame(
        {
            "amount": [-1.0, 1e9],
            "age": [0, 200],
            "score": [-50.0, 50.0],
            "country": ["xx", "de"],
            "flag": [True, False],
        }
    )
    score = summarize(far, spec).columns["score"]
    assert isinstance(score, NumericSummary)
    assert score.histogram[0] == 1 and score.histogram[-1] == 1
    assert (score.minimum, score.maximum) == (-50.0, 50.0)


def test_bad_inputs_are_clear_errors(frame: pd.DataFrame, spec: SummarySpec) -> None:
    other = SummarySpec.from_reference(frame, bins=5)
    with pytest.raises(InputError, match="same spec"):
        merge(summarize(frame, spec), summarize(frame, other))
    with pytest.raises(DataError, match="missing"):
        summarize(frame.drop(columns=["age"]), spec)
    with pytest.raises(DataError, match="NaN"):
        summarize(frame.assign(score=np.nan), spec)


def test_big_reference_places_edges_from_a_seeded_sample() -> None:
    values = np.random.default_rng(0).exponential(1.0, QUANTILE_ROWS + 50_000)
    frame = pd.DataFrame({"v": values})
    edges = SummarySpec.from_reference(frame, seed=1).columns[0].edges
    exact = np.quantile(values, np.arange(1, 10) / 10)
    np.testing.assert_allclose(edges, exact, atol=0.01)
    assert edges != tuple(exact)  # from the sample, not the whole column
    assert SummarySpec.from_reference(frame, seed=1).columns[0].edges == edges
