"""``failmodes.assessment.diff``: what changed between two assessments, and its regression gate.

The assessments come from real scans with a small probe defined here, so findings carry the
catalog's thresholds and verdicts exactly as built-in probes' do.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from rich.console import Console

from failmodes.assessment import Assessment
from failmodes.assessment.diff import diff, regression_gate
from failmodes.assessment.scan import scan
from failmodes.catalog.schema import Direction
from failmodes.errors import InputError
from failmodes.probes.base import Measurement, Probe, ProbeContext, ProbeSpec
from failmodes.probes.registry import ProbeRegistry
from failmodes.profile import Profile, load_profile
from failmodes.report.diff import diff_renderable, render_diff_markdown
from tests.conftest import EXAMPLES


class Measured(Probe):
    """Reports the values it is given: attack AUC (bad when above), robust accuracy (bad when
    below) and a metric the catalog has no threshold for."""

    spec = ProbeSpec(
        id="measured",
        name="Measured",
        summary="Echoes ctx.options as measurements.",
        failure_modes=("membership_inference", "perturbation_attack"),
    )

    def run(self, ctx: ProbeContext) -> Iterator[Measurement]:
        if ctx.options.get("crash"):
            raise RuntimeError("target went away")
        yield Measurement("membership_inference", "mia_auc", ctx.options["auc"])
        yield Measurement("perturbation_attack", "robust_accuracy", ctx.options["robust"])
        yield Measurement("perturbation_attack", "median_perturbation_size", ctx.options["size"])


REGISTRY = ProbeRegistry([Measured])


@pytest.fixture(scope="module")
def profile() -> Profile:
    return load_profile(EXAMPLES / "fraud-detection.yaml")


def assess(profile: Profile, **options: float) -> Assessment:
    return scan(
        profile, registry=REGISTRY, options={"auc": 0.52, "robust": 0.8, "size": 0.3, **options}
    )


@pytest.fixture(scope="module")
def before(profile: Profile) -> Assessment:
    return assess(profile)


def test_a_regressed_metric_is_flagged_by_the_direction_of_its_threshold(profile, before) -> None:
    after = assess(profile, auc=0.66, robust=0.85, size=0.1)
    changes = diff(before, after)
    by_metric = {m.metric: m for m in changes.metrics}
    assert by_metric["mia_auc"].regressed and by_metric["mia_auc"].direction == Direction.ABOVE
    assert by_metric["mia_auc"].delta == pytest.approx(0.14)
    assert not by_metric["robust_accuracy"].regressed  # higher robust accuracy is better
    assert by_metric["median_perturbation_size"].direction is None  # no threshold: not judged
    assert not by_metric["median_perturbation_size"].regressed
    assert [m.metric for m in changes.regressions] == ["mia_auc"]
    assert [(s.metric, s.old, s.new) for s in changes.newly_failing] == [
        ("mia_auc", "pass", "fail")
    ]
    gate = regression_gate(changes)
    assert not gate.passed
    assert (
        gate.reasons[0]
        == "membership_inference: measured mia_auc regressed from 0.52 to 0.66 (bad when above; tolerance 0)"
    )


def test_a_fall_in_robust_accuracy_is_a_regression_and_raises_the_risk(profile, before) -> None:
    after = assess(profile, robust=0.45)
    changes = diff(before, after)
    assert [m.metric for m in changes.regressions] == ["robust_accuracy"]
    rose = [r for r in changes.risks if r.rose]
    # a pass moved likelihood from 5 down to 4; a fail leaves it at 5 (clamped): 4×5 → 5×5
    assert [(r.id, r.old_score, r.new_score) for r in rose] == [("perturbation_attack", 20, 25)]
    reasons = regression_gate(changes).reasons
    assert (
        "Perturbation attack (perturbation_attack): risk rose from critical (20) to critical (25)"
        in reasons
    )


def test_changes_within_the_tolerance_are_ignored(profile, before) -> None:
    after = assess(profile, auc=0.54, robust=0.79)
    assert diff(before, after, tolerance=0.05).metrics == []
    assert regression_gate(diff(before, after, tolerance=0.05)).passed
    assert sorted(m.metric for m in diff(before, after).regressions) == [
        "mia_auc",
        "robust_accuracy",
    ]
    with pytest.raises(InputError, match="tolerance"):
        diff(before, after, tolerance=-1)


def test_identical_assessments_have_no_change(before) -> None:
    changes = diff(before, before)
    assert not changes.changed and regression_gate(changes).passed


def test_an_erroring_probe_and_lost_coverage_are_regressions(profile, before) -> None:
    after = assess(profile, crash=1)
    changes = diff(before, after)
    assert changes.probes_erroring == ["measured"]
    assert {m.id for m in changes.coverage_lost} == {"membership_inference", "perturbation_attack"}
    reasons = regression_gate(changes).reasons
    assert "probe measured errors now" in reasons
    assert "Membership inference (membership_inference): was measured, is not tested now" in reasons


def test_new_modes_and_decisions_are_shown(profile, before) -> None:
    changed = profile.model_copy(
        update={
            "model": profile.model.model_copy(update={"origin": "third_party_pretrained"}),
            "decisions": {},
        }
    )
    after = assess(changed)
    changes = diff(before, after)
    assert "backdoor" in {m.id for m in changes.added}
    assert [(c.id, c.old, c.new) for c in changes.decisions] == [
        ("membership_inference", "mitigate", None)
    ]
    md = render_diff_markdown(changes, regression_gate(changes))
    assert "- Applies now: Backdoor ML" in md
    assert "| Membership inference | mitigate | none |" in md


def test_renderers_escape_and_agree(profile, before) -> None:
    hostile = profile.model_copy(update={"name": "<b>x</b> | y"})
    after = assess(hostile, auc=0.7)
    changes = diff(before, after)
    gate = regression_gate(changes)
    md = render_diff_markdown(changes, gate)
    assert md.startswith("# Assessment diff: &lt;b&gt;x&lt;/b&gt; \\| y")
    assert "> Note: the old assessment is of Card-not-present fraud scoring" in md
    console = Console(record=True, width=120, file=io.StringIO())
    console.print(diff_renderable(changes, gate))
    text = console.export_text()
    assert f"{len(gate.reasons)} regression(s)." in text and "mia_auc" in text


class PerDataSet(Probe):
    """Reports one confident-error rate per data set it is given, in the order given."""

    spec = ProbeSpec(
        id="per_data_set",
        name="Per data set",
        summary="Echoes ctx.options['sets'] as one measurement per data set.",
        failure_modes=("natural_adversarial_examples",),
    )

    def run(self, ctx: ProbeContext) -> Iterator[Measurement]:
        for name, value in ctx.options["sets"]:
            yield Measurement(
                "natural_adversarial_examples", "confident_error_rate", value, dataset=name
            )


def test_findings_line_up_by_data_set_not_by_position(profile) -> None:
    """Production labels arrive after the first assessment: the new production figure is
    compared with the old production figure, not with whatever came first before."""
    registry = ProbeRegistry([PerDataSet])
    old = scan(profile, registry=registry, options={"sets": [("production", 0.30)]})
    new = scan(profile, registry=registry, options={"sets": [("test", 0.02), ("production", 0.05)]})
    changes = diff(old, new)
    assert [(m.dataset, m.old, m.new) for m in changes.metrics] == [("production", 0.30, 0.05)]
    assert changes.regressions == []
    worse = scan(
        profile, registry=registry, options={"sets": [("test", 0.02), ("production", 0.45)]}
    )
    reasons = regression_gate(diff(new, worse)).reasons
    assert reasons[0].startswith(
        "natural_adversarial_examples: per_data_set confident_error_rate (production) regressed "
        "from 0.05 to 0.45"
    )
