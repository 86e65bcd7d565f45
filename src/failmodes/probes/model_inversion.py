"""Model inversion as attribute inference: does the model give away a hidden sensitive column?

The attack of Fredrikson, Lantz, Jha, Lin, Page and Ristenpart ("Privacy in Pharmacogenetics:
An End-to-End Case Study of Personalized Warfarin Dosing", USENIX Security 2014), in the
framework of Yeom, Giacomelli, Fredrikson and Jha (CSF 2018): the attacker knows a training
record except its sensitive attribute ``s``, and its true label ``y``. They query the model
with each candidate value ``v`` of ``s`` filled in and pick the value that best explains the
label, weighted by how common it is:

    ŝ = argmax_v  p_model(y | x₋ₛ, s = v) · π(v)

where ``π`` is the marginal frequency of ``s`` in data the attacker holds (here the test set).
With labels only, ``p_model(y | …)`` is 1 when the model answers ``y`` and 0 otherwise, so the
attacker picks the most common value among those that reproduce the label (Fredrikson et al.'s
maximum-a-posteriori attack with a 0/1 likelihood).

What a model leaks is what the attack gets right beyond what an attacker gets *without* the
model. Following Jayaraman and Evans ("Are Attribute Inference Attacks Just Imputation?",
CCS 2022), the baseline is the better of the majority value and an imputation classifier
trained on the attacker's data (the test set) to predict ``s`` from the other features and
the label. Both see the same knowledge as the attack, except the model.
``attribute_inference_advantage`` = max(0, attack accuracy − baseline accuracy) on training
records: an attacker can always ignore the model, so the model's advantage is never below 0;
the raw difference is in the evidence. Where we differ from the papers: the baseline is
chosen by its accuracy on the records attacked, which favours the baseline and so makes the
advantage a conservative (low) estimate.

The probe also reports ``confidence_exposure``: how many decimals the returned scores carry
(0 for labels only, 10 for full precision), the information inversion attacks feed on.

Options (``ctx.options``): ``max_records`` (default 2000) training records attacked at most;
``max_candidates`` (default 20) distinct values a sensitive column may have.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier

from failmodes.errors import InputError
from failmodes.findings import Plot, Series
from failmodes.probes.base import Measurement, Need, Probe, ProbeContext, ProbeSpec
from failmodes.probes.scoring import (
    labelled,
    query_allowance,
    score_classes,
    true_label_probability,
)
from failmodes.targets.base import Capability
from failmodes.targets.datasets import json_scalar

MODE = "model_inversion"
DEFAULT_MAX_RECORDS = 2000
DEFAULT_MAX_CANDIDATES = 20
#: Decimals from which scores count as full precision (a double carries 15–17 significant
#: digits, but no interface rounds to ten decimals).
FULL_PRECISION = 10
#: Weight of the prior alone, so that with no value reproducing the label (labels only) the
#: attacker still picks the most common value.
TIE_BREAK = 1e-9


class ModelInversionProbe(Probe):
    """Attribute inference by Fredrikson et al.'s maximum-a-posteriori attack (USENIX
    Security 2014), measured as Yeom et al.'s advantage (CSF 2018) over the imputation
    baseline of Jayaraman and Evans (CCS 2022).

    Differs in taking the prior from the attacker's data (the test set) and in picking the
    stronger baseline on the attacked records, which makes the advantage conservative; see the
    module docstring.
    """

    spec = ProbeSpec(
        id="model_inversion",
        name="Model inversion (attribute inference)",
        summary="Recovers a hidden sensitive column of training records from the model's "
        "answers and reports the advantage over a baseline that does not use the model.",
        failure_modes=(MODE,),
        needs=frozenset(
            {
                Need.LABELS,
                Need.TRAIN_DATA,
                Need.TEST_DATA,
                Need.TABULAR_DATA,
                Need.SENSITIVE_ATTRIBUTE,
            }
        ),
        tags=frozenset({"privacy", "black_box"}),
        references=(
            "Fredrikson, Lantz, Jha, Lin, Page, Ristenpart. Privacy in Pharmacogenetics: An "
            "End-to-End Case Study of Personalized Warfarin Dosing. USENIX Security 2014",
            "Yeom, Giacomelli, Fredrikson, Jha. Privacy Risk in Machine Learning: Analyzing "
            "the Connection to Overfitting. CSF 2018",
            "Jayaraman, Evans. Are Attribute Inference Attacks Just Imputation? CCS 2022",
        ),
    )

    def run(self, ctx: ProbeContext) -> Iterator[Measurement]:
        target = ctx.target
        assert target is not None  # a declared need: the runner skips the probe without one
        attribute = ctx.data.sensitive_attribute
        assert attribute is not None  # a declared need, likewise
        (X_in, y_in), (X_aux, y_aux) = labelled(ctx, "train"), labelled(ctx, "test")
        assert isinstance(X_in, pd.DataFrame) and isinstance(X_aux, pd.DataFrame)  # tabular
        if attribute not in X_in.columns:
            raise InputError(f"sensitive attribute {attribute!r} is not a column of the data.")
        candidates = np.unique(np.concatenate([X_in[attribute], X_aux[attribute]]))
        limit = int(ctx.options.get("max_candidates", DEFAULT_MAX_CANDIDATES))
        if len(candidates) > limit:
            raise InputError(
                f"sensitive attribute {attribute!r} has {len(candidates)} distinct values; "
                f"attribute inference needs a categorical or binary column (at most {limit})."
            )
        k = len(candidates)
        n = min(len(y_in), int(ctx.options.get("max_records", DEFAULT_MAX_RECORDS)))
        allowance = query_allowance(ctx)
        if allowance is not None:
            n = min(n, allowance // k)
        if n < 1:
            raise InputError(
                f"the query budget ({allowance}) does not cover one record with {k} "
                "candidate values; raise --budget."
            )
        pick = np.sort(ctx.rng.choice(len(y_in), n, replace=False))
        records, y = X_in.iloc[pick].reset_index(drop=True), y_in[pick]
        truth = records[attribute].to_numpy()

        # One query per record and candidate value: k blocks of n rows.
        filled = pd.concat([records.assign(**{attribute: v}) for v in candidates])
        scored = Capability.SCORES in target.capabilities
        if scored:
            proba = target.predict_proba(filled)
            classes = score_classes(target, proba, np.concatenate([y_in, y_aux]))
            likelihood = true_label_probability(proba, classes, np.tile(y, k)).reshape(k, n)
        else:
            answers = np.asarray(target.predict(filled)).reshape(k, n)
            likelihood = (answers == y[None, :]).astype(float)
        aux_values = X_aux[attribute].to_numpy()
        prior = np.array([(aux_values == v).sum() + 1.0 for v in candidates])
        prior /= prior.sum()
        guess = candidates[np.argmax((likelihood + TIE_BREAK) * prior[:, None], axis=0)]
        attack = float(np.mean(guess == truth))

        baselines = {
            "majority": np.full(n, candidates[np.argmax(prior)]),
            "imputation": _impute(ctx, attribute, aux=(X_aux, y_aux), records=(records, y)),
        }
        accuracy = {name: float(np.mean(b == truth)) for name, b in baselines.items()}
        kind = max(accuracy, key=lambda name: accuracy[name])
        baseline = accuracy[kind]
        advantage = max(0.0, attack - baseline)
        evidence: dict[str, Any] = {
            "sensitive_attribute": attribute,
            "candidates": [json_scalar(v) for v in candidates],
            "records": n,
            "attack_accuracy": attack,
            "baseline_accuracy": baseline,
            "baseline": kind,
            "baseline_accuracies": accuracy,
            "raw_difference": attack - baseline,
            "uses_scores": scored,
            "plots": [_per_value_plot(candidates, truth, guess, baselines[kind], attribute)],
        }
        yield Measurement(
            MODE,
            "attribute_inference_advantage",
            advantage,
            message=f"The model lets an attacker recover {attribute!r} of {attack:.1%} of "
            f"{n} training records, against {baseline:.1%} without it ({kind} baseline).",
            evidence=evidence,
        )
        yield Measurement(
            MODE,
            "attribute_inference_accuracy",
            attack,
            message=f"Attack accuracy on {attribute!r} over {n} training records.",
        )
        yield Measurement(
            MODE,
            "attribute_inference_baseline_accuracy",
            baseline,
            message=f"Best accuracy on {attribute!r} without the model ({kind}).",
        )
        digits = _decimals(proba) if scored else 0
        yield Measurement(
            MODE,
            "confidence_exposure",
            float(digits),
            message="Labels only: no scores exposed."
            if not scored
            else "Scores carry full precision."
            if digits >= FULL_PRECISION
            else f"Scores are rounded to {digits} decimal{'s' if digits != 1 else ''}.",
            evidence={"scores": scored, "full_precision_from": FULL_PRECISION},
        )


def _impute(
    ctx: ProbeContext,
    attribute: str,
    *,
    aux: tuple[pd.DataFrame, np.ndarray],
    records: tuple[pd.DataFrame, np.ndarray],
) -> np.ndarray:
    """Predict the attribute from the other features and the label, trained on the
    attacker's own data; no model queries."""
    (X_aux, y_aux), (X_rec, y_rec) = aux, records
    label = "__label__"
    categorical = [
        c
        for c in X_aux.columns
        if c != attribute
        and (c in ctx.data.categorical() or not pd.api.types.is_numeric_dtype(X_aux[c]))
    ]
    both = pd.concat(
        [X_aux.assign(**{label: y_aux}), X_rec.assign(**{label: y_rec})], ignore_index=True
    ).drop(columns=[attribute])
    encoded = pd.get_dummies(both.astype({label: str}), columns=[*categorical, label])
    encoded.columns = encoded.columns.astype(str)
    model = RandomForestClassifier(n_estimators=100, min_samples_leaf=3, random_state=ctx.seed)
    model.fit(encoded.iloc[: len(X_aux)], X_aux[attribute].to_numpy())
    return np.asarray(model.predict(encoded.iloc[len(X_aux) :]))


def _decimals(proba: np.ndarray) -> int:
    """Fewest decimals that write every score exactly, up to :data:`FULL_PRECISION`."""
    for digits in range(FULL_PRECISION):
        if np.allclose(np.round(proba, digits), proba, rtol=0, atol=1e-12):
            return digits
    return FULL_PRECISION


def _per_value_plot(
    candidates: np.ndarray,
    truth: np.ndarray,
    guess: np.ndarray,
    baseline: np.ndarray,
    attribute: str,
) -> dict[str, Any]:
    """Per true value of the attribute, how often the attack and the baseline recover it."""
    present = [v for v in candidates if (truth == v).any()]

    def recall(predicted: np.ndarray) -> list[float]:
        return [float(np.mean(predicted[truth == v] == v)) for v in present]

    return Plot(
        kind="bar",
        title=f"Recovering {attribute} of training records",
        xlabel=attribute,
        ylabel="share recovered",
        categories=[str(v) for v in present],
        series=[
            Series(label="attack with the model", y=recall(guess)),
            Series(label="baseline without the model", y=recall(baseline)),
        ],
        alt=f"Bars per value of {attribute}: the share of training records whose value the "
        "attack and the baseline recover; taller attack bars mean the model leaks it.",
    ).model_dump()
