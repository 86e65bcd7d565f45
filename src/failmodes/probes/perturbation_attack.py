"""Black-box evasion: how easily small, valid changes to an input flip the model's answer.

Two attacks run on the same correctly classified test rows, each with a per-sample query
budget:

- **score-based** — a random search in the L∞ ball of radius ε, the Square Attack of
  Andriushchenko, Croce, Flammarion and Hein (ECCV 2020) adapted to tables: there are no
  image squares, so each step re-draws the sign of the perturbation on a random subset of
  features (the subset shrinks on the paper's schedule) and keeps the change when the margin
  ``p(true class) − max p(other class)`` falls. Needs scores.
- **decision-based** — HopSkipJump (Chen, Jordan and Wainwright, IEEE S&P 2020), label-only,
  L2: from an adversarial starting point, binary search to the decision boundary, estimate
  the boundary's normal from the sign of sampled queries around it (with the paper's baseline
  subtraction), take a geometric step along it, search back to the boundary, repeat. It
  minimises the perturbation rather than staying within ε, so it also gives the smallest
  change found.

Both work in a *standardized* space: each mutable feature is divided by its standard deviation
(training data when present, else test data), so ε = 0.3 means "at most 0.3 standard
deviations per feature" whatever the units. Every point sent to the model is first projected
onto valid inputs — the features the profile calls immutable, categorical or binary keep their
value (we leave categories fixed rather than search over them, and say so in the evidence);
declared ranges are clipped to; integer features (declared, or of integer dtype) are rounded;
features with no spread are left alone. So every adversarial example respects the
constraints, and the square attack's also stays inside the ε ball (integers are rounded within
it).

Where we differ from the papers: HopSkipJump starts from real rows of the data (their mutable
features) or uniform noise in the data's range, not only noise; its first probe radius is
``dist / d`` like its later ones (the paper uses a tenth of the pixel range, which has no
meaning here); the number of gradient-estimation queries starts at ``min(100, max(20, 2d))``
instead of 100, since tables have far fewer dimensions than images; the direction estimate
uses each query's displacement after projection, so clipping and rounding do not bias it; and
each iteration only runs if it fits the per-sample budget. The square attack starts from
random ±ε signs per feature rather than vertical stripes. Samples are attacked together, one
model call per step for all of them, which changes no per-sample query count.

Metrics: ``robust_accuracy`` (share of attacked rows still right after both attacks within
ε, L∞), ``attack_success_rate`` (share of correctly classified rows flipped within ε and the
query budget), ``median_perturbation_size`` (median smallest L∞ change found, whatever its
size) and ``median_perturbation_l2``.

Options (``ctx.options``):

``epsilon``             L∞ radius in standard deviations (default 0.3).
``samples``             test rows to attack (default 50).
``queries_per_sample``  query budget of each attack for each row (default 1000).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from failmodes.datasets import DataBundle, Dataset
from failmodes.errors import InputError
from failmodes.findings import Plot, Series
from failmodes.probes.base import Measurement, Need, Probe, ProbeContext, ProbeSpec
from failmodes.targets.base import Capability, Inputs, Target

T = TypeVar("T")
Progress = Callable[[Iterable[T], int | None, str], Iterable[T]]

MODE = "perturbation_attack"
DEFAULT_EPSILON = 0.3
DEFAULT_SAMPLES = 50
DEFAULT_QUERIES = 1000
#: Starting candidates HopSkipJump tries per round, and rounds, to find an adversarial point.
INIT_BATCH, INIT_ROUNDS = 10, 10
#: Halvings of the geometric step before HopSkipJump gives up on an iteration.
MAX_HALVINGS = 10
#: Fewest gradient-estimation queries worth an iteration; most per iteration.
MIN_EVALS, MAX_EVALS = 10, 1000
#: First share of features the square attack re-draws per step.
P_INIT = 0.3


# -- the feature space ---------------------------------------------------------------------
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

    def embed(self, X: Inputs) -> np.ndarray:
        """Rows of ``X`` as points of the space."""
        values = np.asarray(_aligned(X, self.template)[:, self.columns], dtype=float)
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


# -- the model, counted per sample ---------------------------------------------------------
class _Oracle:
    """Asks the target about points of the space, counting queries per attacked row."""

    def __init__(self, target: Target, space: FeatureSpace, labels: np.ndarray) -> None:
        self.target = target
        self.space = space
        self.labels = labels
        self.spent = np.zeros(len(labels), dtype=int)
        classes = target.classes
        self._column = (
            None
            if classes is None
            else np.asarray([np.flatnonzero(classes == y)[0] for y in labels])
        )

    def adversarial(self, Z: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Whether the model's label differs from the true one, for each point."""
        if len(rows) == 0:
            return np.zeros(0, dtype=bool)
        np.add.at(self.spent, rows, 1)
        predicted = self.target.predict(self.space.inputs(Z, rows))
        return np.asarray(predicted != self.labels[rows])

    def margin(self, Z: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """``p(true class) − max p(other class)``: negative once the top score is wrong."""
        assert self._column is not None
        np.add.at(self.spent, rows, 1)
        scores = self.target.predict_proba(self.space.inputs(Z, rows))
        true = self._column[rows]
        mine = scores[np.arange(len(rows)), true]
        scores[np.arange(len(rows)), true] = -np.inf
        return np.asarray(mine - scores.max(axis=1))


@dataclass
class AttackResult:
    """Per attacked row: the adversarial point of smallest L∞ found (NaN when none), the
    smallest L∞ and L2 sizes found, queries spent, and the trace of (queries spent, smallest
    L∞ so far) that the budget curve is read from."""

    name: str
    adversarial: np.ndarray
    linf: np.ndarray
    l2: np.ndarray
    queries: np.ndarray
    trace: list[list[tuple[int, float]]]

    def found(self) -> np.ndarray:
        return np.asarray(np.isfinite(self.linf))

    def success_within(self, epsilon: float, queries: float = math.inf) -> np.ndarray:
        """Rows flipped by a change of at most ``epsilon`` (L∞) within ``queries``."""
        return np.asarray(
            [any(q <= queries and d <= epsilon + 1e-9 for q, d in t) for t in self.trace]
        )


def _sizes(Z: np.ndarray, z0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    delta = Z - z0
    return np.abs(delta).max(axis=1, initial=0.0), np.linalg.norm(delta, axis=1)


# -- score-based: the square attack --------------------------------------------------------
def _square_share(step: int, budget: int) -> float:
    """Share of features re-drawn at ``step``: the schedule of Andriushchenko et al., which
    halves ``p`` at fixed fractions of a 10,000-query run."""
    progress = int(step / budget * 10_000)
    halvings = sum(progress > b for b in (10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000))
    return P_INIT * 0.5**halvings


def square_attack(
    oracle: _Oracle,
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
    linf, l2 = _sizes(best, z0)
    linf, l2 = np.where(confirmed, linf, np.inf), np.where(confirmed, l2, np.inf)
    spent = oracle.spent - start
    trace = [[(int(spent[i]), float(linf[i]))] if confirmed[i] else [] for i in rows]
    adversarial = np.where(confirmed[:, None], best, np.nan)
    return AttackResult("score_based", adversarial, linf, l2, spent, trace)


# -- decision-based: HopSkipJump -----------------------------------------------------------
def _binary_search(
    oracle: _Oracle, z0: np.ndarray, adv: np.ndarray, rows: np.ndarray, steps: int
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
    oracle: _Oracle, z0: np.ndarray, pool: np.ndarray, limit: np.ndarray, rng: np.random.Generator
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
    oracle: _Oracle,
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
        linf, l2 = _sizes(points, z0[rows])
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


# -- the probe -----------------------------------------------------------------------------
class PerturbationAttackProbe(Probe):
    """Score-based and decision-based black-box evasion under feature constraints."""

    spec = ProbeSpec(
        id="perturbation_attack",
        name="Black-box evasion (square attack, HopSkipJump)",
        summary=(
            "Attacks correctly classified test rows with a score-based random search within ε "
            "and label-only HopSkipJump, under the profile's feature constraints; reports "
            "robust accuracy, success rate and perturbation size against ε and queries."
        ),
        failure_modes=(MODE,),
        needs=frozenset({Need.LABELS, Need.TEST_DATA}),
        tags=frozenset({"black_box", "integrity", "evasion", "tabular"}),
        references=(
            "Andriushchenko, Croce, Flammarion, Hein, Square Attack: a query-efficient "
            "black-box adversarial attack via random search, ECCV 2020",
            "Chen, Jordan, Wainwright, HopSkipJumpAttack: A Query-Efficient Decision-Based "
            "Attack, IEEE S&P 2020",
        ),
        default_budget=DEFAULT_SAMPLES * (1 + 2 * DEFAULT_QUERIES),
    )

    def run(self, ctx: ProbeContext) -> Iterator[Measurement]:
        epsilon, samples, per_sample = _options(ctx.options)
        target = ctx.target
        assert target is not None  # Need.LABELS makes the runner supply one
        test = ctx.dataset("test")
        if test.y is None:
            raise InputError(
                "perturbation_attack needs labelled test data; give the profile's "
                "`target.label_column`."
            )
        scores = Capability.SCORES in target.capabilities and target.classes is not None
        attacks = 2 if scores else 1
        cost = 1 + attacks * per_sample
        if ctx.budget is not None:
            samples = min(samples, ctx.budget // cost)
            if samples < 1:
                raise InputError(
                    f"a budget of {ctx.budget:,} queries cannot attack one row "
                    f"({cost:,} queries); raise --budget or lower `queries_per_sample`."
                )
        rng = ctx.rng
        picked = np.sort(rng.choice(len(test), size=min(samples, len(test)), replace=False))
        X = _rows(test.X, picked)
        y = np.asarray(test.y)[picked]
        reference = ctx.data.train if ctx.data.train is not None else test
        space = feature_space(X, ctx.data, reference)

        correct = np.flatnonzero(np.asarray(target.predict(X)) == y)
        attacked = replace(space, template=_rows(X, correct))
        results: list[AttackResult] = []
        if len(correct) and space.dim:
            oracle = _Oracle(target, attacked, y[correct])
            z0 = attacked.embed(attacked.template)
            if scores:
                results.append(
                    square_attack(
                        oracle,
                        z0,
                        epsilon=epsilon,
                        budget=per_sample,
                        rng=rng,
                        progress=ctx.progress,
                    )
                )
            pool = attacked.project(attacked.embed(reference.X))
            results.append(
                hop_skip_jump(
                    oracle, z0, pool=pool, budget=per_sample, rng=rng, progress=ctx.progress
                )
            )
        yield from _measurements(
            results,
            _Setting(attacked, picked, y, correct, epsilon, per_sample),
        )


@dataclass(frozen=True)
class _Setting:
    """What the attacks ran on, for reading their results."""

    space: FeatureSpace  # of the correctly classified rows
    picked: np.ndarray  # test rows drawn
    labels: np.ndarray  # their labels
    correct: np.ndarray  # positions (in ``picked``) the model got right
    epsilon: float
    per_sample: int

    @property
    def n(self) -> int:
        return len(self.picked)


def _rows(X: Inputs, rows: np.ndarray) -> Inputs:
    if isinstance(X, pd.DataFrame):
        return X.iloc[rows].reset_index(drop=True)
    return np.asarray(X[rows])


def _options(options: dict[str, Any]) -> tuple[float, int, int]:
    epsilon = options.get("epsilon", DEFAULT_EPSILON)
    if isinstance(epsilon, bool) or not isinstance(epsilon, int | float) or epsilon <= 0:
        raise InputError(
            f"the 'epsilon' option of perturbation_attack must be a positive number of "
            f"standard deviations; got {epsilon!r}."
        )
    counts = []
    for key, default, least in (
        ("samples", DEFAULT_SAMPLES, 1),
        ("queries_per_sample", DEFAULT_QUERIES, 50),
    ):
        value = options.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise InputError(
                f"the {key!r} option of perturbation_attack must be an integer of at least "
                f"{least}; got {value!r}."
            )
        counts.append(value)
    return float(epsilon), counts[0], counts[1]


def _measurements(results: list[AttackResult], setting: _Setting) -> Iterator[Measurement]:
    """The metrics, with the evidence to read them by."""
    n, n_correct, epsilon = setting.n, len(setting.correct), setting.epsilon
    flipped = np.zeros(n_correct, dtype=bool)
    linf = np.full(n_correct, np.inf)
    l2 = np.full(n_correct, np.inf)
    for result in results:
        flipped |= result.success_within(epsilon)
        linf, l2 = np.minimum(linf, result.linf), np.minimum(l2, result.l2)
    clean = n_correct / n
    robust = (n_correct - flipped.sum()) / n
    success = float(flipped.mean()) if n_correct else None
    names = " and ".join(r.name.replace("_", "-") for r in results) or "no"
    yield Measurement(
        MODE,
        "robust_accuracy",
        float(robust),
        message=(
            f"Accuracy falls from {clean:.0%} to {robust:.0%} on {n} test rows under {names} "
            f"attacks within ε = {epsilon:g} standard deviations (L∞)."
            + ("" if setting.space.dim else " No feature may be changed, so none was attacked.")
        ),
        evidence=_evidence(results, setting, flipped),
    )
    yield Measurement(
        MODE,
        "attack_success_rate",
        success,
        message=(
            "No test row was classified correctly, so none could be attacked."
            if success is None
            else f"{flipped.sum()} of {n_correct} correctly classified rows were flipped "
            f"within ε = {epsilon:g} and {setting.per_sample:,} queries per attack."
        ),
    )
    found = np.isfinite(linf)
    for metric, sizes, norm in (
        ("median_perturbation_size", linf, "L∞"),
        ("median_perturbation_l2", l2, "L2"),
    ):
        value = _median(sizes)
        yield Measurement(
            MODE,
            metric,
            value,
            message=(
                "No adversarial example was found at any size."
                if value is None
                else f"The smallest flip found for a row has a median {norm} size of "
                f"{value:.3g} standard deviations ({found.sum()} of {n_correct} rows flipped "
                "at some size)."
            ),
        )


def _evidence(
    results: list[AttackResult], setting: _Setting, flipped: np.ndarray
) -> dict[str, Any]:
    """Per-attack figures, per-class robust accuracy, examples, and the two plots."""
    n, epsilon, per_sample = setting.n, setting.epsilon, setting.per_sample
    n_correct = len(setting.correct)
    survived = np.zeros(n, dtype=bool)
    survived[setting.correct[~flipped]] = True
    grid = [epsilon * f for f in np.linspace(0, 2, 21)]
    budgets = [b for b in (10, 20, 50, 100, 200, 500, 1000, 2000, 5000) if b < per_sample]
    budgets.append(per_sample)
    robust_series, budget_series = [], []
    for result in results:
        label = result.name.replace("_", "-")
        robust_series.append(
            Series(
                label=label,
                x=grid,
                y=[(n_correct - result.success_within(e).sum()) / n for e in grid],
            )
        )
        budget_series.append(
            Series(
                label=label,
                x=list(map(float, budgets)),
                y=[float(result.success_within(epsilon, b).mean()) for b in budgets],
            )
        )
    if len(results) > 1:
        either = [
            (n_correct - np.logical_or.reduce([r.success_within(e) for r in results]).sum()) / n
            for e in grid
        ]
        robust_series.append(Series(label="either attack", x=grid, y=either))
    labels = setting.labels
    return {
        "epsilon": epsilon,
        "norm": "L∞, in standard deviations of each feature",
        "samples": n,
        "clean_accuracy": n_correct / n,
        "queries_per_sample": per_sample,
        "mutable_features": setting.space.names,
        "fixed_features": setting.space.fixed,
        "attacks": {
            r.name: {
                "success_rate": float(r.success_within(epsilon).mean()) if n_correct else None,
                "found_at_any_size": int(r.found().sum()),
                "median_linf": _median(r.linf),
                "median_l2": _median(r.l2),
                "queries_total": int(r.queries.sum()),
                "median_queries_per_sample": float(np.median(r.queries)),
            }
            for r in results
        },
        "robust_accuracy_per_class": {
            str(c): float(survived[labels == c].mean()) for c in np.unique(labels)
        },
        "examples": _examples(results, setting),
        "plots": [
            Plot(
                kind="line",
                title="Robust accuracy against the perturbation budget",
                xlabel="ε (L∞, standard deviations per feature)",
                ylabel="robust accuracy",
                series=robust_series,
                alt="Accuracy that survives attacks of growing size; lower is weaker.",
            ).model_dump(),
            Plot(
                kind="line",
                title=f"Attack success within ε = {epsilon:g} against queries",
                xlabel="queries per sample",
                ylabel="success rate",
                xscale="log",
                series=budget_series,
                alt="Share of correctly classified rows flipped, against queries spent.",
            ).model_dump(),
        ],
    }


def _examples(
    results: list[AttackResult], setting: _Setting, limit: int = 3, top: int = 5
) -> list[dict[str, Any]]:
    """The first ``limit`` rows flipped within ε, with the ``top`` largest changes
    (original units) of the smallest flip found for each."""
    space = setting.space
    start = space.embed(space.template)
    original = _flat(space.template)[:, space.columns]
    examples = []
    for i in range(len(setting.correct)):
        done = [r for r in results if r.success_within(setting.epsilon)[i]]
        if not done:
            continue
        result = min(done, key=lambda r: float(r.linf[i]))
        point = result.adversarial[[i]]
        after = _aligned(space.inputs(point, np.array([i])), space.template)[0, space.columns]
        largest = np.argsort(-np.abs(point[0] - start[i]))[:top]
        examples.append(
            {
                "test_row": int(setting.picked[setting.correct[i]]),
                "label": _plain(setting.labels[setting.correct[i]]),
                "attack": result.name,
                "linf": float(result.linf[i]),
                "changes": {
                    space.names[j]: [_plain(original[i, j]), _plain(after[j])]
                    for j in largest
                    if after[j] != original[i, j]
                },
            }
        )
        if len(examples) == limit:
            break
    return examples


def _plain(value: Any) -> Any:
    """A JSON-friendly scalar."""
    return value.item() if isinstance(value, np.generic) else value


def _median(values: np.ndarray) -> float | None:
    finite = values[np.isfinite(values)]
    return float(np.median(finite)) if len(finite) else None
