"""Per-client query-log summaries merge like the data summaries, and PRADA tells natural
queries from an extraction campaign."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from failmodes.monitor.querylog import (
    ClientSummary,
    merge_clients,
    near_duplicate_rate,
    prada_distances,
    prada_w,
    summarize_clients,
)
from failmodes.monitor.windows import WindowRule, window_groups
from tests.monitor.simulation import extraction


def _summaries(rows: slice, data: dict[str, np.ndarray], size: int) -> dict[str, ClientSummary]:
    return summarize_clients(
        data["clients"][rows],
        keys=data["keys"][rows],
        order=data["order"][rows],
        points=data["points"][rows],
        predicted=data["predicted"][rows],
        scored=data["scored"][rows],
        near_boundary=data["near"][rows],
        out_of_distribution=data["ood"][rows],
        sample_size=size,
    )


def test_merging_partitions_gives_the_summary_of_the_whole() -> None:
    rng = np.random.default_rng(3)
    n = 900
    data = {
        "clients": rng.choice(["a", "b", "c"], n),
        "keys": rng.integers(0, 2**63, n, dtype=np.uint64),
        "order": np.arange(n, dtype=float),
        "points": rng.normal(size=(n, 4)),
        "predicted": rng.choice(["0", "1"], n).astype(object),
        "scored": rng.random(n) < 0.5,
        "near": rng.random(n) < 0.2,
        "ood": rng.random(n) < 0.05,
    }
    whole = _summaries(slice(None), data, 100)
    left, right = _summaries(slice(0, 400), data, 100), _summaries(slice(400, None), data, 100)
    for merged in (merge_clients(left, right, 100), merge_clients(right, left, 100)):
        assert merged.keys() == whole.keys()
        for name, expected in whole.items():
            got = merged[name]
            assert (got.count, got.near_boundary, got.out_of_distribution) == (
                expected.count,
                expected.near_boundary,
                expected.out_of_distribution,
            )
            assert np.array_equal(got.keys, expected.keys)
            assert np.array_equal(got.points, expected.points)
    assert sum(s.count for s in whole.values()) == n
    assert all(len(s.keys) == 100 for s in whole.values())


def test_prada_growing_set_and_normality() -> None:
    # Three points on a line, one class: distances 1 (to 0) and 2 (to 1, the growing set).
    points = np.array([[0.0], [1.0], [3.0]])
    assert prada_distances(points, ["x", "x", "x"]).tolist() == [1.0, 2.0]
    # A new class starts its own growing set: no distance for its first query.
    assert prada_distances(points, ["x", "y", "x"]).tolist() == [3.0]
    rng = np.random.default_rng(0)

    def client(points: np.ndarray) -> ClientSummary:
        n = len(points)
        labels = np.where(points[:, 0] > 0, "1", "0").astype(object)
        return ClientSummary(
            n, 0, 0, np.arange(n, dtype=np.uint64), np.arange(n, dtype=float), points, labels,
            np.ones(n, dtype=bool),
        )  # fmt: skip

    natural = prada_w(client(rng.normal(size=(300, 6))))
    campaign = prada_w(client(extraction(rng, 300)))
    assert natural is not None and campaign is not None
    assert natural > 0.85 and campaign < 0.6
    assert prada_w(client(rng.normal(size=(10, 6)))) is None  # too few queries to judge
    repeated = np.repeat(rng.normal(size=(1, 6)), 40, axis=0)
    assert near_duplicate_rate(client(repeated), 0.05) == pytest.approx(39 / 40)


def test_window_groups_by_count_and_time() -> None:
    frame = pd.DataFrame(
        {"time": pd.to_datetime(["2026-01-02 10:00", "2026-01-01 23:59", "2026-01-02 00:00"])}
    )
    by_time = window_groups(frame, WindowRule(every="1D", time_column="time"), 0)
    assert [(k, p.tolist()) for k, p in by_time] == [
        ("2026-01-01T00:00:00+00:00", [1]),
        ("2026-01-02T00:00:00+00:00", [0, 2]),
    ]
    by_count = window_groups(frame, WindowRule(rows=2), 5)  # rows 5, 6, 7
    assert [(k, p.tolist()) for k, p in by_count] == [
        ("rows 000000000004", [0]),
        ("rows 000000000006", [1, 2]),
    ]
