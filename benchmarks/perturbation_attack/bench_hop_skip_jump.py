"""Our decision-based attack (HopSkipJump in failmodes' perturbation_attack probe) against
the Adversarial Robustness Toolbox's ``HopSkipJump`` on the same model and the same samples.

Both attack a RandomForest through labels only, in the same standardized feature space (each
feature divided by its standard deviation on the training data; features with no spread are
left alone by both), starting from correctly classified test rows. Reported per attack:
share of rows for which an adversarial example was found, median L2 and L∞ size of the
perturbation (in standard deviations), median queries per row and wall time.

Run it from the repository root, in a venv that has ART and failmodes::

    python3.11 -m venv .venv-bench-hsj
    .venv-bench-hsj/bin/pip install adversarial-robustness-toolbox packaging
    .venv-bench-hsj/bin/pip install -e .
    .venv-bench-hsj/bin/python benchmarks/perturbation_attack/bench_hop_skip_jump.py
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split

from failmodes.catalog.loader import load_catalog
from failmodes.probes.base import ProbeContext
from failmodes.probes.perturbation_attack import PerturbationAttackProbe
from failmodes.probes.runner import run_probe
from failmodes.targets.callable import CallableTarget
from failmodes.targets.datasets import DataBundle, Dataset

warnings.filterwarnings("ignore", category=UserWarning)  # ART: "PyTorch not found"


@dataclass
class Row:
    dataset: str
    attack: str
    found: float
    median_l2: float
    median_linf: float
    median_queries: float
    seconds: float


@dataclass
class Case:
    name: str
    model: RandomForestClassifier
    train: np.ndarray
    attacked: np.ndarray  # correctly classified test rows
    labels: np.ndarray
    mean: np.ndarray
    scale: np.ndarray
    mutable: np.ndarray  # features with spread (both attacks leave the others alone)


def make_case(name: str, X: np.ndarray, y: np.ndarray, samples: int, seed: int) -> Case:
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, random_state=seed, stratify=y)
    model = RandomForestClassifier(n_estimators=100, random_state=seed).fit(Xtr, ytr)
    scale = Xtr.std(axis=0)
    mutable = np.flatnonzero(scale > 0)
    constant = np.flatnonzero(scale == 0)
    # Rows that the model gets right and whose constant features hold the training value, so
    # that "leave them alone" means the same thing to both attacks.
    ok = (model.predict(Xte) == yte) & np.all(Xte[:, constant] == Xtr[0, constant], axis=1)
    picked = np.random.default_rng(seed).choice(np.flatnonzero(ok), samples, replace=False)
    return Case(name, model, Xtr, Xte[picked], yte[picked], Xtr.mean(axis=0), scale, mutable)


def ours(case: Case, queries: int, seed: int) -> Row:
    """The probe's decision-based attack (a label-only target runs only that one)."""
    catalog = load_catalog()
    target = CallableTarget(case.model.predict, name="RandomForest")
    data = DataBundle(
        train=Dataset("train", case.train),
        test=Dataset("test", case.attacked, case.labels),
    )
    ctx = ProbeContext(
        profile=None,
        target=target,
        data=data,
        seed=seed,
        options={"samples": len(case.attacked), "queries_per_sample": queries},
    )
    start = time.perf_counter()
    run = run_probe(
        PerturbationAttackProbe(), ctx, lambda m, k: (catalog.get(m).threshold_for(k), None)
    )
    seconds = time.perf_counter() - start
    if run.reason:
        raise SystemExit(f"probe failed: {run.reason}")
    attack = run.findings[0].evidence["attacks"]["decision_based"]
    if attack["found_at_any_size"] < len(case.attacked):
        print(f"note: medians of our attack on {case.name} are over the rows it flipped")
    return Row(
        case.name,
        f"failmodes HopSkipJump, {queries:,} queries/row",
        attack["found_at_any_size"] / len(case.attacked),
        attack["median_l2"],
        attack["median_linf"],
        attack["median_queries_per_sample"],
        seconds,
    )


def art(case: Case, max_iter: int, seed: int) -> Row:
    """ART's HopSkipJump through a BlackBoxClassifier that returns one-hot labels.

    NumPy's global generator, which ART's iterations draw from, is seeded; its starting
    points come from an unseeded ``np.random.RandomState()``, so ART's figures still vary a
    little between runs."""
    from art.attacks.evasion import HopSkipJump
    from art.estimators.classification import BlackBoxClassifier

    d = len(case.mutable)
    classes = case.model.classes_
    full = case.attacked[0].copy()  # constant features: equal for every attacked row
    calls = {"rows": 0}

    def raw(z: np.ndarray) -> np.ndarray:
        x = np.repeat(full[None], len(z), axis=0)
        x[:, case.mutable] = z * case.scale[case.mutable] + case.mean[case.mutable]
        return x

    def predict(z: np.ndarray) -> np.ndarray:
        calls["rows"] += len(z)
        labels = case.model.predict(raw(z))
        return np.asarray(labels[:, None] == classes[None], dtype=float)

    z_train = (case.train[:, case.mutable] - case.mean[case.mutable]) / case.scale[case.mutable]
    clip = (float(z_train.min()), float(z_train.max()))
    classifier = BlackBoxClassifier(predict, (d,), len(classes), clip_values=clip)
    attack = HopSkipJump(classifier, max_iter=max_iter, verbose=False)
    z0 = (case.attacked[:, case.mutable] - case.mean[case.mutable]) / case.scale[case.mutable]
    queries, adversarial = [], []
    np.random.seed(seed)  # ART draws from NumPy's global generator
    start = time.perf_counter()
    for i in range(len(z0)):
        before = calls["rows"]
        adversarial.append(attack.generate(z0[i : i + 1].astype(np.float32))[0])
        queries.append(calls["rows"] - before)
    seconds = time.perf_counter() - start
    adv = np.asarray(adversarial, dtype=float)
    flipped = case.model.predict(raw(adv)) != case.labels
    delta = adv - z0
    # A row ART returns unflipped counts as an infinite perturbation.
    l2 = np.where(flipped, np.linalg.norm(delta, axis=1), np.inf)
    linf = np.where(flipped, np.abs(delta).max(axis=1), np.inf)
    config = "defaults" if max_iter == 50 else f"max_iter={max_iter}"
    return Row(
        case.name,
        f"ART HopSkipJump ({config})",
        float(flipped.mean()),
        float(np.median(l2)),
        float(np.median(linf)),
        float(np.median(queries)),
        seconds,
    )


def table(rows: list[Row]) -> str:
    lines = [
        "| data | attack | adversarial found | median L2 | median L∞ | median queries/row "
        "| time (s) |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r.dataset} | {r.attack} | {r.found:.0%} | {r.median_l2:.3f} | "
        f"{r.median_linf:.3f} | {r.median_queries:,.0f} | {r.seconds:.1f} |"
        for r in rows
    ]
    return "\n".join(lines)


DATASETS: dict[str, Callable[[], tuple[np.ndarray, np.ndarray]]] = {
    "breast_cancer": lambda: load_breast_cancer(return_X_y=True),
    "digits": lambda: load_digits(return_X_y=True),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--queries", type=int, nargs="+", default=[1000, 5000, 25000])
    parser.add_argument("--art-max-iter", type=int, nargs="+", default=[50, 5])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=list(DATASETS))
    args = parser.parse_args()
    rows = []
    for name in args.datasets:
        case = make_case(name, *DATASETS[name](), args.samples, args.seed)
        rows += [ours(case, q, args.seed) for q in args.queries]
        rows += [art(case, m, args.seed) for m in args.art_max_iter]
        print(table(rows), flush=True)
        print()


if __name__ == "__main__":
    main()
