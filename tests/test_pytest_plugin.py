"""The pytest plugin, run the way a team would: its own test suite, its own configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from failmodes.assessment import Assessment
from failmodes.catalog import load_catalog
from failmodes.findings import Finding, Status
from failmodes.profile import load_profile
from failmodes.report.contract import to_json
from failmodes.threatmodel import threat_model
from tests.conftest import EXAMPLES

pytest_plugins = ["pytester"]
#: Load the plugin by module (autoloading of entry points is off in these runs).
PLUGIN = ("-p", "failmodes.pytest_plugin", "--strict-markers")


@pytest.fixture(scope="module")
def assessment_json() -> str:
    catalog = load_catalog()
    mode = catalog.get("membership_inference")
    findings = [
        Finding(
            failure_mode="membership_inference",
            probe="membership_inference",
            metric="mia_auc",
            value=0.58,
            threshold=mode.threshold_for("mia_auc"),
            status=Status.WARN,
        ),
        Finding(
            failure_mode="membership_inference",
            probe="membership_inference",
            metric="generalization_gap",
            value=0.02,
            threshold=mode.threshold_for("generalization_gap"),
            status=Status.PASS,
        ),
    ]
    model = threat_model(
        load_profile(EXAMPLES / "fraud-detection.yaml"), catalog, findings=findings
    )
    return to_json(Assessment(**dict(model), probe_runs=[], seed=0))


@pytest.fixture
def project(
    pytester: pytest.Pytester, assessment_json: str, monkeypatch: pytest.MonkeyPatch
) -> pytest.Pytester:
    # Only this plugin: other installed plugins (hypothesis …) would slow every inner run.
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    (pytester.path / "out").mkdir()
    (pytester.path / "out" / "assessment.json").write_text(assessment_json, encoding="utf-8")
    (pytester.path / "profile.yaml").write_text(
        (EXAMPLES / "fraud-detection.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    return pytester


def test_fixture_from_the_ini_option_and_the_helpers(project: pytest.Pytester) -> None:
    project.makeini("[pytest]\nfailmodes_assessment = out/assessment.json\n")
    project.makepyfile(
        """
        from failmodes.assessment import Assessment
        from failmodes.pytest_plugin import assert_gate_passes, assert_metric, assert_mode_not_above

        SEEN = []

        def test_loads_the_assessment_once(failmodes_assessment):
            assert isinstance(failmodes_assessment, Assessment)
            SEEN.append(failmodes_assessment)

        def test_metric_within_limit(failmodes_assessment):
            SEEN.append(failmodes_assessment)
            assert SEEN[0] is SEEN[1]
            assert_metric(failmodes_assessment, "membership_inference.mia_auc", "<", 0.6)
            assert_metric(failmodes_assessment, "generalization_gap", "<=", 0.05)

        def test_metric_beyond_limit(failmodes_assessment):
            assert_metric(failmodes_assessment, "mia_auc", "<=", 0.55)

        def test_metric_never_measured(failmodes_assessment):
            assert_metric(failmodes_assessment, "surrogate_fidelity", "<", 0.9)

        def test_mode_above_level(failmodes_assessment):
            assert_mode_not_above(failmodes_assessment, "model_stealing", "medium")

        def test_decided_mode_within_level(failmodes_assessment):
            assert_mode_not_above(failmodes_assessment, "membership_inference", "high")

        def test_gate(failmodes_assessment):
            assert_gate_passes(failmodes_assessment, {"fail_on_risk": "critical"})
        """
    )
    result = project.runpytest(*PLUGIN)
    result.assert_outcomes(passed=3, failed=4)
    result.stdout.fnmatch_lines(
        [
            "*AssertionError: membership_inference: membership_inference measured mia_auc = 0.58, expected <= 0.55",
            "*AssertionError: no finding measured surrogate_fidelity; measured: membership_inference.generalization_gap, membership_inference.mia_auc",
            "*AssertionError: Model stealing (model_stealing) is at high risk (L4×I4), above medium; no owner decision.*",
            "*policy gate failed (2 reason(s)):*",
        ]
    )


def test_marker_threat_models_a_profile_with_overlays(project: pytest.Pytester) -> None:
    (project.path / "strict.yaml").write_text("name: strict\nrisk:\n  tolerance: low\n")
    project.makepyfile(
        """
        import pytest
        from failmodes.threatmodel.model import ThreatModel

        @pytest.mark.failmodes("profile.yaml", overlays=["strict.yaml"])
        def test_profile(failmodes_assessment):
            assert type(failmodes_assessment) is ThreatModel
            assert failmodes_assessment.catalog_version.endswith("+strict")
            assert failmodes_assessment.risk_policy.tolerance.value == "low"
        """
    )
    project.runpytest(*PLUGIN).assert_outcomes(passed=1)


def test_missing_or_bad_configuration_is_one_clear_line(project: pytest.Pytester) -> None:
    project.makepyfile(
        """
        import pytest

        def test_unconfigured(failmodes_assessment):
            pass

        @pytest.mark.failmodes("nowhere.json")
        def test_missing(failmodes_assessment):
            pass

        @pytest.mark.failmodes("profile.txt")
        def test_wrong_kind(failmodes_assessment):
            pass
        """
    )
    (project.path / "profile.txt").write_text("name: x\n")
    result = project.runpytest(*PLUGIN)
    result.assert_outcomes(errors=3)
    result.stdout.fnmatch_lines(
        [
            "*failmodes_assessment: set `failmodes_assessment` in the pytest configuration*",
            "*failmodes_assessment: */nowhere.json: no such file.",
            "*failmodes_assessment: */profile.txt: expected a saved assessment (.json) or a system profile*",
        ]
    )
    assert "Traceback" not in result.stdout.str()


def test_the_marker_is_registered(project: pytest.Pytester) -> None:
    result = project.runpytest(*PLUGIN, "--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.failmodes(path, overlays=()):*"])


def test_helpers_refuse_unknown_ids_and_operators(assessment_json: str, tmp_path: Path) -> None:
    from failmodes.errors import InputError, UnknownIdError
    from failmodes.pytest_plugin import assert_metric, assert_mode_not_above, load_assessment

    path = tmp_path / "a.json"
    path.write_text(assessment_json, encoding="utf-8")
    model = load_assessment(path)
    with pytest.raises(UnknownIdError, match="unknown failure mode id 'model_steal'"):
        assert_mode_not_above(model, "model_steal", "low")
    with pytest.raises(InputError, match="operator '=<'"):
        assert_metric(model, "mia_auc", "=<", 0.5)
