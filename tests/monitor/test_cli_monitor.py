"""``failmodes monitor run|report`` through the real entry point: results on stdout or files,
alerts through the gate's exit code, one-line errors, and a state file that survives SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from failmodes.cli import main
from failmodes.errors import EXIT_INPUT_ERROR, EXIT_OK, EXIT_POLICY_FAILED
from failmodes.monitor.state import read_state
from tests.monitor import simulation as sim

COLUMNS = [
    "--time-column", "time", "--categorical", "region", "--prediction-column", "prediction",
    "--confidence-column", "confidence", "--client-column", "client",
    "--features", ",".join([*sim.FEATURES, "region"]), "--domain-rows", "0",
]  # fmt: skip


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    folder = tmp_path_factory.mktemp("cli")
    reference = folder / "reference.csv"
    sim.reference().to_csv(reference, index=False)
    return reference, sim.write_days(folder, range(sim.ATTACK_DAY - 1, sim.ATTACK_DAY + 1))


def test_run_flags_the_attacker_and_fails_the_gate(
    files: tuple[Path, list[Path]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reference, days = files
    state, page = tmp_path / "state.json", tmp_path / "monitor.html"
    args = ["monitor", "run", str(reference), *map(str, days), *COLUMNS, "--state", str(state)]
    code = main([*args, "--format", "json", "--html", str(page), "--fail-on-findings", "fail"])
    out, err = capsys.readouterr()
    assert code == EXIT_POLICY_FAILED
    result = json.loads(out)
    assert result["measured"] == ["2026-01-02T00:00:00+00:00", "2026-01-03T00:00:00+00:00"]
    assert "prada_normality (window 2026-01-03T00:00:00+00:00 · client attacker)" in err
    assert "ordinary" not in err.split("Policy gate failed")[1]
    html = page.read_text(encoding="utf-8")
    assert html.count("<svg") >= 5 and "prada_normality (model_stealing), lowest client" in html
    assert len(read_state(state).windows) == 2

    code = main(["monitor", "report", str(state)])
    out, _ = capsys.readouterr()
    assert code == EXIT_OK
    assert "| window 2026-01-03T00:00:00+00:00 · client attacker | model_stealing |" in out


def test_bad_input_is_one_line(
    files: tuple[Path, list[Path]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reference, days = files
    code = main(["monitor", "run", str(reference), str(days[0]), "--window", "1D"])
    err = capsys.readouterr().err
    assert code == EXIT_INPUT_ERROR
    assert err.startswith("error: window '1D': time windows") and err.count("\n") == 1
    code = main(["monitor", "run", str(reference), str(tmp_path / "missing.parquet"), *COLUMNS])
    assert code == EXIT_INPUT_ERROR
    assert "missing.parquet: no such file" in capsys.readouterr().err
    code = main(["monitor", "run", str(reference), str(days[0]), *COLUMNS, "--numeric-test", "t"])
    assert code == EXIT_INPUT_ERROR
    assert "--numeric-test must be ks or chi2, got 't'" in capsys.readouterr().err


WRITER = """
import sys
from pathlib import Path
from failmodes.monitor.state import MonitorState, WindowResult, save_state
from failmodes.monitor.engine import MonitorConfig
from failmodes.monitor.windows import WindowRule
from failmodes.findings import Finding, Status
config = MonitorConfig(window=WindowRule(rows=10))
finding = Finding(failure_mode="model_stealing", probe="monitor", metric="m", status=Status.INFO,
                  message="x" * 2000)
print("ready", flush=True)
for n in range(1, 10**6):
    windows = [WindowResult(key=f"rows {i:012d}", rows=n, findings=[finding] * 20) for i in range(50)]
    save_state(MonitorState(config=config, windows=windows), Path(sys.argv[1]))
"""


def test_a_killed_writer_never_leaves_a_corrupt_state(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(state)], stdout=subprocess.PIPE, env=os.environ
    )
    assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
    seen = set()
    for _ in range(8):  # a reader never sees half a file while the writer rewrites it
        time.sleep(0.15)
        if state.exists():
            seen.add(read_state(state).windows[0].rows)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert len(seen) > 1  # the writer really was rewriting it all along
    assert len(read_state(state).windows) == 50  # and what the kill left is whole
