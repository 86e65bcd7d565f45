"""The reinforcement-learning probes in a scan: planned by ``learning: reinforcement``, not
tested without Gymnasium, drawn in the HTML report."""

from __future__ import annotations

import sys

import pytest

from failmodes import load_profile, load_target, profile_from_dict, scan, threat_model
from failmodes.assessment.scan import plan
from failmodes.findings import Status
from failmodes.probes.registry import default_registry
from failmodes.report.html import render_html
from tests.conftest import EXAMPLES

RL_PROBES = {"reward_hacking", "side_effects"}


def planned(facts: dict) -> set[str]:
    model = threat_model(profile_from_dict({"name": "x", **facts}))
    return {p.spec.id for p in plan(model.modes, default_registry(plugins=False))}


def test_learning_reinforcement_plans_the_probes():
    assert planned({"learning": {"paradigm": "reinforcement"}}) >= RL_PROBES
    assert not RL_PROBES & planned(
        {"task": "classification", "training_data": {"from_production_feedback": False}}
    )


@pytest.fixture(scope="module")
def boat():
    profile = load_profile(EXAMPLES / "boat-race-agent.yaml")
    return scan(profile, load_target(profile), probes=sorted(RL_PROBES))


def test_the_boat_race_example_is_flagged_and_drawn(boat):
    findings = {f.metric: f for run in boat.probe_runs for f in run.findings}
    assert findings["proxy_gold_divergence"].status == Status.FAIL
    assert findings["irreversible_state_changes"].status == Status.PASS
    html = render_html(boat)
    assert "Reward and true measure per episode" in html
    assert html.count("<svg") >= 3  # per episode, per step, impact per step


def test_without_gymnasium_both_report_not_tested_needs_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "gymnasium", None)  # import gymnasium now fails
    profile = load_profile(EXAMPLES / "box-room-agent.yaml")
    assessment = scan(profile, load_target(profile), probes=sorted(RL_PROBES))
    for mode_id in ("reward_hacking", "side_effects"):
        mode = next(m for m in assessment.modes if m.id == mode_id)
        assert not mode.tested
        assert "needs failmodes[rl]" in (mode.untested_reason or "")
    assert all(r.status.value == "skipped" for r in assessment.probe_runs)
