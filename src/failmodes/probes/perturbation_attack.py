"""Black-box evasion: how easily small, valid changes to an input flip the model's answer.

Two attacks run on the same correctly classified test rows, each with a per-sample query
budget:

- **score-based** — the Square Attack of Andriushchenko, Croce, Flammarion and Hein (ECCV
  2020) adapted to tables: a random search in the L∞ ball of radius ε that re-draws the sign
  of the perturbation on a shrinking random subset of features while the margin
  ``p(true class) − max p(other class)`` falls. Needs scores.
- **decision-based** — HopSkipJump (Chen, Jordan and Wainwright, IEEE S&P 2020), label-only,
  L2: it walks along the decision boundary towards the input, so it minimises the
  perturbation rather than staying within ε, and also gives the smallest change found.

Both work in a *standardized* space: each mutable feature is divided by its standard deviation
(training data when present, else test data), so ε = 0.3 means "at most 0.3 standard
deviations per feature" whatever the units. Every point sent to the model keeps the profile's
constraints: immutable, categorical and binary features keep their value (categories are not
searched over, and the evidence says so), declared ranges are clipped to, integers are
rounded (:mod:`failmodes.attacks.feature_space`).

Where each attack differs from its paper (HopSkipJump's starting points, first probe radius,
number of gradient-estimation queries, direction estimate and per-sample budget; the square
attack's starting point) is set out in :mod:`failmodes.attacks.hop_skip_jump` and
:mod:`failmodes.attacks.square_attack`.

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

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from failmodes.attacks.feature_space import FeatureSpace, feature_space
from failmodes.attacks.hop_skip_jump import hop_skip_jump
from failmodes.attacks.oracle import Oracle
from failmodes.attacks.result import AttackResult
from failmodes.attacks.square_attack import square_attack
from failmodes.errors import InputError
from failmodes.findings import Plot, Series
from failmodes.probes.base import Measurement, Need, Probe, ProbeContext, ProbeSpec
from failmodes.targets.base import Capability
from failmodes.targets.datasets import json_scalar, take_rows

MODE = "perturbation_attack"
DEFAULT_EPSILON = 0.3
DEFAULT_SAMPLES = 50
DEFAULT_QUERIES = 1000


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
        X = take_rows(test.X, picked)
        y = np.asarray(test.y)[picked]
        reference = ctx.data.train if ctx.data.train is not None else test
        space = feature_space(X, ctx.data, reference)

        correct = np.flatnonzero(np.asarray(target.predict(X)) == y)
        attacked = replace(space, template=take_rows(X, correct))
        results: list[AttackResult] = []
        if len(correct) and space.dim:
            oracle = Oracle(target, attacked, y[correct])
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
    original = space.mutable_values(space.template)
    examples = []
    for i in range(len(setting.correct)):
        done = [r for r in results if r.success_within(setting.epsilon)[i]]
        if not done:
            continue
        result = min(done, key=lambda r: float(r.linf[i]))
        point = result.adversarial[[i]]
        after = space.mutable_values(space.inputs(point, np.array([i])))[0]
        largest = np.argsort(-np.abs(point[0] - start[i]))[:top]
        examples.append(
            {
                "test_row": int(setting.picked[setting.correct[i]]),
                "label": json_scalar(setting.labels[setting.correct[i]]),
                "attack": result.name,
                "linf": float(result.linf[i]),
                "changes": {
                    space.names[j]: [json_scalar(original[i, j]), json_scalar(after[j])]
                    for j in largest
                    if after[j] != original[i, j]
                },
            }
        )
        if len(examples) == limit:
            break
    return examples


def _median(values: np.ndarray) -> float | None:
    finite = values[np.isfinite(values)]
    return float(np.median(finite)) if len(finite) else None
