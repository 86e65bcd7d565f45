"""The catalog's indicators, read from one window's summaries against the reference's.

Every value becomes a :class:`~failmodes.findings.Finding` — the one result type — whose
verdict comes from the catalog's threshold for that indicator (with overlays), exactly as a
probe's measurement does: measurement, then verdict. Per-window findings name the window in
``dataset``; per-client findings name the window and the client.

=====================  ==========================  ==========================================
failure mode           indicator (metric)          read from
=====================  ==========================  ==========================================
distributional_shift   drifted_feature_share,      the inputs' summaries (:func:`compare`)
                       max_psi
distributional_shift   domain_classifier_auc       the summaries' row samples (classifier
                                                   two-sample test)
distributional_shift   prediction_drift_psi,       the model-output summaries
                       confidence_drift_psi
distributional_shift   production_accuracy_drop    labelled rows: reference accuracy minus
                                                   the window's, as labels arrive
poisoning_attack       feedback_drift_psi          the labels fed back for training against
                                                   the reference's labels
model_stealing         prada_normality             per client (PRADA, Juuti et al. 2019)
perturbation_attack    near_boundary_query_rate,   per client
                       ood_query_rate
membership_inference,  near_duplicate_query_rate   per client, queries answered with full
model_inversion                                    scores
=====================  ==========================  ==========================================
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from failmodes.catalog import Catalog
from failmodes.findings import Finding, Status
from failmodes.monitor import querylog
from failmodes.monitor.drift import compare, domain_classifier_test
from failmodes.monitor.engine import MonitorConfig, WindowSummary
from failmodes.monitor.summaries import Summary

PROBE = "monitor"
#: Fewest rows on each side for the classifier two-sample test to mean anything.
MIN_DOMAIN_ROWS = 50


@dataclass(frozen=True)
class Reading:
    """One indicator value before its verdict."""

    failure_mode: str
    metric: str
    value: float | None
    message: str
    client: str | None = None


def window_findings(
    key: str,
    window: WindowSummary,
    baseline: WindowSummary,
    config: MonitorConfig,
    catalog: Catalog,
) -> list[Finding]:
    """Every indicator of one window, with its verdict."""
    readings = [*_drift(window, baseline, config), *_clients(window, config)]
    return [_finding(key, r, catalog, config.seed) for r in readings]


def _finding(key: str, reading: Reading, catalog: Catalog, seed: int) -> Finding:
    mode = catalog.get(reading.failure_mode)
    threshold = mode.threshold_for(reading.metric)
    if reading.value is None or threshold is None:
        status = Status.INFO
    else:
        status = Status(threshold.verdict(reading.value).value)
    where = f"window {key}" + (f" · client {reading.client}" if reading.client else "")
    evidence: dict[str, str] = {"window": key}
    if reading.client is not None:
        evidence["client"] = reading.client
    return Finding(
        failure_mode=reading.failure_mode,
        probe=PROBE,
        metric=reading.metric,
        dataset=where,
        value=reading.value,
        threshold=threshold,
        status=status,
        severity=mode.severity.default if status == Status.FAIL else None,
        message=reading.message,
        evidence=evidence,
        seed=seed,
    )


def _drift(
    window: WindowSummary, baseline: WindowSummary, config: MonitorConfig
) -> Iterator[Reading]:
    mode = "distributional_shift"
    inputs = window.inputs
    if inputs.count == 0:
        return
    drifts = compare(baseline.inputs, inputs, alpha=config.alpha, numeric_test=config.numeric_test)
    drifted = [d.feature for d in drifts if d.drifted]
    yield Reading(
        mode,
        "drifted_feature_share",
        len(drifted) / len(drifts),
        f"{len(drifted)} of {len(drifts)} features drifted"
        + (f": {', '.join(drifted[:8])}" if drifted else "")
        + f" (Benjamini–Hochberg adjusted p < {config.alpha}).",
    )
    top = max(drifts, key=lambda d: d.psi)
    yield Reading(mode, "max_psi", top.psi, f"Largest PSI {top.psi:.3f}, on {top.feature!r}.")
    rows = min(len(inputs.sample.rows), len(baseline.inputs.sample.rows))
    if config.domain_rows and rows >= MIN_DOMAIN_ROWS:
        test = domain_classifier_test(
            baseline.inputs.sample.rows,
            inputs.sample.rows,
            seed=config.seed,
            max_rows=config.domain_rows,
        )
        yield Reading(
            mode,
            "domain_classifier_auc",
            test.auc,
            f"A classifier tells reference rows from this window's with AUC {test.auc:.3f} "
            f"(p = {test.p_value:.2g}; {test.rows_per_side} rows a side).",
        )
    outputs = {
        config.prediction_column: "prediction_drift_psi",
        config.confidence_column: "confidence_drift_psi",
    }
    yield from _psi(mode, outputs, baseline.outputs, window.outputs)
    if window.labelled and baseline.labelled:
        ref_accuracy = baseline.correct / baseline.labelled
        accuracy = window.correct / window.labelled
        yield Reading(
            mode,
            "production_accuracy_drop",
            ref_accuracy - accuracy,
            f"Accuracy {accuracy:.3f} on the {window.labelled:,} rows whose labels have "
            f"arrived, against {ref_accuracy:.3f} on the reference.",
        )
    yield from _psi(
        "poisoning_attack",
        {config.feedback_column: "feedback_drift_psi"},
        baseline.feedback,
        window.feedback,
    )


def _psi(
    mode: str,
    metrics: dict[str | None, str],
    reference: Summary | None,
    window: Summary | None,
) -> Iterator[Reading]:
    """PSI of each named column of two output summaries."""
    if reference is None or window is None or window.count == 0:
        return
    for drift in compare(reference, window):
        metric = metrics.get(drift.feature)
        if metric is not None:
            yield Reading(
                mode,
                metric,
                drift.psi,
                f"PSI of {drift.feature!r} against the reference: {drift.psi:.3f} "
                f"({drift.test} p = {drift.p_value:.2g}).",
            )


#: Per-client indicators: (failure modes, metric, how to read it, what it means).
CLIENT_INDICATORS: tuple[
    tuple[
        tuple[str, ...], str, Callable[[querylog.ClientSummary, MonitorConfig], float | None], str
    ],
    ...,
] = (
    (
        ("model_stealing",),
        "prada_normality",
        lambda c, _: querylog.prada_w(c),
        "Shapiro–Wilk W of the distances between successive queries (PRADA); low W: "
        "synthetic, extraction-like queries",
    ),
    (
        ("perturbation_attack",),
        "near_boundary_query_rate",
        lambda c, _: querylog.near_boundary_rate(c),
        "share of queries the model answered with low confidence",
    ),
    (
        ("perturbation_attack",),
        "ood_query_rate",
        lambda c, _: querylog.ood_rate(c),
        "share of queries outside the reference data's range or categories",
    ),
    (
        ("membership_inference", "model_inversion"),
        "near_duplicate_query_rate",
        lambda c, config: querylog.near_duplicate_rate(c, config.duplicate_radius),
        "share of fully scored queries that nearly repeat an earlier one",
    ),
)


def _clients(window: WindowSummary, config: MonitorConfig) -> Iterator[Reading]:
    for name, client in window.clients.items():
        if client.count < querylog.MIN_CLIENT_QUERIES:
            continue
        for modes, metric, read, meaning in CLIENT_INDICATORS:
            if metric == "near_boundary_query_rate" and config.confidence_column is None:
                continue  # no confidence in the log: nothing to read
            value = read(client, config)
            shown = "not measured" if value is None else f"{value:.3f}"
            for mode in modes:
                yield Reading(
                    mode,
                    metric,
                    value,
                    f"Client {name} ({client.count:,} queries): {meaning}: {shown}.",
                    client=name,
                )
