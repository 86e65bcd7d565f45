"""System profiles: the examples load; broken ones fail in one or two lines naming file and field."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from failmodes.errors import MissingFileError, ProfileError
from failmodes.profile import load_profile, profile_from_dict, stated_and_assumed
from failmodes.profile.schema import Exposure, Modality
from tests.conftest import EXAMPLES

GOOD = "name: Test system\nmodalities: [image]\ndeployment:\n  exposure: public\n"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "profile.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("name", ["shelf-product-recognition", "recommender", "fraud-detection"])
def test_examples_load(name):
    profile = load_profile(EXAMPLES / f"{name}.yaml")
    assert profile.name and profile.owner
    assert profile.source == (EXAMPLES / f"{name}.yaml").resolve()


def test_minimal_profile_takes_conservative_defaults(tmp_path):
    profile = load_profile(write(tmp_path, "name: Bare\n"))
    stated, assumed = stated_and_assumed(profile)
    assert stated == {}
    assert assumed["deployment.exposure"] == Exposure.PUBLIC
    assert assumed["training_data.personal_data"] is True
    assert assumed["deployment.query_limits.rate_limited"] is False
    assert "deployment.query_limits.max_queries_per_day" not in assumed  # unknown, not assumed


def test_stated_facts_are_not_assumed(tmp_path):
    profile = load_profile(write(tmp_path, GOOD))
    stated, assumed = stated_and_assumed(profile)
    assert stated == {"modalities": [Modality.IMAGE], "deployment.exposure": Exposure.PUBLIC}
    assert "deployment.outputs" in assumed and "deployment.exposure" not in assumed


CASES = {
    "enum typo": (
        "name: x\nmodalities: [imgae]\n",
        ["profile.yaml:2:", "modalities[0]", "'imgae'", "tabular, image, video"],
    ),
    "unknown key": (
        "name: x\ndeployment:\n  exposur: public\n",
        ["profile.yaml:3:", "unknown key 'exposur'", "allowed keys here: exposure, outputs"],
    ),
    "wrong type": (
        "name: x\ntraining_data:\n  personal_data: maybe\n",
        ["profile.yaml:3:", "training_data.personal_data", "'maybe'"],
    ),
    "invalid yaml": ("name: x\nmodalities: [image\n", ["not valid YAML", "line"]),
    "duplicate key": ("name: x\nname: y\n", ["duplicate key 'name'", "line 1"]),
    "not a mapping": ("- a\n- b\n", ["YAML mapping"]),
    "missing name": ("task: regression\n", ["name: this field is required"]),
    "bad decision": (
        "name: x\ndecisions:\n  model_stealing:\n    decision: ignore\n    owner: a\n    rationale: b\n",
        ["profile.yaml:4:", "decisions.model_stealing.decision", "mitigate, accept"],
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_broken_profiles_name_file_line_and_field(tmp_path, case):
    text, expected = CASES[case]
    path = write(tmp_path, text)
    with pytest.raises(ProfileError) as err:
        load_profile(path)
    message = str(err.value)
    assert len(message.splitlines()) <= 2
    assert str(path) in message
    for part in expected:
        assert part in message, (part, message)


def test_missing_file(tmp_path):
    with pytest.raises(MissingFileError, match="no such file"):
        load_profile(tmp_path / "absent.yaml")


def test_billion_laughs_is_refused_before_expansion(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 10)]
    lines.append("name: *a9")
    with pytest.raises(ProfileError, match="anchors and aliases"):
        load_profile(write(tmp_path, "\n".join(lines) + "\n"))


def test_python_tags_are_refused(tmp_path):
    with pytest.raises(ProfileError, match="not valid YAML"):
        load_profile(write(tmp_path, "name: !!python/object/apply:os.system ['true']\n"))


def test_oversized_file_is_refused(tmp_path):
    path = write(tmp_path, "name: x\ndescription: " + "a" * (3 * 1024 * 1024) + "\n")
    with pytest.raises(ProfileError, match="byte limit"):
        load_profile(path)


def test_profile_from_dict_reports_fields():
    with pytest.raises(ProfileError, match="deployment.exposure"):
        profile_from_dict({"name": "x", "deployment": {"exposure": "everyone"}})


@pytest.mark.parametrize(
    "case", ["enum typo", "unknown key", "wrong type", "invalid yaml", "duplicate key"]
)
def test_cli_prints_two_lines_and_exits_2_without_traceback(tmp_path, case):
    path = write(tmp_path, CASES[case][0])
    done = subprocess.run(
        [sys.executable, "-m", "failmodes", "threat-model", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert 1 <= len(done.stderr.strip().splitlines()) <= 2
    assert done.stderr.startswith("error: ") and str(path) in done.stderr
    assert done.stdout == ""


def test_cli_refuses_an_expanding_document_promptly(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 12)]
    lines.append("name: *a11")
    path = write(tmp_path, "\n".join(lines) + "\n")
    # A generous timeout guards against a hang; the guard itself is structural (node count).
    done = subprocess.run(
        [sys.executable, "-m", "failmodes", "threat-model", str(path)],
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    assert done.returncode == 2 and "anchors and aliases" in done.stderr


def test_cli_missing_profile_exits_2_naming_the_file(tmp_path):
    path = tmp_path / "absent.yaml"
    done = subprocess.run(
        [sys.executable, "-m", "failmodes", "threat-model", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip() == f"error: {path}: cannot read the system profile: no such file."
