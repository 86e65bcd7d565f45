"""Natural adversarial examples: real, unedited inputs the model gets wrong with confidence.

Hendrycks, Zhao, Basart, Steinhardt and Song ("Natural Adversarial Examples", CVPR 2021)
built ImageNet-A by keeping the real photographs a classifier got wrong — hard-negative
mining — and showed that models are confidently wrong on many of them. We mine the user's own
labelled data the same way, without a second model to filter with: every prediction made with
confidence ≥ ``confidence_threshold`` that is wrong is a confident error. Then we ask where
they are — the worst slices of the data (:mod:`failmodes.probes.slices`, after Slice Finder,
Chung et al., ICDE 2019) — and how far confidence is from accuracy overall (expected
calibration error, Guo et al., ICML 2017, :mod:`failmodes.probes.calibration`).

Data: the test set, and the production set too when it has labels (reviewed production
samples are where natural adversarial examples are found in practice); each is reported on
its own. Queries: one ``predict_proba`` per row of each set.

Options: ``confidence_threshold`` (0.9), ``examples`` (20: the most confident errors listed
in evidence), and the slice options of :class:`~failmodes.probes.slices.SliceOptions`.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from failmodes.errors import DataError, InputError
from failmodes.probes.base import Measurement, Need, Probe, ProbeContext, ProbeSpec
from failmodes.probes.calibration import reliability, scored_predictions
from failmodes.probes.slices import SliceOptions, find_slices, slice_frame
from failmodes.targets.datasets import Dataset, json_scalar

MODE = "natural_adversarial_examples"


class NaturalAdversarialExamples(Probe):
    """Confidently wrong predictions on labelled data, the slices they fall in, calibration.

    Hard-negative mining as in ImageNet-A (Hendrycks et al., CVPR 2021), on the user's data and
    without a filtering model; slices after Slice Finder (Chung et al., ICDE 2019), simplified;
    ECE as in Guo et al. (ICML 2017).
    """

    spec = ProbeSpec(
        id="natural_adversarial_examples",
        name="Natural adversarial examples",
        summary=(
            "Mines labelled test (and production) data for confidently wrong predictions, "
            "finds the slices where the model is worst, and measures calibration error."
        ),
        failure_modes=(MODE,),
        needs=frozenset({Need.TEST_DATA, Need.SCORES}),
        tags=frozenset({"unintentional", "robustness", "calibration", "slices"}),
        references=(
            "Hendrycks, Zhao, Basart, Steinhardt, Song. Natural Adversarial Examples. CVPR 2021",
            "Guo, Pleiss, Sun, Weinberger. On Calibration of Modern Neural Networks. ICML 2017",
            "Chung, Kraska, Polyzotis, Tae, Whang. Slice Finder: Automated Data Slicing for "
            "Model Validation. ICDE 2019",
        ),
    )

    def run(self, ctx: ProbeContext) -> Iterator[Measurement]:
        threshold = float(ctx.options.get("confidence_threshold", 0.9))
        if not 0.0 < threshold <= 1.0:
            raise InputError(f"confidence_threshold must lie in (0, 1], got {threshold}")
        examples = int(ctx.options.get("examples", 20))
        slicing = SliceOptions.from_options(ctx.options)
        test = ctx.dataset("test")
        if test.y is None:
            raise DataError(
                "natural_adversarial_examples needs labelled test data; name the label column "
                "(profile `target.label_column`)."
            )
        sets = [test]
        production = ctx.data.production
        if production is not None and production.y is not None:
            sets.append(production)
        for data in ctx.progress(sets, len(sets), "data sets"):
            yield from self._mine(ctx, data, threshold, examples, slicing)

    def _mine(
        self,
        ctx: ProbeContext,
        data: Dataset,
        threshold: float,
        examples: int,
        slicing: SliceOptions,
    ) -> Iterator[Measurement]:
        assert ctx.target is not None and data.y is not None  # checked by the runner and run()
        y = np.asarray(data.y)
        scored = scored_predictions(ctx.target, data.X)
        correct = np.asarray(scored.labels == y, dtype=bool)
        confident = scored.confidence >= threshold
        errors = confident & ~correct
        where = f" on the {data.name} set"

        frame, categorical = slice_frame(data.X, y)
        search = find_slices(frame, correct, set(ctx.data.categorical()) | categorical, slicing)
        shown = search.slices[: slicing.top]
        hard = [s for s in shown if s.significant]

        order = np.flatnonzero(errors)[np.argsort(-scored.confidence[errors], kind="stable")]
        index = data.X.index if isinstance(data.X, pd.DataFrame) else None
        worst = [
            {
                "row": int(i),
                **({"index": json_scalar(index[i])} if index is not None else {}),
                "predicted": json_scalar(scored.labels[i]),
                "true": json_scalar(y[i]),
                "confidence": float(scored.confidence[i]),
                "slices": [s.description for s in hard if s.mask[i]],
            }
            for i in order[:examples]
        ]
        n_confident, n_errors = int(confident.sum()), int(errors.sum())
        in_hard = int((errors & np.logical_or.reduce([s.mask for s in hard])).sum()) if hard else 0
        rate = n_errors / n_confident if n_confident else None
        yield Measurement(
            MODE,
            "confident_error_rate",
            rate,
            dataset=data.name,
            message=(
                f"{n_errors} of {n_confident} predictions with confidence ≥ {threshold:g} are "
                f"wrong{where}"
                + (f"; {in_hard} of them fall in significantly worse slices" if hard else "")
                if n_confident
                else f"no prediction reached confidence {threshold:g}{where}"
            ),
            evidence={
                "rows": len(y),
                "confidence_threshold": threshold,
                "confident_predictions": n_confident,
                "confident_errors": n_errors,
                "confident_errors_in_worst_slices": in_hard,
                "confident_errors_by_slice": {
                    s.description: int((errors & s.mask).sum()) for s in shown
                },
                "most_confident_errors": worst,
            },
        )

        top = search.slices[0] if search.slices else None
        yield Measurement(
            MODE,
            "worst_slice_accuracy_gap",
            search.worst_gap,
            dataset=data.name,
            message=(
                f"accuracy {top.accuracy:.1%} on {top.description} ({top.size} rows) against "
                f"{search.overall_accuracy:.1%} overall{where}"
                if top is not None and top.significant
                else f"no slice is significantly less accurate than overall{where}"
            ),
            evidence={
                **search.evidence(),
                "plots": [search.plot(f"Worst slices{where}")],
            },
        )

        calibration = reliability(scored.confidence, correct)
        yield Measurement(
            MODE,
            "calibration_error",
            calibration.ece,
            dataset=data.name,
            message=f"expected calibration error {calibration.ece:.3f}{where}",
            evidence={
                **calibration.evidence(),
                "plots": [calibration.plot(f"Reliability diagram{where}")],
            },
        )
