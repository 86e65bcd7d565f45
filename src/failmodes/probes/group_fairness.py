"""Group fairness: does the model decide differently for the groups of a protected attribute?

Two group-fairness criteria, measured on the labelled test data over the groups of the
profile's ``target.protected_attribute``:

- **Demographic parity difference** — the largest gap between groups in the rate of positive
  decisions, P(ŷ = 1 | A = a) (Calders and Verwer, "Three naive Bayes approaches for
  discrimination-free classification", DMKD 2010; Dwork et al., "Fairness Through Awareness",
  ITCS 2012). 0 means every group is selected at the same rate.
- **Equalised odds difference** — the larger of the largest true-positive-rate gap and the
  largest false-positive-rate gap between groups (Hardt, Price and Srebro, "Equality of
  Opportunity in Supervised Learning", NeurIPS 2016). 0 means the model errs alike for all.

Both are computed as Fairlearn defines ``demographic_parity_difference`` and
``equalized_odds_difference`` (worst case, max minus min over groups; Bird et al., "Fairlearn:
A toolkit for assessing and improving fairness in AI", Microsoft MSR-TR-2020-32), and a test
checks the figures against Fairlearn's; the few lines are written here so the core installs
without it. A multi-class model is judged one-vs-rest for ``positive_label``. Groups smaller
than ``min_group_size`` rows are left out of the gaps (their rates are noise) and listed.

The failure mode, ``group_unfairness``, belongs to the governance overlay shipped with
failmodes (``-O failmodes:governance``), not to the taxonomy: a scan without that overlay does
not plan this probe.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

from failmodes.errors import InputError
from failmodes.findings import Plot, Series
from failmodes.probes.base import Measurement, Need, Probe, ProbeContext, ProbeSpec
from failmodes.probes.scoring import labelled
from failmodes.targets.datasets import json_scalar

MODE = "group_unfairness"
#: Groups with fewer rows than this are left out of the gaps (option ``min_group_size``).
DEFAULT_MIN_GROUP_SIZE = 20
#: A protected attribute with more distinct values than this is not a set of groups.
MAX_GROUPS = 50


def group_rates(
    y_true: np.ndarray, y_pred: np.ndarray, groups: np.ndarray, positive: Any
) -> dict[Any, dict[str, float]]:
    """Per group: rows, selection rate, true- and false-positive rate (NaN where undefined)."""
    truth, decision = y_true == positive, y_pred == positive
    rates: dict[Any, dict[str, float]] = {}
    for group in np.unique(groups):
        rows = groups == group
        positives, negatives = truth & rows, ~truth & rows
        rates[group] = {
            "rows": float(rows.sum()),
            "selection_rate": float(decision[rows].mean()),
            "true_positive_rate": float(decision[positives].mean())
            if positives.any()
            else float("nan"),
            "false_positive_rate": float(decision[negatives].mean())
            if negatives.any()
            else float("nan"),
        }
    return rates


def _spread(rates: dict[Any, dict[str, float]], key: str) -> float:
    values = [r[key] for r in rates.values() if not np.isnan(r[key])]
    return float(max(values) - min(values)) if len(values) > 1 else 0.0


def demographic_parity_difference(rates: dict[Any, dict[str, float]]) -> float:
    return _spread(rates, "selection_rate")


def equalized_odds_difference(rates: dict[Any, dict[str, float]]) -> float:
    return max(_spread(rates, "true_positive_rate"), _spread(rates, "false_positive_rate"))


def _positive_label(y: np.ndarray, option: Any) -> Any:
    labels = np.unique(y)
    if option is not None:
        matches = [v for v in labels.tolist() if str(v) == str(option)]
        if not matches:
            raise InputError(
                f"positive_label {option!r} is not a label of the test data "
                f"({', '.join(map(str, labels.tolist()[:10]))})."
            )
        return matches[0]
    if len(labels) != 2:
        raise InputError(
            f"the test data has {len(labels)} labels; name the favourable one with "
            "--option group_fairness.positive_label=LABEL."
        )
    return labels[1]


class GroupFairness(Probe):
    """Demographic parity and equalised odds gaps across the groups of a protected attribute
    (Calders and Verwer 2010; Hardt, Price and Srebro 2016), computed as Fairlearn does."""

    spec = ProbeSpec(
        id="group_fairness",
        name="Group fairness",
        summary="Selection-rate (demographic parity) and error-rate (equalised odds) gaps "
        "between the groups of the profile's protected attribute, on the labelled test data.",
        failure_modes=(MODE,),
        needs=frozenset(
            {
                Need.TARGET,
                Need.LABELS,
                Need.TEST_DATA,
                Need.TABULAR_DATA,
                Need.PROTECTED_ATTRIBUTE,
            }
        ),
        tags=frozenset({"fairness", "governance"}),
        references=(
            "Calders, Verwer. Three naive Bayes approaches for discrimination-free "
            "classification. Data Mining and Knowledge Discovery 2010",
            "Hardt, Price, Srebro. Equality of Opportunity in Supervised Learning. NeurIPS 2016",
            "Bird et al. Fairlearn: A toolkit for assessing and improving fairness in AI. "
            "Microsoft MSR-TR-2020-32",
        ),
    )

    def run(self, ctx: ProbeContext) -> Iterator[Measurement]:
        target = ctx.target
        attribute = ctx.data.protected_attribute
        assert target is not None and attribute is not None  # declared needs
        X, y = labelled(ctx, "test")
        assert isinstance(X, pd.DataFrame)  # Need.TABULAR_DATA
        if attribute not in X.columns:
            raise InputError(f"protected attribute {attribute!r} is not a column of the data.")
        groups = X[attribute].to_numpy()
        if len(np.unique(groups)) > MAX_GROUPS:
            raise InputError(
                f"protected attribute {attribute!r} has {len(np.unique(groups))} distinct "
                f"values; group fairness needs a categorical column (at most {MAX_GROUPS})."
            )
        positive = _positive_label(y, ctx.options.get("positive_label"))
        y_pred = np.asarray(target.predict(X))
        smallest = int(ctx.options.get("min_group_size", DEFAULT_MIN_GROUP_SIZE))
        every = group_rates(y, y_pred, groups, positive)
        kept = {g: r for g, r in every.items() if r["rows"] >= smallest}
        left_out = [json_scalar(g) for g in every if g not in kept]
        if len(kept) < 2:
            raise InputError(
                f"protected attribute {attribute!r}: fewer than two groups have "
                f"{smallest} test rows or more; lower --option "
                "group_fairness.min_group_size or give more test data."
            )
        parity = demographic_parity_difference(kept)
        odds = equalized_odds_difference(kept)
        names = [str(json_scalar(g)) for g in kept]
        evidence: dict[str, Any] = {
            "protected_attribute": attribute,
            "positive_label": json_scalar(positive),
            "groups": {
                name: {k: (None if np.isnan(v) else v) for k, v in r.items()}
                for name, r in zip(names, kept.values(), strict=True)
            },
            "groups_left_out": left_out,
            "min_group_size": smallest,
            "plots": [_rates_plot(names, list(kept.values()), attribute)],
        }
        worst = max(kept, key=lambda g: kept[g]["selection_rate"])
        least = min(kept, key=lambda g: kept[g]["selection_rate"])
        yield Measurement(
            MODE,
            "demographic_parity_difference",
            parity,
            message=f"{attribute}={json_scalar(worst)} is selected at "
            f"{kept[worst]['selection_rate']:.3f}, {attribute}={json_scalar(least)} at "
            f"{kept[least]['selection_rate']:.3f}.",
            evidence=evidence,
        )
        yield Measurement(
            MODE,
            "equalized_odds_difference",
            odds,
            message=f"largest true-positive-rate gap "
            f"{_spread(kept, 'true_positive_rate'):.3f}, false-positive-rate gap "
            f"{_spread(kept, 'false_positive_rate'):.3f} across {len(kept)} groups.",
            evidence={"protected_attribute": attribute},
        )


def _rates_plot(names: list[str], rates: list[dict[str, float]], attribute: str) -> dict[str, Any]:
    def series(key: str, label: str) -> Series:
        return Series(label=label, y=[0.0 if np.isnan(r[key]) else r[key] for r in rates])

    return Plot(
        kind="bar",
        title=f"Decisions by {attribute}",
        xlabel=attribute,
        ylabel="rate",
        categories=names,
        series=[
            series("selection_rate", "selection rate"),
            series("true_positive_rate", "true-positive rate"),
            series("false_positive_rate", "false-positive rate"),
        ],
        alt=f"Selection, true-positive and false-positive rates per {attribute} group.",
    ).model_dump()
