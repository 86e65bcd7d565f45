"""The demo assessment that the renderer tests read, plain and with hostile strings.

The fraud-detection example with findings of the kinds real probes produce — a failed
membership-inference attack with its ROC curve, robust accuracy falling with epsilon,
surrogate fidelity rising with the query budget, drift histograms, accuracy against
corruption severity, worst slices, adversarial examples as images, an unsafe model file and a
vulnerable dependency with their locations — plus probe runs that ran, were skipped and
errored. Built from values, not from a scan, so durations and every number are fixed and the
golden files stay byte-stable.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from failmodes import __version__
from failmodes.assessment import Assessment
from failmodes.catalog import load_catalog
from failmodes.findings import Finding, Location, Plot, Series, Status
from failmodes.probes.base import ProbeRun, RunStatus
from failmodes.profile import load_profile
from failmodes.report.contract import from_json, to_json
from failmodes.threatmodel import threat_model
from failmodes.threatmodel.model import ThreatModel

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "fraud-detection.yaml"
#: A feature name with quotes and markup, as a user's data set may hold.
QUOTED_FEATURE = 'merchant "tier" & <b>bold</b>'
HOSTILE_NAME = "<script>alert(1)</script>"


def _finding(mode: str, probe: str, metric: str, value: float, **extra: Any) -> Finding:
    threshold = load_catalog().get(mode).threshold_for(metric)
    status = Status.INFO if threshold is None else Status(threshold.verdict(value).value)
    severity = load_catalog().get(mode).severity.default if status == Status.FAIL else None
    return Finding(
        failure_mode=mode,
        probe=probe,
        metric=metric,
        value=value,
        threshold=threshold,
        status=status,
        severity=severity,
        seed=0,
        duration_s=1.5,
        queries=extra.pop("queries", 0),
        **extra,
    )


def _roc() -> Plot:
    fpr = [10 ** (-5 + 5 * i / 20) for i in range(21)]
    return Plot(
        kind="roc",
        title="Membership-inference ROC",
        xlabel="False-positive rate",
        ylabel="True-positive rate",
        xscale="log",
        yscale="log",
        series=[
            Series(label="loss threshold", x=fpr, y=[min(1.0, f**0.8) for f in fpr]),
            Series(label="LiRA", x=fpr, y=[min(1.0, 3 * f**0.6) for f in fpr]),
        ],
        reference_line=0.001,
    )


def _robustness() -> Plot:
    eps = [0.0, 0.05, 0.1, 0.2, 0.3, 0.5]
    return Plot(
        kind="line",
        title="Robust accuracy against epsilon",
        xlabel="epsilon (L-inf)",
        ylabel="accuracy",
        series=[
            Series(label="PGD", x=eps, y=[0.95, 0.81, 0.62, 0.38, 0.21, 0.08]),
            Series(label="FGSM", x=eps, y=[0.95, 0.86, 0.74, 0.52, 0.37, 0.2]),
        ],
        reference_line=0.5,
    )


def _adversarial_images() -> Plot:
    clean = [[[(r + c) % 2 * 0.9, 0.2, r / 7] for c in range(8)] for r in range(8)]
    noisy = [
        [[min(1.0, px + 0.1 * ((r * c) % 3)) for px in row[c]] for c in range(8)]
        for r, row in enumerate(clean)
    ]
    return Plot(
        kind="images",
        title="Adversarial examples",
        images=[clean, noisy],
        captions=["original: legit", "perturbed: fraud"],
    )


def _fidelity() -> Plot:
    budget = [100.0, 300.0, 1000.0, 3000.0, 10000.0]
    return Plot(
        kind="line",
        title="Surrogate fidelity against query budget",
        xlabel="queries",
        ylabel="agreement with the target",
        xscale="log",
        series=[Series(label="decision tree surrogate", x=budget, y=[0.71, 0.82, 0.9, 0.94, 0.96])],
        reference_line=0.9,
    )


def _histogram(feature: str, shift: float) -> Plot:
    edges = [i * 0.5 for i in range(11)]
    ref = [round(100 * math.exp(-((i - 4) ** 2) / 6)) for i in range(10)]
    prod = [round(100 * math.exp(-((i - 4 - shift) ** 2) / 6)) for i in range(10)]
    return Plot(
        kind="histogram",
        title=f"Drift of {feature}",
        xlabel=feature,
        ylabel="records",
        series=[
            Series(label="reference", x=edges, y=ref),
            Series(label="production", x=edges, y=prod),
        ],
    )


def _severity() -> Plot:
    levels = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    return Plot(
        kind="line",
        title="Accuracy against corruption severity",
        xlabel="severity",
        ylabel="accuracy",
        series=[
            Series(label="gaussian noise", x=levels, y=[0.95, 0.93, 0.88, 0.8, 0.7, 0.61]),
            Series(label="missing values", x=levels, y=[0.95, 0.94, 0.92, 0.9, 0.86, 0.83]),
            Series(label="scaling", x=levels, y=[0.95, 0.95, 0.94, 0.9, 0.84, 0.77]),
        ],
    )


def _slices(feature: str) -> Plot:
    return Plot(
        kind="bar",
        title="Worst slices",
        xlabel="accuracy",
        categories=[f"{feature} = premium", "country = NZ", "amount > 5000", "all data"],
        series=[Series(label="accuracy", y=[0.78, 0.83, 0.86, 0.93])],
        reference_line=0.83,
    )


def demo_findings(feature: str = "amount") -> list[Finding]:
    return [
        _finding(
            "membership_inference",
            "membership_inference",
            "mia_auc",
            0.64,
            evidence={"plots": [_roc().model_dump()]},
            message="The LiRA attack separates members from non-members.",
            queries=4000,
        ),
        _finding(
            "membership_inference",
            "membership_inference",
            "mia_tpr_at_0_1pct_fpr",
            0.031,
            queries=4000,
        ),
        _finding(
            "perturbation_attack",
            "perturbation_attack",
            "robust_accuracy",
            0.38,
            evidence={"plots": [_robustness().model_dump(), _adversarial_images().model_dump()]},
            message="Robust accuracy at epsilon 0.2.",
            queries=12000,
        ),
        _finding(
            "perturbation_attack", "perturbation_attack", "attack_success_rate", 0.44, queries=12000
        ),
        _finding(
            "model_stealing",
            "model_stealing",
            "surrogate_fidelity",
            0.96,
            evidence={"plots": [_fidelity().model_dump()]},
            queries=10000,
        ),
        _finding(
            "distributional_shift",
            "distributional_shift",
            "max_psi",
            0.31,
            evidence={
                "plots": [
                    _histogram("amount", 1.5).model_dump(),
                    _histogram(feature, 2.5).model_dump(),
                ]
            },
            message=f"Most drifted feature: {feature}.",
        ),
        _finding("distributional_shift", "distributional_shift", "drifted_feature_share", 0.05),
        _finding(
            "common_corruption",
            "common_corruption",
            "corruption_accuracy_drop",
            0.12,
            evidence={"plots": [_severity().model_dump()]},
        ),
        _finding(
            "natural_adversarial_examples",
            "natural_adversarial_examples",
            "worst_slice_accuracy_gap",
            0.15,
            dataset="test",
            evidence={"plots": [_slices(feature).model_dump()]},
        ),
        _finding(
            "natural_adversarial_examples",
            "natural_adversarial_examples",
            "calibration_error",
            0.041,
            dataset="test",
        ),
        _finding(
            "natural_adversarial_examples",
            "natural_adversarial_examples",
            "calibration_error",
            0.093,
            dataset="production",
        ),
        _finding(
            "supply_chain_attack",
            "model_file_scan",
            "unsafe_artifact_count",
            1.0,
            message="posix.system is called when the model file is loaded.",
            location=Location(path="examples/fraud-model.joblib", member="data.pkl", offset=1234),
        ),
        _finding(
            "software_dependency_exploit",
            "dependency_audit",
            "known_vulnerable_packages",
            0.0,
            location=Location(path="examples/fraud-requirements.txt", line=3),
        ),
    ]


def _runs(findings: list[Finding]) -> list[ProbeRun]:
    runs = []
    for probe in dict.fromkeys(f.probe for f in findings):
        mine = [f for f in findings if f.probe == probe]
        runs.append(
            ProbeRun(
                probe=probe,
                failure_modes=sorted({f.failure_mode for f in mine}),
                status=RunStatus.RAN,
                findings=mine,
                seed=0,
                duration_s=1.5,
                queries=mine[0].queries,
            )
        )
    runs.append(
        ProbeRun(
            probe="poisoning_attack",
            failure_modes=["poisoning_attack"],
            status=RunStatus.SKIPPED,
            reason="the target (sklearn model) does not offer train.",
            seed=0,
        )
    )
    runs.append(
        ProbeRun(
            probe="model_inversion",
            failure_modes=["model_inversion"],
            status=RunStatus.ERROR,
            reason="ValueError: no sensitive attribute",
            seed=0,
            duration_s=0.25,
        )
    )
    return runs


def _showing(finding: Finding, feature: str) -> Finding:
    plots = [p for p in finding.evidence.get("plots", []) if feature in repr(p)]
    return finding.model_copy(update={"evidence": {**finding.evidence, "plots": plots}})


def build_assessment(*, name: str | None = None, feature: str = "amount") -> Assessment:
    """The demo assessment; ``name`` and ``feature`` inject strings for escaping tests (and
    then only the plots that show the feature are kept)."""
    profile = load_profile(EXAMPLE)
    if name is not None:
        profile = profile.model_copy(update={"name": name, "owner": f'{name} "owner"'})
    findings = demo_findings(feature)
    if feature != "amount":
        findings = [_showing(f, feature) for f in findings]
    tm = threat_model(profile, load_catalog(), findings=findings)
    runs = _runs(findings)
    reasons = {
        "poisoning_attack": "poisoning_attack skipped: the target does not offer train.",
        "model_inversion": "model_inversion error: ValueError: no sensitive attribute",
    }
    modes = [
        m
        if m.tested or not m.applicable
        else m.model_copy(
            update={"untested_reason": reasons.get(m.id, "no probe is built for it yet")}
        )
        for m in tm.modes
    ]
    return Assessment(
        **{**dict(tm), "modes": modes, "profile_path": "examples/fraud-detection.yaml"},
        probe_runs=runs,
        seed=0,
        target="sklearn HistGradientBoostingClassifier (fraud-model.joblib)",
    )


GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("FAILMODES_UPDATE_GOLDEN", "") == "1"


def _versionless(text: str) -> str:
    """Every output names the tool's version; golden files hold a placeholder instead."""
    return text.replace(f'"version": "{__version__}"', '"version": "VERSION"').replace(
        f"failmodes {__version__}", "failmodes VERSION"
    )


@pytest.fixture(scope="session")
def versionless() -> Callable[[str], str]:
    return _versionless


@pytest.fixture(scope="session")
def demo() -> Assessment:
    """Built now, from the current catalog."""
    return build_assessment()


@pytest.fixture(scope="session")
def frozen() -> ThreatModel:
    """The demo as frozen in ``golden/assessment.json`` (rewritten when updating goldens), so
    that catalog changes do not move the renderers' golden files."""
    path = GOLDEN / "assessment.json"
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(_versionless(to_json(build_assessment())), encoding="utf-8")
    return from_json(path.read_text(encoding="utf-8"), source=str(path))


@pytest.fixture(scope="session")
def frozen_html(frozen: ThreatModel) -> str:
    from failmodes.report.html import render_html

    return render_html(frozen)


@pytest.fixture(scope="session")
def hostile() -> Assessment:
    """A system named ``<script>alert(1)</script>`` and a feature name with quotes and markup;
    only the plots that show the feature are kept, to keep the test quick."""
    return build_assessment(name=HOSTILE_NAME, feature=QUOTED_FEATURE)


@pytest.fixture(scope="session")
def hostile_html(hostile: Assessment) -> str:
    from failmodes.report.html import render_html

    return render_html(hostile)
