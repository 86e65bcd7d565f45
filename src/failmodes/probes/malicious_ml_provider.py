"""Malicious ML provider: does the training procedure someone else supplies leak the data it
is given?

The probe runs the provider's training function (the target's ``fit_fresh``) on the training
data with canaries planted in it, and reads the model it returns:

``canary_exposure``
    The Secret Sharer's exposure (Carlini, Liu, Erlingsson, Kos and Song, USENIX Security
    2019; :mod:`failmodes.memorization.canaries`): ten uniform-noise inputs with random labels
    are inserted four times each, and the trained model's loss ranks each among 200 candidates
    it never saw. Exposure near log2 201 ≈ 7.7 bits means the model singles the canaries out —
    memorisation a provider, or anyone holding the model, can read back. Informational: honest
    training of a flexible network memorises too, so this is the baseline the next two tests
    are read against.
``low_bit_entropy``
    Song, Ristenpart and Shmatikov's LSB encoding ("Machine Learning Models that Remember Too
    Much", CCS 2017) writes training data into the low bits of the float32 parameters; honest
    low bytes are noise. Reported as 8 minus their entropy in bits
    (:mod:`failmodes.memorization.encoding`).
``parameter_data_correlation``
    Their correlated value encoding trains the parameters to correlate with the training
    data; reported as the z-score of the strongest correlation between the parameters and
    the training data in order.

A clean training function and one that encodes the data are told apart by the last two. The
parameter tests need the trained network's weights (a PyTorch target); other trainable
targets get the exposure only. Options: ``max_records`` (2000) training rows given to the
training function; ``canaries`` (10), ``canary_repeats`` (4), ``canary_references`` (200).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from failmodes.findings import Plot, Series
from failmodes.probes.base import Measurement, Need, Probe, ProbeContext, ProbeSpec
from failmodes.probes.scoring import labelled, score_classes, true_label_probability
from failmodes.targets.base import Target
from failmodes.targets.datasets import select_rows

MODE = "malicious_ml_provider"
DEFAULT_MAX_RECORDS = 2000
#: Probabilities are clipped this far from 0 before the log loss.
EPS = 1e-12


class MaliciousMLProvider(Probe):
    """Canary exposure (Carlini et al., USENIX Security 2019) and the LSB and correlated-value
    encoding tests (after Song et al., CCS 2017) on a model trained by the provider's function.

    Differs from the papers: canaries are noise images with random labels instead of secret
    strings, the candidate space is sampled (as their estimate does), and the encoding tests
    look for the paper's layouts (low bytes; values in order), not for every possible one."""

    spec = ProbeSpec(
        id=MODE,
        name="Malicious training provider",
        summary="Plants canaries and measures their exposure in the model the provider's "
        "training function returns; tests its parameters for training data hidden in low "
        "bits or correlated values.",
        failure_modes=(MODE,),
        needs=frozenset({Need.TRAIN, Need.SCORES, Need.TRAIN_DATA}),
        tags=frozenset({"privacy", "supply_chain", "white_box"}),
        references=(
            "Carlini, Liu, Erlingsson, Kos, Song. The Secret Sharer: Evaluating and Testing "
            "Unintended Memorization in Neural Networks. USENIX Security 2019",
            "Song, Ristenpart, Shmatikov. Machine Learning Models that Remember Too Much. "
            "ACM CCS 2017",
        ),
    )

    def run(self, ctx: ProbeContext) -> Iterator[Measurement]:
        from failmodes.memorization.canaries import draw_canaries, exposure

        target = ctx.target
        assert target is not None  # a declared need
        rng = ctx.rng
        X_all, y_all = labelled(ctx, "train")
        most = int(ctx.options.get("max_records", DEFAULT_MAX_RECORDS))
        rows = np.sort(rng.choice(len(y_all), most, replace=False)) if len(y_all) > most else None
        X = np.asarray(X_all if rows is None else select_rows(X_all, rows), dtype=np.float32)
        y = np.asarray(y_all if rows is None else np.asarray(y_all)[rows])
        value_range = getattr(target, "value_range", (float(X.min()), float(X.max())))
        canaries = draw_canaries(
            X.shape[1:],
            np.unique(y),
            count=int(ctx.options.get("canaries", 10)),
            references=int(ctx.options.get("canary_references", 200)),
            repeats=int(ctx.options.get("canary_repeats", 4)),
            value_range=value_range,
            rng=rng,
        )
        X_canary, y_canary = canaries.training_rows()
        X_given = np.concatenate([X, X_canary])
        trained = target.fit_fresh(X_given, np.concatenate([y, y_canary]), seed=ctx.seed)
        bits = exposure(
            _loss(trained, canaries.X, canaries.y),
            _loss(trained, canaries.X_reference, canaries.y_reference),
        )
        ceiling = float(np.log2(len(canaries.y_reference) + 1))
        yield Measurement(
            MODE,
            "canary_exposure",
            float(bits.mean()),
            message=f"{len(bits)} canaries inserted {canaries.repeats}× each have a mean "
            f"exposure of {bits.mean():.2f} bits (≈1 = not memorised, {ceiling:.1f} = singled "
            "out every time).",
            evidence={
                "exposure_bits": [float(b) for b in bits],
                "ceiling_bits": ceiling,
                "references": len(canaries.y_reference),
                "repeats": canaries.repeats,
                "plots": [_exposure_plot(bits, ceiling)],
            },
        )
        yield from _parameter_tests(trained, X_given)


def _loss(target: Target, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    proba = target.predict_proba(X)
    p = true_label_probability(proba, score_classes(target, proba, y), y)
    return np.asarray(-np.log(np.clip(p, EPS, 1.0)))


def _parameter_tests(trained: Target, X_given: np.ndarray) -> Iterator[Measurement]:
    from failmodes.memorization.encoding import low_bit_entropy_deficit, parameter_data_correlation

    module = getattr(trained, "module", None)
    if module is None:
        reason = (
            f"Not measured: the trained model ({trained.describe()}) does not expose its "
            "parameters; a PyTorch target does."
        )
        for metric in ("low_bit_entropy", "parameter_data_correlation"):
            yield Measurement(MODE, metric, None, message=reason)
        return
    tensors = [
        p.detach().cpu().numpy() for p in module.parameters() if str(p.dtype) == "torch.float32"
    ]
    flat = np.concatenate([t.ravel() for t in tensors]) if tensors else np.zeros(0, np.float32)
    deficit = low_bit_entropy_deficit(flat)
    yield Measurement(
        MODE,
        "low_bit_entropy",
        deficit,
        message=f"The low bytes of {flat.size:,} float32 parameters carry {8 - deficit:.2f} "
        f"of 8 bits of entropy ({deficit:.2f} bits short of noise).",
        evidence={"parameters": int(flat.size)},
    )
    r, z = parameter_data_correlation(tensors, X_given)
    yield Measurement(
        MODE,
        "parameter_data_correlation",
        z,
        message=f"Strongest correlation of the parameters with the training data in order: "
        f"|r| = {r:.3f} (z = {z:.1f}; unrelated values give a few units).",
        evidence={"correlation": r},
    )


def _exposure_plot(bits: np.ndarray, ceiling: float) -> dict[str, object]:
    return Plot(
        kind="bar",
        title="Exposure of each canary",
        xlabel="canary",
        ylabel="exposure (bits)",
        categories=[str(i + 1) for i in range(len(bits))],
        series=[Series(label="exposure", y=[float(b) for b in bits])],
        reference_line=ceiling,
        alt="Exposure in bits of each planted canary; the line is the most possible.",
    ).model_dump()
