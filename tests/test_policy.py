"""The release gate: each rule, the merge of flags over the catalog's policy, and the exit code
that a pipeline sees — failing while a high risk is open, passing once it is decided on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from failmodes.assessment.gate import evaluate_gate, merge_policy
from failmodes.catalog import load_catalog
from failmodes.catalog.schema import GatePolicy, RiskLevel, Verdict
from failmodes.cli import app, main
from failmodes.cli import report as report_cmd
from failmodes.errors import EXIT_OK, EXIT_POLICY_FAILED
from failmodes.findings import Finding, Status
from failmodes.profile import load_profile
from failmodes.report.contract import to_json
from failmodes.threatmodel import threat_model
from failmodes.threatmodel.model import ThreatModel
from tests.conftest import EXAMPLES


@pytest.fixture(scope="module", autouse=True)
def _registered() -> None:
    # Until failmodes.cli registers `report` itself.
    if "report" not in {c.name for c in app.registered_commands}:
        report_cmd.register(app)


def copied_profile(tmp_path: Path, decisions: dict[str, Any] | None = None) -> Path:
    """The fraud example, copied, with ``decisions`` added to the ones it has."""
    data = yaml.safe_load((EXAMPLES / "fraud-detection.yaml").read_text(encoding="utf-8"))
    data["decisions"] = {**data.get("decisions", {}), **(decisions or {})}
    path = tmp_path / "profile.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def saved_threat_model(tmp_path: Path, decisions: dict[str, Any] | None = None) -> Path:
    model = threat_model(load_profile(copied_profile(tmp_path, decisions)), load_catalog())
    path = tmp_path / "threat-model.json"
    path.write_text(to_json(model), encoding="utf-8")
    return path


def high_or_worse(path: Path) -> list[str]:
    model = threat_model(load_profile(path), load_catalog())
    return [
        m.id
        for m in model.applicable
        if m.decision is None
        and m.inherent
        and m.inherent.risk in (RiskLevel.HIGH, RiskLevel.CRITICAL)
    ]


def test_gate_fails_while_a_high_risk_is_open_and_passes_once_each_is_decided(
    tmp_path, capsys
) -> None:
    saved = saved_threat_model(tmp_path)
    assert main(["report", str(saved), "-f", "json", "--fail-on", "high"]) == EXIT_POLICY_FAILED
    err = capsys.readouterr().err
    assert "Perturbation attack (perturbation_attack): open critical risk" in err
    # Membership inference is high but already mitigated in the example: not a reason.
    assert "membership_inference" not in err

    open_ids = high_or_worse(copied_profile(tmp_path))
    assert len(open_ids) == 10
    decisions = {
        mode_id: (
            {
                "decision": "mitigate",
                "owner": "ml-sec@example.com",
                "rationale": "Adversarial training and input validation ship in 2.3.",
                "mitigations_in_place": ["adversarial_training", "input_validation"],
            }
            if i % 2 == 0
            else {
                "decision": "accept",
                "owner": "cro@example.com",
                "rationale": "Within the fraud team's loss budget; reviewed quarterly.",
            }
        )
        for i, mode_id in enumerate(open_ids)
    }
    decided = saved_threat_model(tmp_path, decisions)
    assert main(["report", str(decided), "-f", "json", "--fail-on", "high"]) == EXIT_OK
    assert "Policy gate passed." in capsys.readouterr().err


def test_a_decision_without_a_rationale_does_not_count(tmp_path) -> None:
    bad = copied_profile(
        tmp_path,
        {
            "perturbation_attack": {
                "decision": "accept",
                "owner": "cro@example.com",
                "rationale": "",
            }
        },
    )
    with pytest.raises(ValueError, match="rationale"):
        load_profile(bad)


@pytest.fixture(scope="module")
def fraud() -> ThreatModel:
    return threat_model(load_profile(EXAMPLES / "fraud-detection.yaml"), load_catalog())


def with_findings(model: ThreatModel, *findings: Finding) -> ThreatModel:
    modes = [
        m.model_copy(update={"findings": [f for f in findings if f.failure_mode == m.id]})
        for m in model.modes
    ]
    return model.model_copy(update={"modes": modes})


def finding(mode: str, status: Status, value: float = 0.5) -> Finding:
    return Finding(failure_mode=mode, probe="p", metric="m", value=value, status=status)


def test_each_rule_is_off_until_set(fraud: ThreatModel) -> None:
    assert evaluate_gate(fraud, GatePolicy()).passed


@pytest.mark.parametrize(
    ("level", "reasons"),
    [(RiskLevel.CRITICAL, 2), (RiskLevel.HIGH, 10), (RiskLevel.MEDIUM, 10), (RiskLevel.LOW, 10)],
)
def test_fail_on_risk_counts_open_modes_at_or_above_the_level(
    fraud: ThreatModel, level: RiskLevel, reasons: int
) -> None:
    # 10 applicable modes are open (membership inference has a decision); 2 are critical.
    result = evaluate_gate(fraud, GatePolicy(fail_on_risk=level))
    assert not result.passed and len(result.reasons) == reasons


def test_fail_on_findings_by_verdict(fraud: ThreatModel) -> None:
    model = with_findings(
        fraud,
        finding("model_stealing", Status.FAIL, 0.95),
        finding("perturbation_attack", Status.WARN),
        finding("membership_inference", Status.PASS),
    )
    assert evaluate_gate(model, GatePolicy(fail_on_findings=[Verdict.FAIL])).reasons == [
        "model_stealing: p measured m = 0.95 (fail)"
    ]
    assert (
        len(evaluate_gate(model, GatePolicy(fail_on_findings=[Verdict.FAIL, Verdict.WARN])).reasons)
        == 2
    )


def test_fail_on_untested_exempts_modes_measured_or_excluded(fraud: ThreatModel) -> None:
    model = with_findings(fraud, finding("model_stealing", Status.INFO))
    reasons = evaluate_gate(model, GatePolicy(fail_on_untested=True)).reasons
    assert len(reasons) == len(fraud.applicable) - 1 == 10
    assert not any("model_stealing" in r for r in reasons)


def test_fail_on_missing_decision(fraud: ThreatModel) -> None:
    reasons = evaluate_gate(fraud, GatePolicy(fail_on_missing_decision=True)).reasons
    assert len(reasons) == sum(m.needs_decision for m in fraud.modes) == 10
    assert all("has no owner decision" in r for r in reasons)


def test_flags_merge_over_the_catalog_policy() -> None:
    base = GatePolicy(fail_on_risk=RiskLevel.HIGH, fail_on_findings=[Verdict.FAIL])
    assert merge_policy(base) == base
    assert merge_policy(base, fail_on_risk=RiskLevel.CRITICAL).fail_on_risk == RiskLevel.CRITICAL
    assert merge_policy(base, clear_risk=True).fail_on_risk is None
    merged = merge_policy(
        base, fail_on_findings=[Verdict.WARN, Verdict.WARN], fail_on_untested=True
    )
    assert merged.fail_on_findings == [Verdict.WARN] and merged.fail_on_untested
    assert merged.fail_on_risk == RiskLevel.HIGH
