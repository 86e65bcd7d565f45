"""Membership inference: can an attacker tell the model's training records from others?

Members are sampled from the training set, non-members from the held-out test set, and each
attack gives every record a score (higher = "member"). From the scores we read the ROC curve
and report, for the strongest attack, what Carlini et al. (2022) ask an audit to report:
the AUC, the membership advantage max(TPR − FPR) of Yeom et al. (2018), and the TPR at low
FPR (0.1 %, and 1 % for information).

Attacks, from cheapest to strongest:

``loss``
    The loss-threshold attack of Yeom, Giacomelli, Fredrikson and Jha ("Privacy Risk in
    Machine Learning: Analyzing the Connection to Overfitting", CSF 2018): score = −loss =
    log p(y | x). We sweep every threshold instead of fixing it at the mean training loss.
``modified_entropy``
    The metric attack of Song and Mittal ("Systematic Evaluation of Privacy Risks of Machine
    Learning Models", USENIX Security 2021): score = −Mentr, with
    Mentr = −(1 − p_y) log p_y − Σ_{i≠y} p_i log(1 − p_i). It uses the whole score vector and
    the true label. We use one global threshold, not their class-dependent ones (the sweep
    over thresholds already gives the AUC; per-class AUCs are in the evidence).
``lira``
    The likelihood-ratio attack of Carlini, Chien, Nasr, Song, Terzis and Tramèr ("Membership
    Inference Attacks From First Principles", S&P 2022), online variant with a global
    variance, when the target can train fresh copies (``fit_fresh``): ``shadow_models``
    reference models are trained on random halves of the pooled members and non-members so
    that every record is in exactly half of them, as in the authors' code. Per record, the
    logit-scaled confidence φ = log p_y − log(1 − p_y) of the models that trained on it and
    of those that did not are fitted with Gaussians (means per record, one variance per
    side), and the score is the log-likelihood ratio of the target's φ. Where we differ: the
    paper uses 64–256 shadows and augmentation queries; we default to 8 shadows and one
    query per record, and shadows train on half of the (possibly sub-sampled) pool, which
    may be smaller than the target's training set.
``correctness``
    Label-only fallback, the gap attack of Yeom et al. (2018): "member" when the model
    labels the record correctly. Its AUC is 0.5 + (train accuracy − test accuracy) / 2.

The reported metrics take the best attack per metric, as audits do: an attacker picks
whichever works. A TPR at an FPR that the held-out set cannot resolve (0.1 % needs at least
1,000 non-members, 1 % at least 100) is reported without a value, so that chance on a small
set never reads as a leak; the TPR at zero false positives is in its evidence.
``generalization_gap`` (train minus test accuracy) is measured from the same answers.

Options (``ctx.options``): ``max_records`` (default 2000) members and non-members sampled at
most, each; ``shadow_models`` (default 8; 0 turns LiRA off).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm
from sklearn.metrics import roc_auc_score, roc_curve

from failmodes.errors import InputError
from failmodes.findings import Plot, Series
from failmodes.probes.base import Measurement, Need, Probe, ProbeContext, ProbeSpec
from failmodes.probes.scoring import (
    labelled,
    query_allowance,
    score_classes,
    true_label_probability,
)
from failmodes.targets.base import Capability, Inputs, Target
from failmodes.targets.datasets import select_rows

MODE = "membership_inference"
DEFAULT_MAX_RECORDS = 2000
DEFAULT_SHADOW_MODELS = 8
#: Fewest members (and non-members) an AUC is worth computing on.
MIN_RECORDS = 20
#: Probabilities are clipped this far from 0 and 1 before logs and logits.
EPS = 1e-7
#: Smallest standard deviation LiRA fits, so models that memorise (φ identical across
#: shadows) do not divide by zero.
MIN_SIGMA = 1e-2
#: Points of the ROC curve kept for the plot, log-spaced in FPR.
ROC_POINTS = 40


@dataclass(frozen=True)
class AttackResult:
    """One attack's ROC summary."""

    name: str
    auc: float
    advantage: float
    tpr_at_0_1pct_fpr: float
    tpr_at_1pct_fpr: float
    fpr: np.ndarray
    tpr: np.ndarray

    def table(self) -> dict[str, float]:
        return {
            "auc": self.auc,
            "advantage": self.advantage,
            "tpr_at_0_1pct_fpr": self.tpr_at_0_1pct_fpr,
            "tpr_at_1pct_fpr": self.tpr_at_1pct_fpr,
        }


def evaluate_attack(name: str, scores: np.ndarray, member: np.ndarray) -> AttackResult:
    """ROC summary of membership scores (higher means member) against the truth."""
    fpr, tpr, _ = roc_curve(member, scores)
    return AttackResult(
        name=name,
        auc=float(roc_auc_score(member, scores)),
        advantage=float(np.max(tpr - fpr)),
        tpr_at_0_1pct_fpr=_tpr_at(fpr, tpr, 0.001),
        tpr_at_1pct_fpr=_tpr_at(fpr, tpr, 0.01),
        fpr=fpr,
        tpr=tpr,
    )


def _tpr_at(fpr: np.ndarray, tpr: np.ndarray, limit: float) -> float:
    return float(np.max(tpr[fpr <= limit]))


def stack(parts: Sequence[Inputs]) -> Inputs:
    frames = [p for p in parts if isinstance(p, pd.DataFrame)]
    if len(frames) == len(parts):
        return pd.concat(frames, ignore_index=True)
    return np.concatenate([np.asarray(p) for p in parts])


class MembershipInferenceProbe(Probe):
    """Membership inference by loss threshold (Yeom et al., CSF 2018), modified entropy
    (Song and Mittal, USENIX Security 2021) and online LiRA with a global variance (Carlini et
    al., S&P 2022) when the target can be retrained; a label-only gap attack otherwise.

    Differs from the papers in the number of LiRA reference models (8 by default, not
    64–256), in using one query per record (no augmentations), and in global thresholds for
    modified entropy; see the module docstring.
    """

    spec = ProbeSpec(
        id="membership_inference",
        name="Membership inference",
        summary="Loss, modified-entropy and LiRA attacks separating training records from "
        "held-out ones; AUC, membership advantage and TPR at low FPR, overall and per class.",
        failure_modes=(MODE,),
        needs=frozenset({Need.LABELS, Need.TRAIN_DATA, Need.TEST_DATA}),
        tags=frozenset({"privacy", "black_box"}),
        references=(
            "Yeom, Giacomelli, Fredrikson, Jha. Privacy Risk in Machine Learning: Analyzing "
            "the Connection to Overfitting. CSF 2018",
            "Song, Mittal. Systematic Evaluation of Privacy Risks of Machine Learning Models. "
            "USENIX Security 2021",
            "Carlini, Chien, Nasr, Song, Terzis, Tramèr. Membership Inference Attacks From "
            "First Principles. IEEE S&P 2022",
        ),
    )

    def run(self, ctx: ProbeContext) -> Iterator[Measurement]:
        target = ctx.target
        assert target is not None  # a declared need: the runner skips the probe without one
        (X_in, y_in), (X_out, y_out) = labelled(ctx, "train"), labelled(ctx, "test")
        max_records = int(ctx.options.get("max_records", DEFAULT_MAX_RECORDS))
        n_in, n_out = _sample_sizes(len(y_in), len(y_out), max_records, query_allowance(ctx))
        rng = ctx.rng
        pick_in = np.sort(rng.choice(len(y_in), n_in, replace=False))
        pick_out = np.sort(rng.choice(len(y_out), n_out, replace=False))
        X = stack([select_rows(X_in, pick_in), select_rows(X_out, pick_out)])
        y = np.concatenate([y_in[pick_in], y_out[pick_out]])
        member = np.concatenate([np.ones(n_in, dtype=int), np.zeros(n_out, dtype=int)])

        scored = Capability.SCORES in target.capabilities
        if scored:
            proba = target.predict_proba(X)
            classes = score_classes(target, proba, y)
            predicted = classes[np.argmax(proba, axis=1)]
        else:
            predicted = np.asarray(target.predict(X))
        correct = predicted == y
        train_acc, test_acc = float(correct[:n_in].mean()), float(correct[n_in:].mean())
        yield Measurement(
            MODE,
            "generalization_gap",
            train_acc - test_acc,
            message=f"Accuracy {train_acc:.3f} on {n_in} training records, {test_acc:.3f} on "
            f"{n_out} held-out records.",
            evidence={"train_accuracy": train_acc, "test_accuracy": test_acc},
        )

        scores: dict[str, np.ndarray] = {}
        if scored:
            p_true = np.clip(true_label_probability(proba, classes, y), EPS, 1 - EPS)
            scores["loss"] = np.log(p_true)
            scores["modified_entropy"] = -_modified_entropy(proba, classes, y)
            shadows = int(ctx.options.get("shadow_models", DEFAULT_SHADOW_MODELS))
            if shadows >= 2 and Capability.TRAIN in target.capabilities:
                scores["lira"] = _lira(
                    ctx, target, X, y, phi_target=_logit(p_true), rng=rng, shadows=shadows
                )
        else:
            scores["correctness"] = correct.astype(float)
        results = [evaluate_attack(name, s, member) for name, s in scores.items()]
        yield from _measurements(results, scores, member, y)


def _sample_sizes(
    n_train: int, n_test: int, max_records: int, allowance: int | None
) -> tuple[int, int]:
    """Members and non-members to query: all there are, up to ``max_records`` each and the
    query allowance in total (split evenly, the rest to whichever side has more)."""
    n_in, n_out = min(n_train, max_records), min(n_test, max_records)
    if allowance is not None and n_in + n_out > allowance:
        n_in = min(n_in, max(allowance // 2, allowance - n_out))
        n_out = min(n_out, allowance - n_in)
    if min(n_in, n_out) < MIN_RECORDS:
        raise InputError(
            f"membership inference needs at least {MIN_RECORDS} training and {MIN_RECORDS} "
            f"held-out records within the query budget; it has {n_in} and {n_out}."
        )
    return n_in, n_out


def _logit(p: np.ndarray) -> np.ndarray:
    return np.asarray(np.log(p) - np.log1p(-p))


def _modified_entropy(proba: np.ndarray, classes: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Song and Mittal's Mentr: low when the model is confident and right."""
    p = np.clip(proba, EPS, 1 - EPS)
    is_true = classes[None, :] == y[:, None]
    p_true = np.clip(true_label_probability(proba, classes, y), EPS, 1 - EPS)
    wrong = np.where(is_true, 0.0, -p * np.log1p(-p)).sum(axis=1)
    return np.asarray(-(1 - p_true) * np.log(p_true) + wrong)


def _lira(
    ctx: ProbeContext,
    target: Target,
    X: Inputs,
    y: np.ndarray,
    *,
    phi_target: np.ndarray,
    rng: np.random.Generator,
    shadows: int,
) -> np.ndarray:
    """Online LiRA with a global variance; see the module docstring."""
    n = len(y)
    keep = rng.random((shadows, n)).argsort(axis=0) < shadows // 2
    phi = np.empty((shadows, n))
    for s in ctx.progress(range(shadows), shadows, "training reference models"):
        shadow = target.fit_fresh(
            select_rows(X, np.flatnonzero(keep[s])), y[keep[s]], seed=ctx.seed + s
        )
        proba = shadow.predict_proba(X)
        classes = score_classes(shadow, proba, y)
        p = np.clip(true_label_probability(proba, classes, y), EPS, 1 - EPS)
        phi[s] = _logit(p)
    mu_in, sd_in = _gaussian(phi, keep)
    mu_out, sd_out = _gaussian(phi, ~keep)
    return np.asarray(
        norm.logpdf(phi_target, mu_in, sd_in) - norm.logpdf(phi_target, mu_out, sd_out)
    )


def _gaussian(phi: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, float]:
    """Per-record means of φ over the masked shadows, and one pooled standard deviation."""
    counts = mask.sum(axis=0)
    mean = np.where(mask, phi, 0.0).sum(axis=0) / np.maximum(counts, 1)
    residuals = (phi - mean)[mask]
    return mean, max(float(residuals.std()), MIN_SIGMA)


def _measurements(
    results: list[AttackResult], scores: dict[str, np.ndarray], member: np.ndarray, y: np.ndarray
) -> Iterator[Measurement]:
    best = max(results, key=lambda r: r.auc)
    per_class = _per_class_auc(scores[best.name], member, y)
    n_out = int((member == 0).sum())
    evidence: dict[str, Any] = {
        "best_attack": best.name,
        "attacks": {r.name: r.table() for r in results},
        "members": int(member.sum()),
        "non_members": n_out,
        "per_class_auc": per_class,
        "plots": [_roc_plot(results, n_out)],
    }
    yield Measurement(
        MODE,
        "mia_auc",
        best.auc,
        message=f"The {best.name} attack separates training records from held-out ones with "
        f"AUC {best.auc:.3f} (0.5 = no leak).",
        evidence=evidence,
    )
    top = max(results, key=lambda r: r.advantage)
    yield Measurement(
        MODE,
        "mia_advantage",
        top.advantage,
        message=f"{top.name} attack: largest TPR − FPR = {top.advantage:.3f} (0 = no leak).",
        evidence={"attack": top.name},
    )
    for fpr, metric, label in (
        (0.001, "tpr_at_0_1pct_fpr", "0.1 %"),
        (0.01, "tpr_at_1pct_fpr", "1 %"),
    ):
        top = max(results, key=lambda r: r.table()[metric])
        value = top.table()[metric]
        if n_out * fpr >= 1:
            yield Measurement(
                MODE,
                f"mia_{metric}",
                value,
                message=f"{top.name} attack: identifies {value:.1%} of training records at "
                f"{label} FPR.",
                evidence={"attack": top.name},
            )
            continue
        at_zero = max(_tpr_at(r.fpr, r.tpr, 0.0) for r in results)
        yield Measurement(
            MODE,
            f"mia_{metric}",
            None,
            message=f"Not measured: {n_out} non-members resolve false-positive rates down to "
            f"{1 / n_out:.2%}, not {label}; score at least {round(1 / fpr):,} held-out records. "
            f"At zero false positives the best attack identifies {at_zero:.1%} of training "
            "records.",
            evidence={"tpr_at_zero_fpr": at_zero, "non_members": n_out},
        )


def _per_class_auc(scores: np.ndarray, member: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """The best attack's AUC within each class that has both members and non-members."""
    out = {}
    for label in np.unique(y):
        mask = y == label
        if 0 < member[mask].sum() < mask.sum():
            out[str(label)] = float(roc_auc_score(member[mask], scores[mask]))
    return out


def _roc_plot(results: list[AttackResult], n_out: int) -> dict[str, Any]:
    """ROC curves on log-log axes, where the low-FPR region that matters is visible."""
    grid = np.geomspace(1 / max(n_out, 1), 1.0, ROC_POINTS)
    series = [
        Series(
            label=f"{r.name} (AUC {r.auc:.3f})",
            x=grid.tolist(),
            y=[_tpr_at(r.fpr, r.tpr, f) for f in grid],
        )
        for r in results
    ]
    series.append(Series(label="chance", x=grid.tolist(), y=grid.tolist()))
    return Plot(
        kind="roc",
        title="Membership inference ROC",
        xlabel="false-positive rate",
        ylabel="true-positive rate",
        xscale="log",
        yscale="log",
        series=series,
        alt="ROC curves of the membership-inference attacks on log-log axes; curves above "
        "the chance diagonal mean the model leaks membership.",
    ).model_dump()
