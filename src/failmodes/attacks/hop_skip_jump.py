"""Decision-based evasion: HopSkipJump of Chen, Jordan and Wainwright ("HopSkipJumpAttack: A
Query-Efficient Decision-Based Attack", IEEE S&P 2020), untargeted, L2.

Label-only: from an adversarial starting point, binary search to the decision boundary,
estimate the boundary's normal from the sign of sampled queries around it (with the paper's
baseline subtraction), take a geometric step along it, search back to the boundary, repeat.
It minimises the perturbation rather than staying within ε, so it also gives the smallest
change found.

Where we differ from the paper: we start from real rows of the data (their mutable features)
or uniform noise in the data's range, not only noise; the first probe radius is ``dist / d``
like the later ones (the paper uses a tenth of the pixel range, which has no meaning here);
the number of gradient-estimation queries starts at ``min(100, max(20, 2d))`` instead of 100,
since tables have far fewer dimensions than images; the direction estimate uses each query's
displacement after projection, so clipping and rounding do not bias it; and each iteration
only runs if it fits the per-sample budget.
"""

from __future__ import annotations

import math

import numpy as np

from failmodes.attacks import Progress
from failmodes.attacks.oracle import Oracle
from failmodes.attacks.result import AttackResult, perturbation_sizes

#: Starting candidates tried per round, and rounds, to find an adversarial point.
INIT_BATCH, INIT_ROUNDS = 10, 10
#: Halvings of the geometric step before an iteration gives up.
MAX_HALVINGS = 10
#: Fewest gradient-estimation queries worth an iteration; most per iteration.
MIN_EVALS, MAX_EVALS = 10, 1000


def _binary_search(
    oracle: Oracle, z0: np.ndarray, adv: np.ndarray, rows: np.ndarray, steps: int
) -> np.ndarray:
    """The point nearest ``z0`` on the segment to ``adv`` that is still adversarial, to a
    relative precision of ``2**-steps`` (all rows in lock step)."""
    space = oracle.space
    low, high = np.zeros(len(rows)), np.ones(len(rows))
    for _ in range(steps):
        mid = (low + high) / 2
        hit = oracle.adversarial(space.project(z0 + mid[:, None] * (adv - z0)), rows)
        high, low = np.where(hit, mid, high), np.where(hit, low, mid)
    return space.project(z0 + high[:, None] * (adv - z0))


def _starting_points(
    oracle: Oracle, z0: np.ndarray, pool: np.ndarray, limit: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """An adversarial point per row (NaN where none was found): rounds of candidates, half
    real rows' mutable features from ``pool``, half uniform in the data's range, while the
    row's query count stays within ``limit``."""
    space = oracle.space
    n, m = z0.shape
    found = np.full((n, m), np.nan)
    low, high = space.box
    for _ in range(INIT_ROUNDS):
        todo = np.flatnonzero(np.isnan(found[:, 0]) & (oracle.spent + INIT_BATCH <= limit))
        if len(todo) == 0:
            break
        real = pool[rng.integers(0, len(pool), (len(todo), INIT_BATCH // 2))]
        noise = rng.uniform(low, high, (len(todo), INIT_BATCH - INIT_BATCH // 2, m))
        candidates = space.project(np.concatenate([real, noise], axis=1).reshape(-1, m))
        rows = np.repeat(todo, INIT_BATCH)
        hit = oracle.adversarial(candidates, rows).reshape(len(todo), INIT_BATCH)
        distance = np.linalg.norm(
            candidates.reshape(len(todo), INIT_BATCH, m) - z0[todo, None], axis=2
        )
        distance[~hit] = np.inf
        pick = distance.argmin(axis=1)
        ok = hit.any(axis=1)
        found[todo[ok]] = candidates.reshape(len(todo), INIT_BATCH, m)[ok, pick[ok]]
    return found


def hop_skip_jump(
    oracle: Oracle,
    z0: np.ndarray,
    *,
    pool: np.ndarray,
    budget: int,
    rng: np.random.Generator,
    progress: Progress[int],
) -> AttackResult:
    """HopSkipJump (L2, untargeted) for every row at once, within ``budget`` queries a row."""
    space = oracle.space
    n, m = z0.shape
    start = oracle.spent.copy()
    theta = 1 / (m * math.sqrt(m))
    steps = math.ceil(math.log2(1 / theta)) if m > 1 else 1
    first_evals = min(100, max(20, 2 * m))
    trace: list[list[tuple[int, float]]] = [[] for _ in range(n)]
    example = np.full((n, m), np.nan)
    best_l2, best_linf = np.full(n, np.inf), np.full(n, np.inf)

    def spent() -> np.ndarray:
        return oracle.spent - start

    def record(rows: np.ndarray, points: np.ndarray) -> None:
        """Keep the smallest L2 (what HopSkipJump minimises) and the smallest L∞ (what ε
        bounds) over all iterates; each iterate is a valid adversarial example."""
        linf, l2 = perturbation_sizes(points, z0[rows])
        used = spent()
        for i, row in enumerate(rows):
            best_l2[row] = min(best_l2[row], l2[i])
            if linf[i] < best_linf[row]:
                best_linf[row], example[row] = linf[i], points[i]
            trace[row].append((int(used[row]), float(best_linf[row])))

    initial = _starting_points(oracle, z0, pool, budget + start, rng)
    rows = np.flatnonzero(~np.isnan(initial[:, 0]) & (spent() + steps <= budget))
    boundary = np.full((n, m), np.nan)
    if len(rows):
        boundary[rows] = _binary_search(oracle, z0[rows], initial[rows], rows, steps)
        record(rows, boundary[rows])
    for t in progress(range(1, 10_000), None, "HopSkipJump"):
        remaining = budget - spent()
        evals = min(int(first_evals * math.sqrt(t)), MAX_EVALS)
        affordable = remaining - MAX_HALVINGS - steps
        rows = np.flatnonzero(~np.isnan(boundary[:, 0]) & (affordable >= MIN_EVALS))
        if len(rows) == 0:
            break
        evals = int(min(evals, affordable[rows].min()))
        here, origin = boundary[rows], z0[rows]
        distance = np.linalg.norm(here - origin, axis=1)
        # Gradient-direction estimate from the signs of queries around the boundary point.
        delta = np.maximum(distance / m, 1e-12)
        u = rng.standard_normal((len(rows), evals, m))
        u /= np.linalg.norm(u, axis=2, keepdims=True)
        probes = space.project((here[:, None] + delta[:, None, None] * u).reshape(-1, m))
        hit = oracle.adversarial(probes, np.repeat(rows, evals)).reshape(len(rows), evals)
        moved = probes.reshape(len(rows), evals, m) - here[:, None]
        sign = np.where(hit, 1.0, -1.0)
        mixed = (sign.mean(axis=1) != 1) & (sign.mean(axis=1) != -1)
        sign[mixed] -= sign[mixed].mean(axis=1, keepdims=True)
        direction = (sign[:, :, None] * moved).mean(axis=1)
        norm = np.linalg.norm(direction, axis=1, keepdims=True)
        direction = np.divide(direction, norm, out=np.zeros_like(direction), where=norm > 0)
        # Geometric step search: halve the step until the point is adversarial again.
        size = distance / math.sqrt(t)
        stepped = here.copy()
        searching = np.ones(len(rows), dtype=bool)
        for _ in range(MAX_HALVINGS):
            if not searching.any():
                break
            idx = np.flatnonzero(searching)
            candidate = space.project(here[idx] + size[idx, None] * direction[idx])
            ok = oracle.adversarial(candidate, rows[idx])
            stepped[idx[ok]] = candidate[ok]
            searching[idx[ok]] = False
            size[idx[~ok]] /= 2
        boundary[rows] = _binary_search(oracle, origin, stepped, rows, steps)
        record(rows, boundary[rows])
    return AttackResult("decision_based", example, best_linf, best_l2, spent(), trace)
