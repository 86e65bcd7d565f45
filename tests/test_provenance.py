"""Recording and checking SHA-256 manifests of a profile's artifacts and of folders."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from failmodes.artifacts.provenance import (
    ChangeKind,
    check_manifest,
    manifest_path,
    record_manifest,
    sha256_of,
)
from failmodes.errors import InputError, MissingFileError

PROFILE = """\
name: Fraud scoring
target:
  model: models/model.pkl
  data:
    train: data/train.csv
    test: data/test.csv
"""


@pytest.fixture
def profile(tmp_path: Path) -> Path:
    (tmp_path / "models").mkdir()
    (tmp_path / "data").mkdir()
    (tmp_path / "models" / "model.pkl").write_bytes(b"\x80\x02}.")
    (tmp_path / "data" / "train.csv").write_text("a,b\n1,2\n")
    (tmp_path / "data" / "test.csv").write_text("a,b\n3,4\n")
    path = tmp_path / "fraud.yaml"
    path.write_text(PROFILE)
    return path


def _record(target: Path) -> None:
    manifest_path(target).write_text(record_manifest(target).to_json())


def test_digests_are_sha256_of_the_bytes(tmp_path: Path) -> None:
    file = tmp_path / "x.bin"
    file.write_bytes(b"abc" * 1_000_000)
    assert sha256_of(file) == (hashlib.sha256(b"abc" * 1_000_000).hexdigest(), 3_000_000)


def test_a_recorded_profile_checks_clean(profile: Path) -> None:
    _record(profile)
    assert manifest_path(profile).name == "fraud.manifest.json"
    entries = json.loads(manifest_path(profile).read_text())["entries"]
    assert [e["path"] for e in entries] == ["models/model.pkl", "data/train.csv", "data/test.csv"]
    report = check_manifest(profile)
    assert report.ok and report.checked == 3


def test_a_swapped_model_and_a_deleted_data_file_are_caught(profile: Path) -> None:
    _record(profile)
    (profile.parent / "models" / "model.pkl").write_bytes(b"cos\nsystem\n(S'id'\ntR.")
    (profile.parent / "data" / "test.csv").unlink()
    report = check_manifest(profile)
    kinds = {f.path: f.kind for f in report.findings}
    assert kinds["models/model.pkl"] is ChangeKind.CHANGED
    assert kinds["data/test.csv"] is ChangeKind.MISSING
    changed = next(f for f in report.findings if f.kind is ChangeKind.CHANGED)
    assert changed.actual == hashlib.sha256(b"cos\nsystem\n(S'id'\ntR.").hexdigest()


def test_a_folder_manifest_covers_every_file_and_notices_new_ones(tmp_path: Path) -> None:
    (tmp_path / "a.bin").write_bytes(b"a")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.bin").write_bytes(b"b")
    _record(tmp_path)
    assert check_manifest(tmp_path).ok
    (tmp_path / "sub" / "c.bin").write_bytes(b"c")
    (finding,) = check_manifest(tmp_path).findings
    assert (finding.path, finding.kind) == ("sub/c.bin", ChangeKind.UNRECORDED)


def test_checking_without_a_manifest_says_how_to_record_one(profile: Path) -> None:
    with pytest.raises(MissingFileError, match="verify --record"):
        check_manifest(profile)


def test_a_profile_without_artifacts_cannot_be_recorded(tmp_path: Path) -> None:
    bare = tmp_path / "bare.yaml"
    bare.write_text("name: No target\n")
    with pytest.raises(InputError, match="names no"):
        record_manifest(bare)


def test_a_tampered_manifest_is_an_input_error(profile: Path) -> None:
    manifest_path(profile).write_text('{"entries": [{"path": "x", "sha256": "nothex", "size": 1}]}')
    with pytest.raises(InputError, match="not a valid failmodes manifest"):
        check_manifest(profile)
