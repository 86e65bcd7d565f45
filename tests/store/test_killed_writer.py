"""A writer killed mid-write (SIGKILL, no chance to clean up) leaves a consistent register:
every decision that is there has all of its history, and nothing half-written remains."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

from failmodes.store import open_register
from tests.conftest import REPO

#: Decides on modes round-robin, as fast as it can, until killed.
WRITER = textwrap.dedent(
    """
    import itertools, sys
    from failmodes.profile.schema import Decision
    from failmodes.store import RegisterDecision, open_register

    modes = ["model_stealing", "membership_inference", "model_inversion", "poisoning_attack"]
    with open_register(sys.argv[1]) as register:
        system = register.systems()[0].id
        for n in itertools.count():
            register.decide(
                system,
                RegisterDecision(
                    mode_id=modes[n % len(modes)],
                    decision=Decision.MITIGATE if n % 2 else Decision.ACCEPT,
                    owner=f"writer-{n}",
                    rationale="x" * (n % 500 + 1),
                    mitigations=[f"control {i}" for i in range(n % 7)],
                ),
                actor="writer",
            )
    """
)


def _decisions_written(location: str, system: str) -> int:
    with open_register(location) as register:
        return sum(d.revision for d in register.decisions(system).values())


def test_a_killed_writer_leaves_the_register_consistent(location, fraud, tmp_path):
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    for round_ in range(3):
        writer = subprocess.Popen([sys.executable, str(script), location], env=env)
        try:
            target = 20 * (round_ + 1)
            deadline = time.monotonic() + 120
            while _decisions_written(location, fraud) < target:
                assert writer.poll() is None, "the writer died on its own"
                assert time.monotonic() < deadline, "the writer made no progress"
                time.sleep(0.05)
        finally:
            writer.send_signal(signal.SIGKILL)
            writer.wait()

    with open_register(location) as register:
        if register.db.dialect == "sqlite":
            assert register.db.execute("PRAGMA integrity_check") == [("ok",)]
        decisions = register.decisions(fraud)
        assert len(decisions) == 4
        for mode, decision in decisions.items():
            changes = [h for h in register.history(fraud, mode) if h.action == "decide"]
            assert len(changes) == decision.revision  # no change without its history
            assert changes[-1].after == decision.content()  # and no history without its change
            assert changes[-1].actor == decision.updated_by == "writer"
        # The register is not left locked: the next writer gets in at once.
        register.comment(fraud, None, "after the crash", actor="ana")
