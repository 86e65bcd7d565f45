"""Monitoring end to end on a simulated deployment (tests/monitor/simulation.py): the right
window and the right client are flagged, in-process and on a Dask LocalCluster alike, and the
state carries windows from run to run."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from failmodes.assessment.gate import evaluate_findings
from failmodes.catalog.schema import GatePolicy, Verdict
from failmodes.errors import DataError, InputError
from failmodes.findings import Status
from failmodes.monitor.engine import MonitorConfig, _chunks, plan_parts
from failmodes.monitor.run import MonitorResult, monitor_run, timelines
from failmodes.monitor.state import load_state
from failmodes.monitor.windows import WindowRule, parse_window
from tests.monitor import simulation as sim

DAY = [
    f"{(pd.Timestamp('2026-01-01') + pd.Timedelta(days=d)).date()}T00:00:00+00:00" for d in range(6)
]
CONFIG = MonitorConfig(
    window=WindowRule(every="1D", time_column="time"),
    features=(*sim.FEATURES, "region"),
    categorical=("region",),
    prediction_column="prediction",
    confidence_column="confidence",
    label_column="label",
    feedback_column="feedback",
    client_column="client",
    sample_size=1000,
    domain_rows=0,  # the classifier two-sample test is the slow part: on for the drift test only
)
FAST = CONFIG


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return sim.reference()


@pytest.fixture(scope="module")
def traffic(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return sim.write_days(tmp_path_factory.mktemp("traffic"))


@pytest.fixture(scope="module")
def local(reference: pd.DataFrame, traffic: list[Path]) -> MonitorResult:
    return monitor_run(reference, traffic, CONFIG)


def status(result: MonitorResult, window: str, metric: str, client: str | None = None) -> Status:
    found = [
        f
        for f in result.alerts
        if f.evidence["window"] == window
        and f.metric == metric
        and f.evidence.get("client") == client
    ]
    assert found, f"no {metric} for window {window}, client {client}"
    return found[0].status


def test_extraction_campaign_is_flagged_for_the_attacker_only(local: MonitorResult) -> None:
    attack_day = DAY[sim.ATTACK_DAY]
    assert status(local, attack_day, "prada_normality", "attacker") == Status.FAIL
    for client in sim.ORDINARY:
        for day in DAY:
            assert status(local, day, "prada_normality", client) == Status.PASS, (client, day)
    flagged_stealing = {
        f.evidence["client"] for f in local.flagged if f.failure_mode == "model_stealing"
    }
    assert flagged_stealing == {"attacker"}


def test_probing_and_boundary_clients_are_flagged(local: MonitorResult) -> None:
    day = DAY[sim.PROBE_DAY]
    assert status(local, day, "near_duplicate_query_rate", "prober") == Status.FAIL
    assert status(local, day, "near_boundary_query_rate", "walker") == Status.FAIL
    assert status(local, day, "near_duplicate_query_rate", "walker") == Status.PASS
    for client in sim.ORDINARY:
        assert status(local, day, "near_duplicate_query_rate", client) == Status.PASS
        assert status(local, day, "near_boundary_query_rate", client) == Status.PASS
        assert status(local, day, "ood_query_rate", client) == Status.PASS


@pytest.fixture(scope="module")
def clean(reference: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> MonitorResult:
    """The same days without the attacking clients: only the injected drift and poisoning."""
    paths = sim.write_days(tmp_path_factory.mktemp("clean"), attacks=False)
    return monitor_run(reference, paths, CONFIG.model_copy(update={"domain_rows": 300}))


def test_drift_injected_at_a_known_window_is_flagged_at_that_window(clean: MonitorResult) -> None:
    shares = {f.evidence["window"]: f for f in clean.alerts if f.metric == "drifted_feature_share"}
    flagged = [shares[d].status in (Status.WARN, Status.FAIL) for d in DAY]
    assert flagged == [False] * sim.DRIFT_DAY + [True] * (len(DAY) - sim.DRIFT_DAY)
    # f1 and f2 of the seven inputs drifted: 2/7 is over the catalog's warn line (0.1).
    assert shares[DAY[sim.DRIFT_DAY]].value == pytest.approx(2 / 7)
    assert "f1" in shares[DAY[sim.DRIFT_DAY]].message
    assert "f3" not in shares[DAY[sim.DRIFT_DAY]].message
    auc = {
        f.evidence["window"]: f.value for f in clean.alerts if f.metric == "domain_classifier_auc"
    }
    assert (
        max(auc[d] for d in DAY[: sim.DRIFT_DAY]) < 0.6 < min(auc[d] for d in DAY[sim.DRIFT_DAY :])
    )


def test_feedback_poisoning_and_delayed_labels(clean: MonitorResult) -> None:
    feedback = {f.evidence["window"]: f for f in clean.alerts if f.metric == "feedback_drift_psi"}
    assert feedback[DAY[sim.POISON_DAY]].status in (Status.WARN, Status.FAIL)
    assert all(feedback[d].status == Status.PASS for d in DAY[: sim.POISON_DAY])
    accuracy = {
        f.evidence["window"]: f.value
        for f in clean.alerts
        if f.metric == "production_accuracy_drop"
    }
    # Day 5's labels have not arrived: no accuracy for it; the others are near the reference's.
    assert set(accuracy) == set(DAY[: sim.POISON_DAY])
    assert all(abs(v) < 0.05 for v in accuracy.values() if v is not None)


def test_dask_gives_the_same_verdicts_as_in_process(
    reference: pd.DataFrame, traffic: list[Path], local: MonitorResult
) -> None:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        on_dask = monitor_run(
            reference, traffic, CONFIG, engine="dask", scheduler=cluster.scheduler_address
        )

    def verdicts(result: MonitorResult) -> dict[tuple[str, str, str | None], tuple[Status, float]]:
        return {
            (f.failure_mode, f.metric, f.dataset): (f.status, round(f.value or 0.0, 9))
            for f in result.alerts
        }

    assert verdicts(on_dask) == verdicts(local)
    assert [w.rows for w in on_dask.state.windows] == [w.rows for w in local.state.windows]


def test_count_windows_and_csv(reference: pd.DataFrame, tmp_path: Path) -> None:
    paths = sim.write_days(
        tmp_path, range(sim.DRIFT_DAY - 1, sim.DRIFT_DAY + 1), suffix=".csv", attacks=False
    )
    rows = 4 * sim.ROWS_PER_CLIENT
    config = FAST.model_copy(update={"window": WindowRule(rows=rows), "client_column": None})
    result = monitor_run(reference, paths, config)
    shares = [f for f in result.alerts if f.metric == "drifted_feature_share"]
    assert [f.evidence["window"] for f in shares] == ["rows 000000000000", f"rows {rows:012d}"]
    assert [f.status in (Status.WARN, Status.FAIL) for f in shares] == [False, True]
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:  # CSV on Dask: row counts first, then the same windows
        on_dask = monitor_run(
            reference, paths, config, engine="dask", scheduler=cluster.scheduler_address
        )
    assert [(f.dataset, f.metric, f.value) for f in on_dask.alerts] == [
        (f.dataset, f.metric, f.value) for f in result.alerts
    ]


def test_parts_follow_row_groups_and_files(tmp_path: Path) -> None:
    frame = pd.DataFrame({"x": range(1000)})
    paths = [tmp_path / "a.parquet", tmp_path / "b.parquet"]
    for path in paths:
        frame.to_parquet(path, row_group_size=100)
    parts = plan_parts(paths, rows_per_part=300)
    assert [(p.path.name, p.row_groups, p.first_row) for p in parts] == [
        ("a.parquet", (0, 1, 2), 0),
        ("a.parquet", (3, 4, 5), 300),
        ("a.parquet", (6, 7, 8), 600),
        ("a.parquet", (9,), 900),
        ("b.parquet", (0, 1, 2), 1000),
        ("b.parquet", (3, 4, 5), 1300),
        ("b.parquet", (6, 7, 8), 1600),
        ("b.parquet", (9,), 1900),
    ]
    rows = [len(c) for p in parts for c in _chunks(p.path, p.row_groups)]
    assert sum(rows) == 2000


def test_state_adds_one_window_per_run(
    reference: pd.DataFrame, traffic: list[Path], tmp_path: Path
) -> None:
    state = tmp_path / "state.json"
    for path in traffic[:3]:
        result = monitor_run(reference, [path], FAST, state_path=state)
        assert len(result.measured) == 1
    assert [w.key for w in load_state(state, FAST).windows] == DAY[:3]
    again = monitor_run(reference, [traffic[2]], FAST, state_path=state)
    assert [w.key for w in again.state.windows] == DAY[:3]  # measured again, not added twice
    plots = timelines(again.state)
    share = next(p for p in plots if p["title"].startswith("drifted_feature_share"))
    assert share["series"][0]["x"] == [0.0, 1.0, 2.0]
    assert share["reference_line"] == 0.3
    other = FAST.model_copy(update={"bins": 5})
    with pytest.raises(InputError, match="different monitoring configuration"):
        monitor_run(reference, [traffic[3]], other, state_path=state)


def test_a_failed_write_leaves_the_old_state(
    reference: pd.DataFrame, traffic: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "state.json"
    monitor_run(reference, [traffic[0]], FAST, state_path=state)
    before = state.read_bytes()

    def killed(*_: object) -> None:
        raise KeyboardInterrupt  # what a signal mid-write looks like to the writer

    monkeypatch.setattr("failmodes.monitor.state.os.replace", killed)
    with pytest.raises(KeyboardInterrupt):
        monitor_run(reference, [traffic[1]], FAST, state_path=state)
    assert state.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]  # no temporary left behind
    assert len(json.loads(before)["windows"]) == 1


def test_alerts_go_through_the_gate_policy(local: MonitorResult) -> None:
    gate = evaluate_findings(local.alerts, GatePolicy(fail_on_findings=[Verdict.FAIL]))
    assert not gate.passed
    assert any("prada_normality (window" in r and "client attacker" in r for r in gate.reasons)
    assert evaluate_findings(local.alerts, GatePolicy()).passed


def test_bad_input_is_a_clear_error(reference: pd.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="pandas offset"):
        parse_window("fortnightly", "time")
    with pytest.raises(InputError, match="time_column"):
        parse_window("1D", None)
    assert parse_window("500", None) == WindowRule(rows=500)
    (tmp_path / "day.parquet").write_bytes(b"not parquet")
    with pytest.raises(DataError):
        monitor_run(reference, [tmp_path / "day.parquet"], FAST)
    broken = tmp_path / "state.json"
    broken.write_text("{half", encoding="utf-8")
    with pytest.raises(DataError, match="not a failmodes monitor state"):
        load_state(broken, FAST)


def test_chi2_on_all_rows_sees_a_small_shift_that_the_sample_misses(tmp_path: Path) -> None:
    """A 0.06-SD shift of one input in a 100,000-row window: KS on a 300-row sample has no
    power for it, the binned chi² test of every row has plenty."""
    import numpy as np

    rng = np.random.default_rng(3)
    rows = 100_000
    reference = pd.DataFrame({"x": rng.normal(size=rows), "y": rng.normal(size=rows)})
    production = pd.DataFrame({"x": rng.normal(0.06, 1, size=rows), "y": rng.normal(size=rows)})
    production.to_parquet(tmp_path / "day.parquet")
    config = MonitorConfig(window=WindowRule(rows=rows), sample_size=300, domain_rows=0)
    assert config.numeric_test == "chi2"  # the default

    def drifted(test: str) -> str:
        result = monitor_run(
            reference, [tmp_path / "day.parquet"], config.model_copy(update={"numeric_test": test})
        )
        (share,) = [f for f in result.alerts if f.metric == "drifted_feature_share"]
        return share.message

    assert drifted("ks").startswith("0 of 2 features drifted")
    assert drifted("chi2").startswith("1 of 2 features drifted: x")
