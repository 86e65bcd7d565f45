"""Our membership_inference probe against the Adversarial Robustness Toolbox's
``MembershipInferenceBlackBox`` on the same models and the same evaluation records.

For each case a model is trained on one half of the data (the members); the other half are
non-members. Both halves are split again: ART's attack is *supervised*, so it trains its attack
model on the first quarter of members and non-members (whose membership it is told), and both
tools are scored on the same remaining records. Our probe is not told any membership: it uses
threshold attacks and LiRA reference models trained with the target's own training function.
Every figure is computed from the attack scores with the same code (``evaluate_attack``), and
reported as the mean over seeds: AUC, membership advantage, TPR at 0.1 % and 1 % FPR, and wall
time (attack training, model queries and scoring; the target's own training excluded).

Run it from the repository root, in a venv that has ART and failmodes::

    python3.11 -m venv .venv-bench-art
    .venv-bench-art/bin/pip install adversarial-robustness-toolbox packaging scikit-learn \\
        numpy pandas pydantic PyYAML typer rich scipy jinja2 matplotlib skops
    .venv-bench-art/bin/pip install -e . --no-deps
    .venv-bench-art/bin/python benchmarks/membership_inference/bench_art_black_box.py
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits, make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from failmodes.catalog.loader import load_catalog
from failmodes.probes.base import ProbeContext
from failmodes.probes.membership_inference import MembershipInferenceProbe, evaluate_attack
from failmodes.probes.runner import run_probe
from failmodes.targets.datasets import DataBundle, Dataset
from failmodes.targets.sklearn import SklearnTarget

warnings.filterwarnings("ignore")  # ART: "PyTorch not found"; MLP convergence

METRICS = ("auc", "advantage", "tpr_at_0_1pct_fpr", "tpr_at_1pct_fpr")


@dataclass
class Row:
    case: str
    tool: str
    auc: float
    advantage: float
    tpr_at_0_1pct_fpr: float
    tpr_at_1pct_fpr: float
    seconds: float
    eval_members: int
    eval_non_members: int


def synthetic() -> tuple[np.ndarray, np.ndarray]:
    return make_classification(
        n_samples=8000, n_features=20, n_informative=8, flip_y=0.1, random_state=0
    )


CASES: dict[str, tuple[Callable[[], tuple[np.ndarray, np.ndarray]], Callable[[int], Any]]] = {
    "breast_cancer / random forest, no bootstrap": (
        lambda: load_breast_cancer(return_X_y=True),
        lambda seed: RandomForestClassifier(n_estimators=50, bootstrap=False, random_state=seed),
    ),
    "breast_cancer / logistic regression, C=0.01": (
        lambda: load_breast_cancer(return_X_y=True),
        lambda seed: make_pipeline(StandardScaler(), LogisticRegression(C=0.01)),
    ),
    "synthetic 8000×20, 10 % label noise / random forest": (
        synthetic,
        lambda seed: RandomForestClassifier(n_estimators=100, random_state=seed, n_jobs=1),
    ),
    "digits (10 classes) / MLP": (
        lambda: load_digits(return_X_y=True),
        lambda seed: make_pipeline(
            StandardScaler(), MLPClassifier((64,), max_iter=300, random_state=seed)
        ),
    ),
}


def art_scores(
    model: Any, attack_type: str, known: tuple, evaluated: np.ndarray, labels: np.ndarray
):
    from art.attacks.inference.membership_inference import MembershipInferenceBlackBox
    from art.estimators.classification import SklearnClassifier

    (x_in, y_in), (x_out, y_out) = known
    attack = MembershipInferenceBlackBox(
        SklearnClassifier(model=model), attack_model_type=attack_type
    )
    attack.fit(x_in, y_in, x_out, y_out)
    return attack.infer(evaluated, labels, probabilities=True).reshape(len(labels), -1)[:, -1]


def run_case(name: str, seed: int, shadows: int) -> list[Row]:
    load, make_model = CASES[name]
    X, y = load()
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.5, random_state=seed, stratify=y)
    model = make_model(seed).fit(X_tr, y_tr)
    # members and non-members, each split into a quarter ART learns from and one both score
    A_in, E_in, a_in, e_in = train_test_split(X_tr, y_tr, test_size=0.5, random_state=seed)
    A_out, E_out, a_out, e_out = train_test_split(X_te, y_te, test_size=0.5, random_state=seed)
    evaluated = np.concatenate([E_in, E_out])
    labels = np.concatenate([e_in, e_out])
    member = np.concatenate([np.ones(len(e_in), int), np.zeros(len(e_out), int)])
    sizes = {"eval_members": len(e_in), "eval_non_members": len(e_out)}
    rows = []
    for attack_type in ("rf", "gb"):
        start = time.perf_counter()
        scores = art_scores(model, attack_type, ((A_in, a_in), (A_out, a_out)), evaluated, labels)
        seconds = time.perf_counter() - start
        result = evaluate_attack(attack_type, scores, member)
        rows.append(
            Row(name, f"ART black-box ({attack_type})", **result.table(), seconds=seconds, **sizes)
        )
    catalog = load_catalog()

    def lookup(mode: str, metric: str):
        return catalog.get(mode).threshold_for(metric), None

    bundle = DataBundle(train=Dataset("train", E_in, e_in), test=Dataset("test", E_out, e_out))
    for label, count in (
        ("thresholds only", 0),
        (f"with LiRA, {shadows} reference models", shadows),
    ):
        ctx = ProbeContext(
            None,
            SklearnTarget(model),
            bundle,
            seed=seed,
            options={"shadow_models": count, "max_records": 100_000},
        )
        start = time.perf_counter()
        run = run_probe(MembershipInferenceProbe(), ctx, lookup)
        seconds = time.perf_counter() - start
        attacks = next(f for f in run.findings if f.metric == "mia_auc").evidence["attacks"]
        best = {m: max(a[m] for a in attacks.values()) for m in METRICS}
        rows.append(Row(name, f"failmodes ({label})", **best, seconds=seconds, **sizes))
    return rows


def summarize(rows: list[Row]) -> list[dict[str, Any]]:
    out: dict[tuple[str, str], list[Row]] = {}
    for row in rows:
        out.setdefault((row.case, row.tool), []).append(row)
    table = []
    for (case, tool), group in out.items():
        entry: dict[str, Any] = {"case": case, "tool": tool, "seeds": len(group)}
        for key in (*METRICS, "seconds"):
            values = np.array([getattr(r, key) for r in group])
            entry[key] = float(values.mean())
            entry[f"{key}_sd"] = float(values.std())
        entry["eval"] = f"{group[0].eval_members} + {group[0].eval_non_members}"
        entry["non_members"] = group[0].eval_non_members
        table.append(entry)
    return table


def markdown(table: list[dict[str, Any]]) -> str:
    lines = [
        "| case | tool | AUC | advantage | TPR @ 0.1 % FPR | TPR @ 1 % FPR | time (s) |",
        "|---|---|---|---|---|---|---|",
    ]
    for e in table:
        unresolved = "†" if e["non_members"] < 1000 else ""
        lines.append(
            f"| {e['case']} ({e['eval']} scored) | {e['tool']} | {e['auc']:.3f} ± "
            f"{e['auc_sd']:.3f} | {e['advantage']:.3f} | {e['tpr_at_0_1pct_fpr']:.3f}"
            f"{unresolved} | {e['tpr_at_1pct_fpr']:.3f} | {e['seconds']:.2f} |"
        )
    lines += [
        "",
        "† fewer than 1,000 non-members scored: the TPR at 0.1 % FPR is the TPR at zero false "
        "positives (the probe reports it as evidence, without a verdict).",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--shadows", type=int, default=8)
    parser.add_argument("--json", type=Path, help="Also write the summary as JSON here.")
    args = parser.parse_args()
    rows = [
        row
        for name in CASES
        for seed in range(args.seeds)
        for row in run_case(name, seed, args.shadows)
    ]
    table = summarize(rows)
    print(markdown(table))
    if args.json:
        args.json.write_text(
            json.dumps({"summary": table, "runs": [asdict(r) for r in rows]}, indent=2)
        )


if __name__ == "__main__":
    main()
