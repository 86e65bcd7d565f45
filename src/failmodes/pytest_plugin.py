"""A pytest plugin, so teams put failure-mode checks into their own test suites.

Installed with failmodes (entry point ``pytest11``), it adds one fixture and three helpers::

    # pytest.ini / pyproject.toml [tool.pytest.ini_options]
    failmodes_assessment = out/assessment.json     # or a system profile: ml/profile.yaml
    failmodes_overlays = policy/our-guideline.yaml # optional, one per line

    from failmodes.pytest_plugin import assert_metric, assert_mode_not_above

    def test_no_membership_leak(failmodes_assessment):
        assert_metric(failmodes_assessment, "mia_auc", "<=", 0.55)
        assert_mode_not_above(failmodes_assessment, "model_stealing", "medium")

    @pytest.mark.failmodes("ml/candidate-assessment.json")   # this test reads another file
    def test_candidate(failmodes_assessment): ...

The fixture *loads* a saved threat model or assessment (JSON, as ``failmodes threat-model``
or ``failmodes scan`` write it with ``--format json``) or *runs* the threat model of a system
profile (YAML) with the catalog and overlays. Relative paths resolve against pytest's rootdir.
Each file is read once per session. The helpers raise ``AssertionError`` with a message that
says what was measured and why it fails, so pytest shows the failure mode, not a traceback
into failmodes. The plugin imports the rest of failmodes only when a test uses it, so that
installing failmodes does not slow down the start of every pytest run.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from failmodes.errors import InputError, UnknownIdError

if TYPE_CHECKING:
    from failmodes.catalog.schema import GatePolicy, RiskLevel
    from failmodes.threatmodel.model import ModeAssessment, ThreatModel

INI_ASSESSMENT = "failmodes_assessment"
INI_OVERLAYS = "failmodes_overlays"
OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
_CACHE = pytest.StashKey[dict[tuple[Path, tuple[Path, ...]], "ThreatModel"]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        INI_ASSESSMENT,
        "failmodes: saved threat model or assessment (JSON), or a system profile (YAML) to "
        "threat-model, for the failmodes_assessment fixture.",
        default="",
    )
    parser.addini(
        INI_OVERLAYS,
        "failmodes: catalog overlay files applied when threat-modeling a profile.",
        type="linelist",
        default=[],
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "failmodes(path, overlays=()): the saved assessment (JSON) or profile (YAML) that the "
        "failmodes_assessment fixture reads for this test.",
    )
    config.stash[_CACHE] = {}


def load_assessment(path: str | Path, overlays: Sequence[str | Path] = ()) -> ThreatModel:
    """A saved threat model or assessment (``.json``), or the threat model of a profile."""
    from failmodes.catalog import load_catalog
    from failmodes.profile import load_profile
    from failmodes.report.contract import load
    from failmodes.threatmodel import threat_model

    file = Path(path)
    if file.suffix.lower() == ".json":
        return load(file)
    if file.suffix.lower() in (".yaml", ".yml"):
        return threat_model(load_profile(file), load_catalog(list(overlays)))
    raise InputError(
        f"{file}: expected a saved assessment (.json) or a system profile (.yaml, .yml)."
    )


@pytest.fixture
def failmodes_assessment(request: pytest.FixtureRequest) -> ThreatModel:
    """The threat model or assessment named by the ``failmodes`` marker or the ini option."""
    config = request.config
    marker = request.node.get_closest_marker("failmodes")
    raw: Any = None
    overlays: Sequence[str] = config.getini(INI_OVERLAYS)
    if marker is not None:
        raw = marker.args[0] if marker.args else marker.kwargs.get("path")
        overlays = marker.kwargs.get("overlays", overlays)
    raw = raw or config.getini(INI_ASSESSMENT)
    if not raw:
        pytest.fail(
            f"failmodes_assessment: set `{INI_ASSESSMENT}` in the pytest configuration or mark "
            'the test with @pytest.mark.failmodes("path/to/assessment.json").',
            pytrace=False,
        )
    root = config.rootpath
    path = (root / str(raw)).resolve()
    resolved = tuple((root / str(o)).resolve() for o in overlays)
    cache = config.stash[_CACHE]
    if (path, resolved) not in cache:
        try:
            cache[(path, resolved)] = load_assessment(path, resolved)
        except (InputError, FileNotFoundError) as exc:
            pytest.fail(f"failmodes_assessment: {exc}", pytrace=False)
    return cache[(path, resolved)]


def _mode(model: ThreatModel, mode_id: str) -> ModeAssessment:
    try:
        return model.get(mode_id)
    except KeyError:
        ids = ", ".join(sorted(m.id for m in model.modes))
        raise UnknownIdError(f"unknown failure mode id {mode_id!r}; the model has: {ids}") from None


def assert_mode_not_above(model: ThreatModel, mode_id: str, level: RiskLevel | str) -> None:
    """The risk in force for ``mode_id`` (residual after a decision) is at most ``level``."""
    __tracebackhide__ = True
    from failmodes.catalog.schema import RISK_ORDER, RiskLevel
    from failmodes.report.text import why
    from failmodes.threatmodel.outcome import in_force

    limit = RiskLevel(level)
    mode = _mode(model, mode_id)
    score = in_force(mode)
    if score is not None and RISK_ORDER.index(score.risk) > RISK_ORDER.index(limit):
        decision = (
            f"decision: {mode.decision.decision.value}" if mode.decision else "no owner decision"
        )
        raise AssertionError(
            f"{mode.name} ({mode_id}) is at {score.risk.value} risk "
            f"(L{score.likelihood}×I{score.impact}), above {limit.value}; {decision}. "
            f"Why it applies: {why(mode)}"
        )


def assert_metric(model: ThreatModel, metric: str, op: str, value: float) -> None:
    """Every measurement of ``metric`` (``mia_auc``, or ``membership_inference.mia_auc`` for
    one mode) satisfies ``<op> value``; at least one must exist."""
    __tracebackhide__ = True
    from failmodes.findings import number

    if op not in OPERATORS:
        raise InputError(f"operator {op!r} is not one of {', '.join(OPERATORS)}.")
    mode_id, _, name = metric.rpartition(".")
    measured = [
        f
        for m in model.modes
        for f in m.findings
        if f.metric == name and f.value is not None and mode_id in ("", f.failure_mode)
    ]
    if not measured:
        seen = sorted({f"{f.failure_mode}.{f.metric}" for m in model.modes for f in m.findings})
        raise AssertionError(
            f"no finding measured {metric}; measured: {', '.join(seen) or 'nothing'}"
        )
    bad = [f for f in measured if f.value is not None and not OPERATORS[op](f.value, value)]
    if bad:
        raise AssertionError(
            "; ".join(
                f"{f.failure_mode}: {f.probe} measured {f.measured} = {number(f.value)}, "
                f"expected {op} {value:g}"
                for f in bad
            )
        )


def assert_gate_passes(model: ThreatModel, policy: GatePolicy | Mapping[str, Any]) -> None:
    """The release gate passes; ``policy`` as a :class:`GatePolicy` or its fields as a dict
    (``{"fail_on_risk": "high"}``)."""
    __tracebackhide__ = True
    from failmodes.assessment.gate import evaluate_gate
    from failmodes.catalog.schema import GatePolicy

    gate = policy if isinstance(policy, GatePolicy) else GatePolicy.model_validate(policy)
    result = evaluate_gate(model, gate)
    if not result.passed:
        raise AssertionError(
            f"policy gate failed ({len(result.reasons)} reason(s)):\n"
            + "\n".join(f"  - {r}" for r in result.reasons)
        )
