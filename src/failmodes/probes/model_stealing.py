"""Model stealing: how closely a copy trained only on the model's answers imitates it.

The attacker of Tramèr et al. (USENIX Security 2016) and of Knockoff Nets (Orekondy, Schiele
and Fritz, CVPR 2019) sends inputs to the prediction interface, records the answers and trains
a *surrogate* on them. We play that attacker at a geometric series of query budgets (50, 100,
200, 500, 1000 … up to the cap) and measure, on held-out test rows that were never sent as
attack queries, two things Jagielski et al. (USENIX Security 2020) keep apart:

- **fidelity** — how often the surrogate agrees with the target (what matters for a thief who
  wants a working copy or a rehearsal bench for evasion, as in Papernot et al., AsiaCCS 2017);
- **accuracy** — how often the surrogate is right on the true labels (what matters for a
  competitor who wants the service, not the exact model).

Two attackers, on the same query inputs:

- *label-only*: the surrogate is fitted on the predicted labels (``predict``);
- *score-based*: the surrogate is distilled from the returned probabilities
  (``predict_proba``). Each query becomes one weighted row per class, weight = probability,
  so the fit minimises cross-entropy against the soft labels — knowledge distillation through
  ``sample_weight`` rather than Tramèr's equation solving, which needs the surrogate to share
  the target's model family. It runs only when the target returns scores with known classes.

Where we differ from the papers: the surrogate is one small, flexible model (a one-hidden-layer
MLP on standardized, one-hot-encoded features) for every target, not a copy of the target's
architecture; queries come from the test set (natural data, as in Knockoff Nets), from each
feature's marginal sampled independently (a cheap stand-in for Papernot's synthetic
augmentation), or a mix; and the query answers are collected once and reused as nested
prefixes, so the whole curve costs as many queries as its largest budget.

Options (``ctx.options``):

``max_queries``   largest query budget per attacker (default 5000); also capped by the pool
                  (``test`` source) and by ``ctx.budget``.
``query_source``  ``test`` (default), ``synthetic`` or ``mixed``.
``holdout``       share of the test set kept back to measure fidelity (default 0.3).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from failmodes.errors import InputError
from failmodes.findings import Plot, Series
from failmodes.probes.base import Measurement, Need, Probe, ProbeContext, ProbeSpec
from failmodes.targets.base import Capability, Inputs
from failmodes.targets.datasets import take_rows

MODE = "model_stealing"
QUERY_SOURCES = ("test", "synthetic", "mixed")
#: Fidelity at which ``queries_to_90pct_fidelity`` counts a copy as working.
FIDELITY_MARK = 0.9
#: Fewest attack queries worth fitting a surrogate on.
MIN_QUERIES = 10
#: Fewest held-out rows to measure fidelity on.
MIN_HOLDOUT = 20
#: Probabilities below this carry no weight in distillation; dropping them keeps the
#: replicated training set small.
MIN_SOFT_WEIGHT = 1e-3


@dataclass(frozen=True)
class _Curve:
    """One attacker's results along the budget grid."""

    setting: str
    budgets: list[int]
    fidelity: list[float]
    accuracy: list[float | None]

    @property
    def queries_to_mark(self) -> int | None:
        return next(
            (b for b, f in zip(self.budgets, self.fidelity, strict=True) if f >= FIDELITY_MARK),
            None,
        )


class ModelStealingProbe(Probe):
    """Surrogate training from the model's answers, label-only and score-based."""

    spec = ProbeSpec(
        id="model_stealing",
        name="Model stealing by surrogate training",
        summary=(
            "Trains surrogates on the model's answers to natural or synthetic queries at "
            "increasing budgets; reports fidelity and accuracy against the budget."
        ),
        failure_modes=(MODE,),
        needs=frozenset({Need.LABELS, Need.TEST_DATA}),
        tags=frozenset({"black_box", "confidentiality", "extraction"}),
        references=(
            "Tramèr, Zhang, Juels, Reiter, Ristenpart, Stealing Machine Learning Models via "
            "Prediction APIs, USENIX Security 2016",
            "Papernot, McDaniel, Goodfellow, Jha, Celik, Swami, Practical Black-Box Attacks "
            "against Machine Learning, AsiaCCS 2017",
            "Orekondy, Schiele, Fritz, Knockoff Nets: Stealing Functionality of Black-Box "
            "Models, CVPR 2019",
            "Jagielski, Carlini, Berthelot, Kurakin, Papernot, High Accuracy and High Fidelity "
            "Extraction of Neural Networks, USENIX Security 2020",
        ),
        default_budget=10_000,
    )

    def run(self, ctx: ProbeContext) -> Iterator[Measurement]:
        max_queries, source, holdout = _options(ctx.options)
        target = ctx.target
        assert target is not None  # Need.LABELS makes the runner supply one
        test = ctx.dataset("test")
        rng = ctx.rng
        order = rng.permutation(len(test))
        n_eval = max(MIN_HOLDOUT, round(holdout * len(test)))
        eval_rows, pool_rows = order[:n_eval], order[n_eval:]
        scores = Capability.SCORES in target.capabilities and target.classes is not None
        settings = ["label_only", "score_based"] if scores else ["label_only"]

        cap = len(pool_rows) if source == "test" else max_queries
        cap = min(cap, max_queries)
        if ctx.budget is not None:
            cap = min(cap, (ctx.budget - n_eval) // len(settings))
        if len(pool_rows) < MIN_QUERIES or cap < MIN_QUERIES:
            raise InputError(
                f"model stealing needs at least {MIN_QUERIES} attack queries and "
                f"{MIN_HOLDOUT} held-out rows; the test set has {len(test)} rows and the "
                f"budget allows {max(cap, 0)} queries per attacker. Give more test rows or a "
                "larger --budget."
            )
        budgets = budget_grid(cap)

        X_eval = take_rows(test.X, eval_rows)
        target_eval = target.predict(X_eval)
        true_eval = None if test.y is None else np.asarray(test.y)[eval_rows]
        queries = _query_inputs(test.X, pool_rows, source, cap, rng)
        categorical = [c for c in ctx.data.categorical() if c in test.feature_names]

        answers: dict[str, np.ndarray] = {"label_only": target.predict(queries)}
        if scores:
            answers["score_based"] = target.predict_proba(queries)
        steps = [(s, b) for s in settings for b in budgets]
        results: dict[str, list[tuple[float, float | None]]] = {s: [] for s in settings}
        for setting, budget in ctx.progress(steps, len(steps), "surrogates"):
            predicted = _fit_and_predict(
                take_rows(queries, np.arange(budget)),
                answers=answers[setting][:budget],
                classes=None if setting == "label_only" else target.classes,
                X_eval=X_eval,
                categorical=categorical,
                seed=ctx.seed,
            )
            fidelity = float(np.mean(predicted == target_eval))
            accuracy = None if true_eval is None else float(np.mean(predicted == true_eval))
            results[setting].append((fidelity, accuracy))
        curves = [
            _Curve(s, budgets, [f for f, _ in results[s]], [a for _, a in results[s]])
            for s in settings
        ]

        best = max(curves, key=lambda c: c.fidelity[-1])
        evidence = _evidence(curves, target_eval, true_eval, source, len(eval_rows))
        yield Measurement(
            MODE,
            "surrogate_fidelity",
            best.fidelity[-1],
            message=(
                f"A surrogate trained on {budgets[-1]:,} {best.setting.replace('_', '-')} "
                f"answers agrees with the model on {best.fidelity[-1]:.0%} of "
                f"{len(eval_rows)} held-out inputs."
            ),
            evidence=evidence,
        )
        if true_eval is not None:
            accuracy = best.accuracy[-1]
            yield Measurement(
                MODE,
                "surrogate_accuracy",
                accuracy,
                message=(
                    f"The surrogate is right on {accuracy:.0%} of held-out inputs; the model "
                    f"itself on {evidence['target_accuracy']:.0%}."
                ),
            )
        reached = [c.queries_to_mark for c in curves if c.queries_to_mark is not None]
        yield Measurement(
            MODE,
            "queries_to_90pct_fidelity",
            float(min(reached)) if reached else None,
            message=(
                f"{min(reached):,} queries sufficed for 90 % fidelity."
                if reached
                else f"90 % fidelity was not reached within {budgets[-1]:,} queries."
            ),
        )


def budget_grid(cap: int) -> list[int]:
    """The query budgets tried: 50, 100, 200, 500, 1000, 2000, 5000 … below ``cap``, then
    ``cap`` itself."""
    grid: list[int] = []
    decade = 10
    while decade * 5 < cap:
        grid.extend(b for b in (decade * 5, decade * 10, decade * 20) if b < cap)
        decade *= 10
    return [*dict.fromkeys(grid), cap]


def _options(options: dict[str, Any]) -> tuple[int, str, float]:
    max_queries = options.get("max_queries", 5000)
    if isinstance(max_queries, bool) or not isinstance(max_queries, int) or max_queries < 1:
        raise InputError(
            f"the 'max_queries' option of model_stealing must be a positive integer; "
            f"got {max_queries!r}."
        )
    source = options.get("query_source", "test")
    if source not in QUERY_SOURCES:
        raise InputError(
            f"the 'query_source' option of model_stealing must be one of "
            f"{', '.join(QUERY_SOURCES)}; got {source!r}."
        )
    holdout = options.get("holdout", 0.3)
    if isinstance(holdout, bool) or not isinstance(holdout, float | int) or not 0 < holdout < 1:
        raise InputError(
            f"the 'holdout' option of model_stealing must be a number between 0 and 1; "
            f"got {holdout!r}."
        )
    return max_queries, str(source), float(holdout)


def _marginal_samples(X: Inputs, n: int, rng: np.random.Generator) -> Inputs:
    """``n`` rows whose features are drawn independently from each feature's values in
    ``X``: realistic marginals, no correlations — what an attacker who knows only the
    feature ranges and typical values can produce."""
    if isinstance(X, pd.DataFrame):
        return pd.DataFrame(
            {c: X[c].to_numpy()[rng.integers(0, len(X), n)] for c in X.columns}
        ).astype(X.dtypes.to_dict())
    flat = X.reshape(len(X), -1)
    picks = rng.integers(0, len(X), (n, flat.shape[1]))
    return flat[picks, np.arange(flat.shape[1])].reshape(n, *X.shape[1:])


def _query_inputs(
    X: Inputs, pool_rows: np.ndarray, source: str, n: int, rng: np.random.Generator
) -> Inputs:
    """The attacker's ``n`` queries, ordered so that every prefix is a valid smaller attack.

    ``mixed`` alternates pool rows and synthetic rows until the pool runs out.
    """
    pool = take_rows(X, pool_rows)
    if source == "test":
        return take_rows(pool, np.arange(n))
    if source == "synthetic":
        return _marginal_samples(pool, n, rng)
    position = np.arange(n)
    real = (position % 2 == 0) & (position // 2 < len(pool))
    n_real = int(real.sum())
    order = np.empty(n, dtype=int)
    order[real] = np.arange(n_real)
    order[~real] = n_real + np.arange(n - n_real)
    real_rows = take_rows(pool, np.arange(n_real))
    synthetic = _marginal_samples(pool, n - n_real, rng)
    both: Inputs
    if isinstance(real_rows, pd.DataFrame) and isinstance(synthetic, pd.DataFrame):
        both = pd.concat([real_rows, synthetic], ignore_index=True)
    else:
        both = np.concatenate([real_rows, np.asarray(synthetic)])
    return take_rows(both, order)


def _surrogate(X: Inputs, categorical: Sequence[str], seed: int) -> Pipeline:
    """A small MLP on standardized numeric and one-hot categorical features."""
    mlp = MLPClassifier(hidden_layer_sizes=(64,), max_iter=500, random_state=seed)
    if not isinstance(X, pd.DataFrame):
        return make_pipeline(StandardScaler(), mlp)
    kinds = [
        c in categorical or not pd.api.types.is_numeric_dtype(X[c]) for c in map(str, X.columns)
    ]
    encode = ColumnTransformer(
        [
            ("categorical", OneHotEncoder(handle_unknown="ignore"), np.flatnonzero(kinds)),
            ("numeric", StandardScaler(), np.flatnonzero(~np.asarray(kinds))),
        ]
    )
    return make_pipeline(encode, mlp)


def _flat(X: Inputs) -> Inputs:
    return X if isinstance(X, pd.DataFrame) or X.ndim == 2 else X.reshape(len(X), -1)


def _fit_and_predict(
    X: Inputs,
    *,
    answers: np.ndarray,
    classes: np.ndarray | None,
    X_eval: Inputs,
    categorical: Sequence[str],
    seed: int,
) -> np.ndarray:
    """Fit a surrogate on labels (``classes`` is None) or distil it from probabilities, and
    predict labels for ``X_eval``.

    A surrogate that saw a single class can only answer that class, so it does.
    """
    X = _flat(X)
    weights = None
    if classes is None:
        labels = answers
    else:
        n, k = answers.shape
        rows = np.repeat(np.arange(n), k)
        labels = np.tile(np.asarray(classes), n)
        weights = answers.ravel()
        keep = weights >= MIN_SOFT_WEIGHT
        X, labels, weights = take_rows(X, rows[keep]), labels[keep], weights[keep]
    seen = np.unique(labels)
    if len(seen) == 1:
        return np.repeat(seen, len(X_eval))
    model = _surrogate(X, categorical, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, labels, mlpclassifier__sample_weight=weights)
    return np.asarray(model.predict(_flat(X_eval)))


def _evidence(
    curves: list[_Curve],
    target_eval: np.ndarray,
    true_eval: np.ndarray | None,
    source: str,
    n_eval: int,
) -> dict[str, Any]:
    """Curves per attacker, context for reading them, and the plot."""
    _, counts = np.unique(target_eval, return_counts=True)
    series = []
    for curve in curves:
        name = curve.setting.replace("_", "-")
        series.append(
            Series(label=f"fidelity, {name}", x=list(map(float, curve.budgets)), y=curve.fidelity)
        )
        if true_eval is not None:
            accuracy = [a for a in curve.accuracy if a is not None]
            series.append(
                Series(label=f"accuracy, {name}", x=list(map(float, curve.budgets)), y=accuracy)
            )
    plot = Plot(
        kind="line",
        title="Surrogate fidelity and accuracy against the query budget",
        xlabel="queries sent to the model",
        ylabel="share of held-out inputs",
        xscale="log",
        series=series,
        reference_line=FIDELITY_MARK,
        alt=(
            "Fidelity (agreement with the model) and accuracy of surrogates trained on "
            "growing numbers of the model's answers."
        ),
    )
    return {
        "query_source": source,
        "holdout_rows": n_eval,
        # Agreement a surrogate gets by always answering the model's commonest label.
        "baseline_fidelity": float(counts.max() / counts.sum()),
        "target_accuracy": (
            None if true_eval is None else float(np.mean(target_eval == true_eval))
        ),
        "settings": {
            c.setting: {
                "budgets": c.budgets,
                "fidelity": c.fidelity,
                "accuracy": c.accuracy,
                "queries_to_90pct_fidelity": c.queries_to_mark,
            }
            for c in curves
        },
        "plots": [plot.model_dump()],
    }
