"""Backdoor scan: is there a class that a small input pattern sends every input to?

Four detectors from the literature, each reading what the target offers
(:mod:`failmodes.backdoors`):

``neural_cleanse``
    Trigger reverse-engineering with the MAD anomaly index (Wang et al., IEEE S&P 2019): per
    class, the smallest mask-and-pattern that sends clean held-out inputs to it; a class whose
    trigger is far smaller than the others' is backdoored. Needs gradients (a PyTorch target).
    This names the *suspicious class*: ``trigger_anomaly_index`` above 2 fails.
``spectral_signatures``
    Outlier scores along each class's top singular direction of the embeddings of the
    training data (Tran, Li and Madry, NeurIPS 2018).
``activation_clustering``
    Each class's training embeddings split in two by k-means after PCA to ten dimensions
    (Chen et al. 2018); a small, well-separated cluster is a candidate set of poisoned samples.
``strip``
    Training inputs superimposed on clean held-out images (Gao et al., ACSAC 2019): those
    whose predictions keep a low entropy under blending carry something that overrides the
    content. The share flagged at a 1 % false-rejection boundary is ``low_entropy_input_rate``.

The *suspected poisoned training samples* of a suspicious class are those that at least two of
the last three detectors flag (the spectral signature flagging as many as the clustering's
minority holds). The recovered trigger — mask, and pattern under it — is an image in the
evidence. Options: ``max_records`` (2000) training rows scanned; ``overlays`` (16) blends per
input for STRIP; ``cleanse_inputs`` (100) and ``cleanse_steps`` (200) for Neural Cleanse per
class.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from failmodes.findings import Plot, Series
from failmodes.probes.base import Measurement, Need, Probe, ProbeContext, ProbeSpec
from failmodes.probes.scoring import labelled
from failmodes.targets.base import Capability
from failmodes.targets.datasets import select_rows
from failmodes.targets.torch_model import as_torch_target

if TYPE_CHECKING:
    from failmodes.backdoors.neural_cleanse import ReversedTrigger
    from failmodes.targets.torch_model import TorchTarget

MODE = "backdoor"
DEFAULT_MAX_RECORDS = 2000
DEFAULT_OVERLAYS = 16
DEFAULT_CLEANSE_INPUTS = 100
DEFAULT_CLEANSE_STEPS = 200
#: Clean inputs STRIP fits its boundary on.
STRIP_CLEAN_INPUTS = 300
STRIP_FALSE_REJECTION = 0.01


class BackdoorProbe(Probe):
    """Neural Cleanse (Wang et al. 2019), spectral signatures (Tran et al. 2018), activation
    clustering (Chen et al. 2018) and STRIP (Gao et al. 2019) on the training data and model.

    Differs from the papers: PCA instead of ICA before clustering; Neural Cleanse with a fixed
    number of steps per class; a class statistic only from Neural Cleanse (see
    :mod:`failmodes.backdoors`)."""

    spec = ProbeSpec(
        id="backdoor",
        name="Backdoor scan",
        summary="Reverse-engineers a minimal trigger per class (Neural Cleanse anomaly index), "
        "and flags poisoned training samples by spectral signatures, activation clustering "
        "and STRIP.",
        failure_modes=(MODE,),
        needs=frozenset({Need.SCORES, Need.EMBEDDINGS, Need.TRAIN_DATA, Need.TEST_DATA}),
        tags=frozenset({"integrity", "white_box", "supply_chain"}),
        references=(
            "Wang, Yao, Shan, Li, Viswanath, Zheng, Zhao. Neural Cleanse: Identifying and "
            "Mitigating Backdoor Attacks in Neural Networks. IEEE S&P 2019",
            "Tran, Li, Madry. Spectral Signatures in Backdoor Attacks. NeurIPS 2018",
            "Chen, Carvalho, Baracaldo, Ludwig, Edwards, Lee, Molloy, Srivastava. Detecting "
            "Backdoor Attacks on Deep Neural Networks by Activation Clustering. 2018",
            "Gao, Xu, Wang, Chen, Ranasinghe, Nepal. STRIP: A Defence Against Trojan Attacks "
            "on Deep Neural Networks. ACSAC 2019",
            "Gu, Dolan-Gavitt, Garg. BadNets: Identifying Vulnerabilities in the Machine "
            "Learning Model Supply Chain. 2017",
        ),
    )

    def run(self, ctx: ProbeContext) -> Iterator[Measurement]:
        from failmodes.backdoors.clustering import activation_clusters
        from failmodes.backdoors.spectral import spectral_signatures
        from failmodes.backdoors.strip import strip_boundary, strip_entropy

        target = ctx.target
        assert target is not None  # a declared need
        rng = ctx.rng
        (X_train, y_train), (X_test, _) = labelled(ctx, "train"), labelled(ctx, "test")
        picked = _sample(
            len(y_train), int(ctx.options.get("max_records", DEFAULT_MAX_RECORDS)), rng
        )
        X = np.asarray(select_rows(X_train, picked), dtype=np.float32)
        y = np.asarray(y_train)[picked]
        clean = np.asarray(X_test, dtype=np.float32)
        value_range = getattr(target, "value_range", (float(np.min(clean)), float(np.max(clean))))

        embeddings = target.embed(X)
        spectra = {s.label: s for s in spectral_signatures(embeddings, _codes(y))}
        clusters = {c.label: c for c in activation_clusters(embeddings, _codes(y), seed=ctx.seed)}

        k = int(ctx.options.get("overlays", DEFAULT_OVERLAYS))
        overlays = clean[rng.choice(len(clean), min(k, len(clean)), replace=False)]
        reference = clean[_sample(len(clean), STRIP_CLEAN_INPUTS, rng)]
        boundary = strip_boundary(
            strip_entropy(target.predict_proba, reference, overlays, value_range=value_range),
            STRIP_FALSE_REJECTION,
        )
        entropy = strip_entropy(target.predict_proba, X, overlays, value_range=value_range)
        flagged = entropy < boundary.threshold

        labels = np.unique(y)
        suspects: dict[str, list[int]] = {}
        if Capability.GRADIENTS in target.capabilities:
            cleanse = yield from _neural_cleanse(
                ctx, as_torch_target(target, self.spec.id), clean, labels, value_range
            )
            for code in cleanse:
                rows = _vote(code, spectra, clusters, flagged, _codes(y))
                suspects[str(labels[code])] = np.sort(picked[rows]).tolist()
            if suspects:
                yield _suspects_measurement(suspects, len(y_train))

        yield _strip_measurement(flagged, y, labels, boundary)
        yield from _cluster_measurements(spectra, clusters, labels)


def _sample(n: int, most: int, rng: np.random.Generator) -> np.ndarray:
    return np.sort(rng.choice(n, most, replace=False)) if n > most else np.arange(n)


def _codes(y: np.ndarray) -> np.ndarray:
    """Labels as 0 … k−1 in sorted order, so detectors and evidence share one numbering."""
    return np.unique(y, return_inverse=True)[1]


def _neural_cleanse(
    ctx: ProbeContext,
    target: TorchTarget,
    clean: np.ndarray,
    labels: np.ndarray,
    value_range: tuple[float, float],
) -> Generator[Measurement, None, list[int]]:
    """Yield the anomaly-index measurement; return the codes of the suspicious classes."""
    from failmodes.backdoors.neural_cleanse import reverse_engineer_trigger
    from failmodes.backdoors.robust import ANOMALY_CUTOFF, anomaly_index
    from failmodes.training.classifier import frozen

    n = int(ctx.options.get("cleanse_inputs", DEFAULT_CLEANSE_INPUTS))
    steps = int(ctx.options.get("cleanse_steps", DEFAULT_CLEANSE_STEPS))
    inputs = target.to_tensor(clean[_sample(len(clean), n, ctx.rng)])
    classes = list(np.asarray(target.classes).tolist())
    triggers: list[ReversedTrigger] = []
    with frozen(target.module):
        for label in ctx.progress(labels, len(labels), "reverse-engineering triggers"):
            column = classes.index(label.item() if hasattr(label, "item") else label)
            triggers.append(
                reverse_engineer_trigger(
                    target.logits,
                    inputs,
                    column,
                    value_range=value_range,
                    steps=steps,
                    seed=ctx.seed,
                )
            )
    l1 = np.array([t.l1 for t in triggers])
    index = anomaly_index(l1, low_is_suspicious=True)
    worst = int(np.argmax(index))
    suspicious = [int(i) for i in np.flatnonzero(index > ANOMALY_CUTOFF)]
    named = ", ".join(str(labels[i]) for i in suspicious)
    yield Measurement(
        MODE,
        "trigger_anomaly_index",
        float(index[worst]),
        message=(
            f"Class {named} needs a far smaller trigger than the others (anomaly index "
            f"{index[worst]:.2f}; mask L1 {l1[worst]:.1f} against a median of "
            f"{np.median(l1):.1f}): a backdoor sends inputs there."
            if suspicious
            else f"No class stands out: the largest anomaly index is {index[worst]:.2f} "
            f"(class {labels[worst]}), below {ANOMALY_CUTOFF}."
        ),
        evidence={
            "suspicious_classes": [str(labels[i]) for i in suspicious],
            "mask_l1": {str(lab): float(v) for lab, v in zip(labels, l1, strict=True)},
            "anomaly_index": {str(lab): float(v) for lab, v in zip(labels, index, strict=True)},
            "trigger_success": {
                str(lab): t.success for lab, t in zip(labels, triggers, strict=True)
            },
            "inputs": len(inputs),
            "steps_per_class": steps,
            "plots": [_l1_plot(labels, l1), _trigger_plot(triggers[worst], labels[worst])],
        },
    )
    return suspicious


def _vote(
    code: int,
    spectra: dict[int, Any],
    clusters: dict[int, Any],
    flagged: np.ndarray,
    codes: np.ndarray,
) -> np.ndarray:
    """Rows of class ``code`` that at least two of spectral signatures, activation clustering
    and STRIP flag."""
    rows = np.flatnonzero(codes == code)
    votes = flagged[rows].astype(int)
    cluster = clusters.get(code)
    if cluster is not None:
        votes += np.isin(rows, cluster.minority_rows)
        spectrum = spectra.get(code)
        if spectrum is not None:
            votes += np.isin(rows, spectrum.suspects(cluster.relative_size))
    return np.asarray(rows[votes >= 2])


def _suspects_measurement(suspects: dict[str, list[int]], n_train: int) -> Measurement:
    total = sum(len(v) for v in suspects.values())
    return Measurement(
        MODE,
        "suspected_poisoned_samples",
        float(total),
        message=f"{total} training rows of class {', '.join(suspects)} are flagged by at least "
        "two of spectral signatures, activation clustering and STRIP.",
        evidence={"rows": suspects, "training_rows": n_train},
    )


def _strip_measurement(
    flagged: np.ndarray, y: np.ndarray, labels: np.ndarray, boundary: Any
) -> Measurement:
    per_class = {str(lab): int(np.sum(flagged & (y == lab))) for lab in labels}
    return Measurement(
        MODE,
        "low_entropy_input_rate",
        float(flagged.mean()),
        message=f"{flagged.mean():.1%} of {len(flagged)} training inputs keep their prediction "
        f"under blending (STRIP), against {boundary.false_rejection_rate:.0%} expected of "
        "clean inputs.",
        dataset="train",
        evidence={
            "flagged_per_class": per_class,
            "entropy_threshold_bits": boundary.threshold,
            "clean_entropy_mean_bits": boundary.clean_mean,
            "false_rejection_rate": boundary.false_rejection_rate,
        },
    )


def _cluster_measurements(
    spectra: dict[int, Any], clusters: dict[int, Any], labels: np.ndarray
) -> Iterator[Measurement]:
    if clusters:
        smallest = min(clusters.values(), key=lambda c: c.relative_size)
        yield Measurement(
            MODE,
            "activation_cluster_imbalance",
            smallest.relative_size,
            message=f"Smallest activation cluster: {smallest.relative_size:.1%} of class "
            f"{labels[smallest.label]} (silhouette {smallest.silhouette:.2f}).",
            evidence={
                "relative_size": {str(labels[c]): v.relative_size for c, v in clusters.items()},
                "silhouette": {str(labels[c]): v.silhouette for c, v in clusters.items()},
            },
        )
    if spectra:
        tails = {str(labels[c]): s.tail_ratio for c, s in spectra.items()}
        heaviest = max(tails, key=lambda k: tails[k])
        yield Measurement(
            MODE,
            "spectral_signature_score",
            tails[heaviest],
            message=f"Heaviest spectral tail: class {heaviest}, whose top 5 % of outlier scores "
            f"average {tails[heaviest]:.1f}× the class mean.",
            evidence={"tail_ratio": tails},
        )


def _l1_plot(labels: np.ndarray, l1: np.ndarray) -> dict[str, Any]:
    return Plot(
        kind="bar",
        title="Smallest trigger per class (Neural Cleanse)",
        xlabel="class",
        ylabel="mask L1 norm",
        categories=[str(lab) for lab in labels],
        series=[Series(label="mask L1", y=[float(v) for v in l1])],
        alt="L1 norm of the smallest reverse-engineered trigger mask for each class; a class "
        "far below the others is backdoored.",
    ).model_dump()


def _trigger_plot(trigger: ReversedTrigger, label: Any) -> dict[str, Any]:
    pattern = trigger.pattern
    image = pattern[0] if pattern.shape[0] == 1 else np.moveaxis(pattern, 0, -1)
    under = image * (trigger.mask if image.ndim == 2 else trigger.mask[..., None])
    lo, hi = float(under.min()), float(under.max())
    scaled = (under - lo) / (hi - lo) if hi > lo else under
    return Plot(
        kind="images",
        title=f"Recovered trigger for class {label}",
        images=[trigger.mask.tolist(), scaled.tolist()],
        captions=["mask", "pattern under the mask"],
        alt=f"The mask and pattern that send clean inputs to class {label}.",
    ).model_dump()
