"""Poisoning attack: footprints of poisoned training data, and how much a little poison hurts.

Four measurements on the *training* data:

1. **Label issues by confident learning** (Northcutt, Jiang and Chuang, JAIR 2021). Out-of-fold
   predicted probabilities come from fresh copies of the target trained on k − 1 folds
   (``Target.fit_fresh``) or, when the target cannot be retrained or returns no scores, from a
   logistic regression on the standardized features; the evidence says which. Per-class
   thresholds are the mean self-confidence of each class; the confident joint counts, for each
   given label, the rows confidently belonging to another class; and *prune by noise rate*
   flags, for each off-diagonal cell, that many rows of the given class with the largest
   margin towards the other class. ``cleanlab.filter.find_label_issues`` does this when cleanlab
   is installed (the ``labels`` extra); otherwise :func:`prune_by_noise_rate` — the same
   method, except that it rounds the calibrated joint cell by cell where cleanlab keeps row
   totals exact, so a few borderline rows can differ.
2. **Conflicting duplicates** — rows with an identical or near-identical twin that carries a
   different label: a footprint of injected or flipped records. *Near* means within a radius
   of ``near_duplicate_radius`` (default 0.05) in root-mean-square standardized units: the
   Euclidean distance between z-scored rows (categorical features one-hot) divided by the
   square root of the number of features, so the radius means the same at any width — on
   average, features differ by less than 5 % of a standard deviation.
3. **Outliers within their class** — rows whose distance to their k-th nearest neighbour of the
   same class (standardized features, k = ``outlier_neighbors``, default 5) lies beyond Tukey's
   far-out fence, Q3 + 3 × IQR of that class's k-distances.
4. **Poisoning sensitivity**, when the target can be retrained and labelled test data exists:
   the test-accuracy loss when an adversary flips 5 % of the training labels and the model is
   retrained — the worse of two adversaries: random flips (each to a random other class), and a
   targeted one that flips rows of the smallest class to their runner-up class, the rows the
   clean model is most confident about first, which drags the decision boundary into that class
   (the farthest-first heuristic for label-flip attacks). Biggio, Nelson and Laskov (ICML 2012)
   and Jagielski et al. (IEEE S&P 2018) optimize each poison point by gradient ascent on the
   validation loss; these heuristics are far cheaper and model-agnostic, so the measured loss
   is a lower bound on what an optimizing attacker achieves. Flip sets are nested (the 1 %
   flips are part of the 2 % flips …), so the curve over 0, 1, 2, 5 and 10 % is smooth.

Row indices in the evidence are 0-based positions in the training set.

Options (``ctx.options``):

``folds``                  cross-validation folds for the out-of-fold probabilities (default 5)
``max_train_rows``         training rows scanned; larger sets are sampled with the seed
                           (default 20000)
``near_duplicate_radius``  near-duplicate radius, RMS standardized units (default 0.05)
``outlier_neighbors``      k of the k-nearest-neighbour outlier test (default 5)
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.neighbors import NearestNeighbors

from failmodes.errors import DataError
from failmodes.findings import Plot, Series
from failmodes.monitor.summaries import is_numeric
from failmodes.probes.base import Measurement, Need, Probe, ProbeContext, ProbeSpec
from failmodes.targets.base import Capability, Inputs, Target
from failmodes.targets.datasets import select_rows

MODE = "poisoning_attack"
#: Flip rates of the sensitivity curve; the metric is read at FLIP_RATE.
FLIP_RATES = (0.0, 0.01, 0.02, 0.05, 0.10)
FLIP_RATE = 0.05
#: Suspected rows listed in the evidence.
MAX_ROWS_LISTED = 50


class PoisoningAttackProbe(Probe):
    """Label issues, conflicting duplicates and outliers in the training data, and the accuracy
    a 5 % label-flipping adversary takes away."""

    spec = ProbeSpec(
        id="poisoning_attack",
        name="Poisoning attack",
        summary=(
            "Scans the training data for label issues (confident learning), duplicates with "
            "conflicting labels and outliers within their class, and measures how much test "
            "accuracy 5 % flipped training labels cost when the model can be retrained."
        ),
        failure_modes=(MODE,),
        needs=frozenset({Need.TRAIN_DATA}),
        tags=frozenset({"poisoning", "data", "training"}),
        references=(
            "Northcutt, Jiang, Chuang. Confident Learning: Estimating Uncertainty in Dataset "
            "Labels. JAIR 2021",
            "Biggio, Nelson, Laskov. Poisoning Attacks against Support Vector Machines. ICML 2012",
            "Jagielski, Oprea, Biggio, Liu, Nita-Rotaru, Li. Manipulating Machine Learning: "
            "Poisoning Attacks and Countermeasures for Regression Learning. IEEE S&P 2018",
        ),
    )

    def run(self, ctx: ProbeContext) -> Iterator[Measurement]:
        folds = int(ctx.options.get("folds", 5))
        max_rows = int(ctx.options.get("max_train_rows", 20_000))
        radius = float(ctx.options.get("near_duplicate_radius", 0.05))
        neighbors = int(ctx.options.get("outlier_neighbors", 5))
        train = ctx.dataset("train")
        if train.y is None:
            raise DataError(
                "the training data has no labels; name its label column (profile "
                "`target.data.label`) so that label issues can be looked for."
            )
        rng = ctx.rng
        rows = (
            np.arange(len(train))
            if len(train) <= max_rows
            else np.sort(rng.choice(len(train), max_rows, replace=False))
        )
        X = select_rows(train.X, rows)
        classes, labels = np.unique(train.y[rows], return_inverse=True)
        smallest = int(np.bincount(labels).min())
        if len(classes) < 2 or smallest < 2:
            raise DataError(
                "label-issue detection needs at least two classes with two training rows each; "
                f"got class counts {np.bincount(labels).tolist()}."
            )
        Z = feature_matrix(X, ctx.data.categorical())
        splits = StratifiedKFold(min(folds, smallest), shuffle=True, random_state=ctx.seed)
        probs, source = _out_of_fold_probabilities(ctx, X, Z, classes, labels, splits=splits)
        issues, method = find_label_issues(labels, probs)
        self_confidence = probs[np.arange(len(labels)), labels]
        conflicts, exact = conflicting_duplicates(Z, labels, radius)
        outliers = class_outliers(Z, labels, neighbors)

        names = [str(c) for c in classes]
        scanned = {"rows_scanned": len(rows), "rows_in_training_set": len(train)}
        per_class = {
            "label issues": _per_class(issues, labels, len(classes)),
            "conflicting duplicates": _per_class(conflicts, labels, len(classes)),
            "outliers": _per_class(outliers, labels, len(classes)),
        }
        plot = Plot(
            kind="bar",
            title="Suspected training rows per class",
            xlabel="given label",
            ylabel="rows",
            categories=names,
            series=[
                Series(label=k, y=[float(v) for v in counts]) for k, counts in per_class.items()
            ],
            alt="Label issues, conflicting duplicates and outliers per class of the training data.",
        )
        yield Measurement(
            MODE,
            "label_issue_rate",
            float(issues.mean()),
            message=(
                f"{int(issues.sum())} of {len(rows)} training labels look wrong by confident "
                f"learning (probabilities from {source})."
            ),
            evidence={
                "method": method,
                "probabilities_from": source,
                "folds": splits.get_n_splits(),
                "suspected_rows": _listed(rows, issues, self_confidence),
                "per_class": dict(zip(names, per_class["label issues"], strict=True)),
                **scanned,
                "plots": [plot.model_dump()],
            },
        )
        yield Measurement(
            MODE,
            "conflicting_duplicate_rate",
            float(conflicts.mean()),
            message=(
                f"{int(conflicts.sum())} training rows have a twin with another label "
                f"({int(exact.sum())} exact, the rest within {radius} RMS standard deviations)."
            ),
            evidence={
                "exact": int(exact.sum()),
                "near": int((conflicts & ~exact).sum()),
                "radius": radius,
                "suspected_rows": _listed(rows, conflicts, self_confidence),
                "per_class": dict(zip(names, per_class["conflicting duplicates"], strict=True)),
                **scanned,
            },
        )
        yield Measurement(
            MODE,
            "outlier_rate",
            float(outliers.mean()),
            message=(
                f"{int(outliers.sum())} training rows lie far from the rest of their class "
                f"(distance to the k-th nearest neighbour of the class, k = {neighbors}, beyond "
                "Q3 + 3 × IQR)."
            ),
            evidence={
                "neighbors": neighbors,
                "suspected_rows": _listed(rows, outliers, self_confidence),
                "per_class": dict(zip(names, per_class["outliers"], strict=True)),
                **scanned,
            },
        )
        yield _sensitivity(ctx, X, classes, labels, probs)


def feature_matrix(X: Inputs, categorical: list[str]) -> np.ndarray:
    """Features as z-scores: numeric columns standardized, categorical columns one-hot, any
    array flattened per row. Constant columns stay at zero."""
    if isinstance(X, pd.DataFrame):
        kinds = [c in categorical or not is_numeric(X[c]) for c in X.columns]
        numeric = X.loc[:, [not k for k in kinds]].to_numpy(float)
        encoded = (
            pd.get_dummies(X.loc[:, kinds].astype(str)).to_numpy(float)
            if any(kinds)
            else np.empty((len(X), 0))
        )
    else:
        numeric, encoded = np.asarray(X, dtype=float).reshape(len(X), -1), np.empty((len(X), 0))
    spread = numeric.std(axis=0)
    z = (numeric - numeric.mean(axis=0)) / np.where(spread > 0, spread, 1.0)
    return np.hstack([z, encoded])


def _out_of_fold_probabilities(
    ctx: ProbeContext,
    X: Inputs,
    Z: np.ndarray,
    classes: np.ndarray,
    labels: np.ndarray,
    *,
    splits: StratifiedKFold,
) -> tuple[np.ndarray, str]:
    """Predicted probabilities for every row from a model that did not see it."""
    target = ctx.target
    if target is None or not {Capability.TRAIN, Capability.SCORES} <= target.capabilities:
        why = "no target" if target is None else "the target cannot be retrained with scores"
        probs = cross_val_predict(
            LogisticRegression(max_iter=1000), Z, labels, cv=splits, method="predict_proba"
        )
        return probs, f"a logistic regression on the standardized features ({why})"
    probs = np.zeros((len(labels), len(classes)))
    for fit, held in ctx.progress(
        list(splits.split(Z, labels)), splits.get_n_splits(), "out-of-fold predictions"
    ):
        fresh = target.fit_fresh(select_rows(X, fit), classes[labels[fit]], seed=ctx.seed)
        probs[np.ix_(held, _columns(fresh, classes))] = fresh.predict_proba(select_rows(X, held))
    return probs, f"fresh copies of the target ({target.describe()}) trained out of fold"


def _columns(fresh: Target, classes: np.ndarray) -> np.ndarray:
    """Where each of the fresh model's probability columns goes among ``classes``."""
    if fresh.classes is None:
        raise DataError("a fresh copy of the target does not say its classes' order")
    return np.searchsorted(classes, fresh.classes)


def find_label_issues(labels: np.ndarray, probs: np.ndarray) -> tuple[np.ndarray, str]:
    """Label issues by prune-by-noise-rate: cleanlab's when installed, ours otherwise."""
    try:
        from cleanlab.filter import find_label_issues as cleanlab_find
    except ImportError:
        return prune_by_noise_rate(labels, probs), "confident learning, prune by noise rate"
    mask = cleanlab_find(labels, probs, filter_by="prune_by_noise_rate", n_jobs=1)
    return np.asarray(mask, dtype=bool), "cleanlab.filter.find_label_issues (prune_by_noise_rate)"


def prune_by_noise_rate(labels: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Confident learning's prune-by-noise-rate filter (Northcutt et al. 2021, §3.2).

    ``labels`` are class indices 0 … K−1 and ``probs`` out-of-fold probabilities (n × K).
    """
    n, k = probs.shape
    thresholds = np.array([probs[labels == c, c].mean() for c in range(k)])
    confident = probs >= thresholds - 1e-6
    counted = confident.sum(axis=1)
    guess = np.where(counted > 1, probs.argmax(axis=1), confident.argmax(axis=1))
    joint = np.zeros((k, k))
    np.add.at(joint, (labels[counted > 0], guess[counted > 0]), 1)
    np.fill_diagonal(joint, np.maximum(joint.diagonal(), 1))
    # Calibrate each row to the number of rows with that given label.
    sizes = np.bincount(labels, minlength=k)
    prune = np.rint(joint / joint.sum(axis=1, keepdims=True) * sizes[:, None]).astype(int)
    issues = np.zeros(n, dtype=bool)
    for given in range(k):
        members = np.flatnonzero(labels == given)
        for other in range(k):
            if other != given and prune[given, other] > 0:
                margin = probs[members, other] - probs[members, given]
                issues[members[np.argsort(-margin, kind="stable")[: prune[given, other]]]] = True
    # A row whose given label is (within rounding) the model's top guess is not an issue.
    nudged = probs.copy()
    nudged[np.arange(n), labels] += 1e-6
    issues[nudged.argmax(axis=1) == labels] = False
    return issues


def conflicting_duplicates(
    Z: np.ndarray, labels: np.ndarray, radius: float
) -> tuple[np.ndarray, np.ndarray]:
    """Rows with a twin of another label: (within ``radius`` RMS standardized units, exact)."""
    _, group = np.unique(Z, axis=0, return_inverse=True)
    group = group.ravel()
    exact = pd.Series(labels).groupby(group).transform("nunique").to_numpy() > 1
    width = max(Z.shape[1], 1)
    graph = NearestNeighbors(radius=radius * np.sqrt(width)).fit(Z).radius_neighbors_graph()
    pairs = graph.tocoo()
    near = np.zeros(len(labels), dtype=bool)
    near[pairs.row[labels[pairs.row] != labels[pairs.col]]] = True
    return near | exact, exact


def class_outliers(Z: np.ndarray, labels: np.ndarray, neighbors: int) -> np.ndarray:
    """Rows whose k-th-nearest-neighbour distance within their class is beyond Q3 + 3 IQR."""
    outliers = np.zeros(len(labels), dtype=bool)
    for given in np.unique(labels):
        members = np.flatnonzero(labels == given)
        if len(members) <= neighbors:
            continue  # too few rows to tell an outlier from the class
        distances, _ = NearestNeighbors(n_neighbors=neighbors).fit(Z[members]).kneighbors()
        kth = distances[:, -1]
        q1, q3 = np.quantile(kth, [0.25, 0.75])
        outliers[members] = kth > q3 + 3 * (q3 - q1)
    return outliers


def _sensitivity(
    ctx: ProbeContext, X: Inputs, classes: np.ndarray, labels: np.ndarray, probs: np.ndarray
) -> Measurement:
    target, test = ctx.target, ctx.data.test
    if target is None or Capability.TRAIN not in target.capabilities:
        why = "no model target" if target is None else "the target cannot be retrained"
        return _not_measured(f"{why}, so no poisoned copy can be trained")
    if test is None or test.y is None:
        return _not_measured("there is no labelled test data to measure accuracy on")
    test_y = test.y
    rng = ctx.rng
    n, k = probs.shape
    # Random adversary: a random order of rows, each flipped to a random other class.
    random_order = rng.permutation(n)
    random_label = (labels + rng.integers(1, k, n)) % k
    # Targeted adversary: the smallest class, most confidently right first, to the runner-up.
    victim = int(np.argmin(np.bincount(labels, minlength=k)))
    others = probs.copy()
    others[np.arange(n), labels] = -np.inf
    runner_up = others.argmax(axis=1)
    members = np.flatnonzero(labels == victim)
    margin = probs[members, victim] - others[members].max(axis=1)
    targeted_order = members[np.argsort(-margin, kind="stable")][: len(members) - 1]

    def accuracy(order: np.ndarray, flipped_to: np.ndarray, rate: float) -> float:
        poisoned = labels.copy()
        chosen = order[: round(rate * n)]
        poisoned[chosen] = flipped_to[chosen]
        model = target.fit_fresh(X, classes[poisoned], seed=ctx.seed)
        return float(np.mean(model.predict(test.X) == test_y))

    runs = [(rate, adversary) for rate in FLIP_RATES[1:] for adversary in ("random", "targeted")]
    curves: dict[str, dict[float, float]] = {"random": {}, "targeted": {}}
    baseline = accuracy(random_order, random_label, 0.0)
    for rate, adversary in ctx.progress(runs, len(runs), "retraining on flipped labels"):
        order, flipped_to = (
            (random_order, random_label) if adversary == "random" else (targeted_order, runner_up)
        )
        curves[adversary][rate] = accuracy(order, flipped_to, rate)
    drops = {name: baseline - curve[FLIP_RATE] for name, curve in curves.items()}
    worst = max(drops, key=lambda name: drops[name])
    series = [
        Series(
            label=f"{name} flips",
            x=[100 * r for r in FLIP_RATES],
            y=[baseline, *curves[name].values()],
        )
        for name in curves
    ]
    return Measurement(
        MODE,
        "poisoning_sensitivity",
        drops[worst],
        message=(
            f"Flipping {FLIP_RATE:.0%} of the training labels ({worst} flips) takes test "
            f"accuracy from {baseline:.3f} to {curves[worst][FLIP_RATE]:.3f}."
        ),
        evidence={
            "baseline_accuracy": baseline,
            "flip_rate": FLIP_RATE,
            "accuracy_drop": drops,
            "worst_adversary": worst,
            "targeted_class": str(classes[victim]),
            "accuracy": {name: {str(r): a for r, a in c.items()} for name, c in curves.items()},
            "plots": [
                Plot(
                    kind="line",
                    title="Test accuracy against flipped training labels",
                    xlabel="training labels flipped (%)",
                    ylabel="test accuracy",
                    series=series,
                    alt="Test accuracy of the retrained model as more training labels are "
                    "flipped, for random and targeted flips.",
                ).model_dump()
            ],
        },
    )


def _not_measured(why: str) -> Measurement:
    return Measurement(MODE, "poisoning_sensitivity", None, message=f"Not measured: {why}.")


def _per_class(mask: np.ndarray, labels: np.ndarray, k: int) -> list[int]:
    return [int(v) for v in np.bincount(labels[mask], minlength=k)]


def _listed(rows: np.ndarray, mask: np.ndarray, self_confidence: np.ndarray) -> list[int]:
    """The first suspected rows, least self-confident (most likely mislabelled) first."""
    flagged = np.flatnonzero(mask)
    ranked = flagged[np.argsort(self_confidence[flagged], kind="stable")]
    return [int(r) for r in rows[ranked[:MAX_ROWS_LISTED]]]
