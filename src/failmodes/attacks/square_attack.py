"""Score-based evasion: the Square Attack of Andriushchenko, Croce, Flammarion and Hein
("Square Attack: a query-efficient black-box adversarial attack via random search", ECCV
2020), adapted to tables.

A random search in the L∞ ball of radius ε: there are no image squares, so each step
re-draws the sign of the perturbation on a random subset of features (the subset shrinks on
the paper's schedule) and keeps the change when the margin ``p(true class) − max p(other
class)`` falls. Needs scores.

Where we differ from the paper: the search starts from random ±ε signs per feature rather
than vertical stripes.
"""

from __future__ import annotations

import numpy as np

from failmodes.attacks import Progress
from failmodes.attacks.oracle import Oracle
from failmodes.attacks.result import AttackResult, perturbation_sizes

#: First share of features the square attack re-draws per step.
P_INIT = 0.3


def _square_share(step: int, budget: int) -> float:
    """Share of features re-drawn at ``step``: the schedule of Andriushchenko et al., which
    halves ``p`` at fixed fractions of a 10,000-query run."""
    progress = int(step / budget * 10_000)
    halvings = sum(progress > b for b in (10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000))
    return P_INIT * 0.5**halvings


def square_attack(
    oracle: Oracle,
    z0: np.ndarray,
    *,
    epsilon: float,
    budget: int,
    rng: np.random.Generator,
    progress: Progress[int],
) -> AttackResult:
    """Random search for a flip inside the L∞ ball of radius ``epsilon`` (scores)."""
    space = oracle.space
    n, m = z0.shape
    rows = np.arange(n)
    start = oracle.spent.copy()
    best = space.project(z0 + epsilon * rng.choice([-1.0, 1.0], (n, m)), z0, epsilon)
    margin = oracle.margin(best, rows)
    for step in progress(range(1, budget - 1), budget - 2, "square attack"):
        active = np.flatnonzero((margin >= 0) & (oracle.spent - start < budget - 1))
        if len(active) == 0:
            break
        k = max(1, round(_square_share(step, budget) * m))
        chosen = np.argsort(rng.random((len(active), m)), axis=1)[:, :k]
        signs = rng.choice([-1.0, 1.0], (len(active), k))
        candidate = best[active].copy()
        np.put_along_axis(
            candidate, chosen, np.take_along_axis(z0[active], chosen, 1) + epsilon * signs, 1
        )
        candidate = space.project(candidate, z0[active], epsilon)
        new = oracle.margin(candidate, active)
        better = new < margin[active]
        best[active[better]] = candidate[better]
        margin[active[better]] = new[better]
    # Scores may disagree with the label the model returns; only a flipped label counts.
    flipped = np.flatnonzero(margin < 0)
    confirmed = np.zeros(n, dtype=bool)
    confirmed[flipped] = oracle.adversarial(best[flipped], flipped)
    linf, l2 = perturbation_sizes(best, z0)
    linf, l2 = np.where(confirmed, linf, np.inf), np.where(confirmed, l2, np.inf)
    spent = oracle.spent - start
    trace = [[(int(spent[i]), float(linf[i]))] if confirmed[i] else [] for i in rows]
    adversarial = np.where(confirmed[:, None], best, np.nan)
    return AttackResult("score_based", adversarial, linf, l2, spent, trace)
