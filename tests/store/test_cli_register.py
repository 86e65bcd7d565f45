"""`failmodes register …` end to end on a SQLite file next to the profile."""

from __future__ import annotations

import json
import shutil

import pytest

from failmodes.cli import main
from failmodes.store import open_register
from tests.conftest import EXAMPLES

SYSTEM = "card-not-present-fraud-scoring"


@pytest.fixture
def cli(tmp_path, monkeypatch, capsys):
    """Runs a command in a folder holding the fraud profile, as user ana; (exit code, out, err)."""
    shutil.copy(EXAMPLES / "fraud-detection.yaml", tmp_path / "fraud.yaml")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FAILMODES_USER", "ana")
    monkeypatch.delenv("FAILMODES_REGISTER", raising=False)
    monkeypatch.setenv("COLUMNS", "200")

    def run(*args: str) -> tuple[int, str, str]:
        code = main(["register", *args])
        out, err = capsys.readouterr()
        return code, out, " ".join(err.split())

    return run


def test_a_register_is_made_next_to_the_profile_and_decided_in(cli, tmp_path):
    code, _, err = cli("add", "fraud.yaml")
    assert code == 0 and f"{SYSTEM}: profile version 1" in err
    assert (tmp_path / "failmodes-register.sqlite").is_file()
    code, _, err = cli(
        "decide", SYSTEM, "model_stealing", "-d", "mitigate", "--owner", "ana",
        "-r", "quotas per client", "-m", "rate limit", "-m", "rounded scores",
        "--due", "2027-02-01", "--revision", "0",
    )  # fmt: skip
    assert code == 0 and "(revision 1); risk in force" in err
    code, out, _ = cli("show", SYSTEM, "-f", "json")
    rows = {r["mode"]: r for r in json.loads(out)}
    assert rows["model_stealing"]["decision"] == "mitigate"
    assert rows["model_stealing"]["due"] == "2027-02-01"
    assert rows["model_stealing"]["in_force"] != rows["model_stealing"]["inherent"]
    assert rows["perturbation_attack"]["status"] == "open"
    code, out, _ = cli("list", "-f", "json")
    assert json.loads(out)[0]["decided"] == 2  # this one and the profile's own decision
    code, out, _ = cli("history", SYSTEM, "-f", "json")
    assert [e["action"] for e in json.loads(out)] == ["add_system", "profile", "decide"]
    assert json.loads(out)[-1]["actor"] == "ana"
    code, _, err = cli("show", SYSTEM)
    assert code == 0 and "Risk register: Card-not-present fraud scoring" in err


def test_a_stale_revision_and_bad_values_are_refused_in_one_line(cli):
    cli("add", "fraud.yaml")
    decide = ("decide", SYSTEM, "model_stealing", "--owner", "bo", "-r", "why")
    assert cli(*decide, "-d", "accept", "--revision", "0")[0] == 0
    code, _, err = cli(*decide, "-d", "transfer", "--revision", "0")
    assert code == 2 and "changed the decision" in err and "Traceback" not in err
    code, _, err = cli(*decide, "-d", "accept", "--due", "tomorrow")
    assert code == 2 and "not a date; write it as YYYY-MM-DD" in err
    code, _, err = cli(*decide, "-d", "accept", "-e", "http://x")
    assert code == 2 and "is not a link" in err
    code, _, err = cli("decide", SYSTEM, "model_stealing", "-d", "accept", "--owner", " ",
                       "-r", "x")  # fmt: skip
    assert code == 2 and "--owner: Value error, must not be blank" in err
    code, _, err = cli("show", "fraud")
    assert code == 2 and "no system 'fraud' in the register" in err


def test_export_and_import_through_the_command_line(cli, tmp_path):
    cli("add", "fraud.yaml")
    cli("decide", SYSTEM, "model_inversion", "-d", "accept", "--owner", "ana", "-r", "no PII")
    assert cli("export", "-o", "register.yaml")[0] == 0
    code, _, err = cli("import", "register.yaml", "--db", str(tmp_path / "copy.sqlite"))
    assert code == 0 and f"imported {SYSTEM}" in err
    with open_register(tmp_path / "copy.sqlite") as copy:
        assert copy.decisions(SYSTEM)["model_inversion"].rationale == "no PII"
    code, _, err = cli("import", "register.yaml")  # into the register it came from
    assert code == 2 and "already holds system" in err
