"""Per-client summaries of a prediction API's query log, and the patterns read from them.

Attacks on a deployed model leave traces in who asks what:

* **Model extraction** — PRADA (Juuti, Szyller, Marchal and Asokan, *PRADA: Protecting Against
  DNN Model Stealing Attacks*, EuroS&P 2019). For each client, every new query's minimum
  distance to the client's earlier queries of the same predicted class is recorded, and the
  query joins the client's "growing set" when that distance exceeds the running mean minus
  one standard deviation of the distances so far. Natural queries give distances that fit a
  normal distribution; the synthetic, step-by-step queries of an extraction attack do not.
  The Shapiro–Wilk statistic *W* of the distances measures that fit (1 = normal); a client
  whose *W* falls below the threshold δ is flagged.
* **Perturbation attacks** — the share of a client's queries near the decision boundary (the
  model's confidence below a margin) or out of the reference distribution (a numeric feature
  outside the reference's range, or a category the reference never had).
* **Membership inference and model inversion** — the share of a client's queries that nearly
  repeat an earlier one of the same client while full scores came back: probing one record
  with small variations.

Each client's summary merges like the data summaries of :mod:`failmodes.monitor.summaries`:
counts add, and the queries kept for the distance-based patterns are a *bottom-k sample* —
the ``k`` queries with the smallest seeded hash keys — so the merge of two partitions' samples
is the sample of their union, whatever the order. Where PRADA reads every query, we read the
sample, in arrival order: exact while a client sends at most ``k`` queries in a window, and an
evenly thinned sequence beyond (distances then grow, the test's shape stays). Distances are
Euclidean on the numeric features standardized by the reference's mean and deviation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import shapiro

#: Fewest sampled queries of a client for the distance-based patterns (PRADA's test needs a
#: distribution, not a handful of points).
MIN_CLIENT_QUERIES = 30


@dataclass(frozen=True)
class ClientSummary:
    """What one client sent in one window: counts, and a bottom-k sample of its queries."""

    count: int
    near_boundary: int
    out_of_distribution: int
    keys: np.ndarray  # uint64, ascending
    order: np.ndarray  # float: arrival time or row number of each sampled query
    points: np.ndarray  # standardized numeric features of each sampled query
    predicted: np.ndarray  # predicted class of each sampled query, as strings
    scored: np.ndarray  # bool: did full scores come back


def summarize_clients(
    clients: np.ndarray,
    *,
    keys: np.ndarray,
    order: np.ndarray,
    points: np.ndarray,
    predicted: np.ndarray,
    scored: np.ndarray,
    near_boundary: np.ndarray,
    out_of_distribution: np.ndarray,
    sample_size: int,
) -> dict[str, ClientSummary]:
    """One summary per client of the rows of one partition (arrays aligned row by row)."""
    summaries: dict[str, ClientSummary] = {}
    codes, names = pd.factorize(clients, sort=True)
    rows_by_client = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[rows_by_client], np.arange(len(names) + 1))
    for i, name in enumerate(names):
        rows = rows_by_client[bounds[i] : bounds[i + 1]]
        summaries[str(name)] = _bottom_k(
            ClientSummary(
                count=len(rows),
                near_boundary=int(near_boundary[rows].sum()),
                out_of_distribution=int(out_of_distribution[rows].sum()),
                keys=keys[rows],
                order=order[rows],
                points=points[rows],
                predicted=predicted[rows],
                scored=scored[rows],
            ),
            sample_size,
        )
    return summaries


def merge_clients(
    a: Mapping[str, ClientSummary], b: Mapping[str, ClientSummary], sample_size: int
) -> dict[str, ClientSummary]:
    """The per-client summaries of the union of two partitions."""
    merged = dict(a)
    for name, right in b.items():
        left = merged.get(name)
        if left is None:
            merged[name] = right
            continue
        merged[name] = _bottom_k(
            ClientSummary(
                count=left.count + right.count,
                near_boundary=left.near_boundary + right.near_boundary,
                out_of_distribution=left.out_of_distribution + right.out_of_distribution,
                keys=np.concatenate([left.keys, right.keys]),
                order=np.concatenate([left.order, right.order]),
                points=np.concatenate([left.points, right.points]),
                predicted=np.concatenate([left.predicted, right.predicted]),
                scored=np.concatenate([left.scored, right.scored]),
            ),
            sample_size,
        )
    return dict(sorted(merged.items()))


def _bottom_k(summary: ClientSummary, size: int) -> ClientSummary:
    keep = np.argsort(summary.keys, kind="stable")[:size]
    return ClientSummary(
        count=summary.count,
        near_boundary=summary.near_boundary,
        out_of_distribution=summary.out_of_distribution,
        keys=summary.keys[keep],
        order=summary.order[keep],
        points=summary.points[keep],
        predicted=summary.predicted[keep],
        scored=summary.scored[keep],
    )


def arrival(summary: ClientSummary) -> np.ndarray:
    """The sampled queries' positions in arrival order (ties broken by hash key)."""
    return np.lexsort((summary.keys, summary.order))


def prada_distances(points: np.ndarray, predicted: Sequence[str]) -> np.ndarray:
    """PRADA's minimum distances: for each query after the first of its class, the distance
    to the nearest query of the client's growing set of that class (Juuti et al. 2019, Alg. 1).

    A query joins the growing set when its distance exceeds the threshold mean − std of the
    distances seen so far for its class.
    """
    growing: dict[str, list[np.ndarray]] = {}
    by_class: dict[str, list[float]] = {}
    distances: list[float] = []
    for point, label in zip(points, predicted, strict=True):
        members = growing.get(label)
        if members is None:
            growing[label] = [point]
            by_class[label] = []
            continue
        d = float(np.sqrt(np.min(np.sum((np.asarray(members) - point) ** 2, axis=1))))
        distances.append(d)
        seen = by_class[label]
        seen.append(d)
        threshold = float(np.mean(seen) - np.std(seen)) if len(seen) > 1 else 0.0
        if d > threshold:
            members.append(point)
    return np.asarray(distances)


def prada_w(summary: ClientSummary) -> float | None:
    """Shapiro–Wilk *W* of the client's PRADA distances; None with too few queries, and 1
    (no evidence) when every distance is the same."""
    if len(summary.keys) < MIN_CLIENT_QUERIES:
        return None
    ordered = arrival(summary)
    distances = prada_distances(summary.points[ordered], summary.predicted[ordered].tolist())
    if len(distances) < 3 or np.ptp(distances) == 0:
        return None if len(distances) < 3 else 1.0
    return float(shapiro(distances).statistic)


def near_duplicate_rate(summary: ClientSummary, radius: float) -> float | None:
    """Share of the client's scored queries within ``radius`` of one of its earlier queries;
    None with too few queries or none answered with full scores."""
    if len(summary.keys) < MIN_CLIENT_QUERIES or not summary.scored.any():
        return None
    ordered = arrival(summary)
    points, scored = summary.points[ordered], summary.scored[ordered]
    near = np.zeros(len(points), dtype=bool)
    for i in range(1, len(points)):
        near[i] = bool(np.min(np.sum((points[:i] - points[i]) ** 2, axis=1)) <= radius**2)
    return float(near[scored].mean())


def near_boundary_rate(summary: ClientSummary) -> float | None:
    return summary.near_boundary / summary.count if summary.count >= MIN_CLIENT_QUERIES else None


def ood_rate(summary: ClientSummary) -> float | None:
    if summary.count < MIN_CLIENT_QUERIES:
        return None
    return summary.out_of_distribution / summary.count
