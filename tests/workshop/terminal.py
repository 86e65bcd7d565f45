"""Driving the installed ``failmodes workshop`` on a real pseudo-terminal, as a person would.

Shared by the terminal tests and by the test that holds the same workshop in the browser.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pexpect

#: The installed command next to this Python (the project's virtual environment), else on PATH.
COMMAND = (
    str(Path(sys.executable).with_name("failmodes"))
    if Path(sys.executable).with_name("failmodes").is_file()
    else (shutil.which("failmodes") or "failmodes")
)
DECISION = r"Decision: \[m\]itigate .*\[q\]uit( \[k\])?: "
STATUS = r"Status \(planned, in_progress, done\) \[\w+\]: "


def spawn(folder: Path, *args: str, profile: str = "profile.yaml") -> pexpect.spawn:
    """``failmodes workshop PROFILE --actor ana ARGS`` in ``folder``, on a 50 × 150 terminal."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAILMODES_")}
    env.update({"TERM": "dumb", "COLUMNS": "150", "LINES": "50"})
    return pexpect.spawn(
        COMMAND,
        ["workshop", profile, "--actor", "ana", *args],
        cwd=folder,
        env=env,
        encoding="utf-8",
        timeout=60,
        dimensions=(50, 150),
    )


def answer(child: pexpect.spawn, prompt: str, text: str) -> None:
    child.expect(prompt)
    child.sendline(text)


def decide_at_prompts(child: pexpect.spawn, answers: dict[str, str]) -> None:
    """Answer one mode's prompts: the decision by its letter, then each field as typed
    (an empty answer takes the prompt's default)."""
    answer(child, DECISION, answers["decision"][0])
    answer(child, r"Owner \[ana\]: ", "" if answers["owner"] == "ana" else answers["owner"])
    answer(child, r"Due date \(YYYY-MM-DD, - for none\): ", answers["due"])
    answer(child, STATUS, answers.get("status", ""))
    answer(child, r"Rationale: ", answers["rationale"])
    answer(child, r"Mitigations in place .*: ", answers["mitigations"])
    answer(child, r"Comment \(optional\): ", answers.get("comment", ""))
