"""Matching against OSV advisories: the real PyPA snapshot, and ranges written for the test."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from failmodes.dependencies import (
    AdvisoryDatabase,
    DeclaredPackage,
    PackageStatus,
    audit,
    cyclonedx,
    load_database,
)
from failmodes.errors import InputError, MissingFileError
from tests.conftest import shared_path


@pytest.fixture(scope="module")
def pypa() -> AdvisoryDatabase:
    return load_database(shared_path("reference", "advisory-database"))


def _pin(name: str, version: str) -> DeclaredPackage:
    return DeclaredPackage(name=name, version=version, source="test")


def _status(database: AdvisoryDatabase, name: str, version: str) -> tuple[PackageStatus, list[str]]:
    (result,) = audit([_pin(name, version)], database).packages
    return result.status, [a.id for a in result.advisories]


def test_the_snapshot_loads_without_holes(pypa: AdvisoryDatabase) -> None:
    assert pypa.count > 2000
    assert pypa.problems == []


def test_an_old_torch_is_vulnerable_and_the_fixed_release_is_not(pypa: AdvisoryDatabase) -> None:
    status, ids = _status(pypa, "torch", "1.13.0")
    assert status is PackageStatus.VULNERABLE
    assert "PYSEC-2022-43015" in ids
    (result,) = audit([_pin("torch", "1.13.0")], pypa).packages
    match = next(a for a in result.advisories if a.id == "PYSEC-2022-43015")
    assert match.fixed_in == ("1.13.1",)
    assert "CVE-2022-45907" in match.aliases
    assert "PYSEC-2022-43015" not in _status(pypa, "torch", "1.13.1")[1]


def test_last_affected_is_inclusive(pypa: AdvisoryDatabase) -> None:
    assert _status(pypa, "py", "1.11.0") == (PackageStatus.VULNERABLE, ["PYSEC-2022-42969"])
    assert _status(pypa, "py", "1.11.1")[0] is PackageStatus.CLEAN


def test_names_are_normalized_and_prereleases_of_a_fix_are_affected(pypa: AdvisoryDatabase) -> None:
    assert "PYSEC-2023-29" in _status(pypa, "MLflow", "2.2.1rc1")[1]  # fixed in 2.2.1
    assert "PYSEC-2023-29" not in _status(pypa, "mlflow", "2.2.1")[1]


def test_a_pinned_package_absent_from_the_database_is_clean_only_because_it_was_looked_up(
    pypa: AdvisoryDatabase,
) -> None:
    assert _status(pypa, "surely-not-a-package-xyz", "1.0") == (PackageStatus.CLEAN, [])
    unpinned = DeclaredPackage(name="torch", source="test", problem="not pinned (>=1)")
    (result,) = audit([unpinned], pypa).packages
    assert result.status is PackageStatus.NOT_AUDITED
    assert result.reason == "not pinned (>=1)"
    report = audit([_pin("surely-not-a-package-xyz", "1.0"), unpinned], pypa)
    assert report.flagged  # one package was not audited: never "no known vulnerabilities"


def _advisory(osv_id: str, events: list[dict[str, str]], **extra: object) -> dict[str, object]:
    return {
        "id": osv_id,
        "summary": f"{osv_id} summary",
        "affected": [
            {
                "package": {"name": "Demo_Pkg", "ecosystem": "PyPI"},
                "ranges": [{"type": "ECOSYSTEM", "events": events}],
                **extra,
            }
        ],
        "references": [{"type": "ADVISORY", "url": f"https://example.invalid/{osv_id}"}],
    }


@pytest.fixture
def handmade(tmp_path: Path) -> AdvisoryDatabase:
    folder = tmp_path / "vulns" / "demo-pkg"
    folder.mkdir(parents=True)
    (folder / "A.json").write_text(
        json.dumps(_advisory("A", [{"introduced": "1.0"}, {"fixed": "2.0.0"}]))
    )
    (folder / "B.yaml").write_text(
        "id: B\naffected:\n- package: {name: demo-pkg, ecosystem: PyPI}\n"
        "  ranges:\n  - type: ECOSYSTEM\n    events:\n    - introduced: '3.0'\n"
        "    - last_affected: 3.10\n"
    )
    (folder / "C.json").write_text(json.dumps(_advisory("C", [], versions=["0.5.post1"])))
    (folder / "D.json").write_text(
        json.dumps({**_advisory("D", [{"introduced": "0"}]), "withdrawn": "2024-01-01T00:00:00Z"})
    )
    git_only = _advisory("E", [])
    git_only["affected"][0]["ranges"] = [  # type: ignore[index]
        {"type": "GIT", "repo": "x", "events": [{"introduced": "0"}, {"fixed": "abc123"}]}
    ]
    (folder / "E.json").write_text(json.dumps(git_only))
    return load_database(tmp_path)


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("0.9", []),
        ("1.0", ["A"]),
        ("2.0.0rc1", ["A"]),
        ("2.0.0", []),
        ("3.10", ["B"]),  # YAML 3.10 stays a string: not 3.1
        ("3.10.1", []),
        ("0.5.post1", ["C"]),
    ],
)
def test_range_events_and_version_lists(
    handmade: AdvisoryDatabase, version: str, expected: list[str]
) -> None:
    assert sorted(_status(handmade, "demo.pkg", version)[1]) == expected


def test_unparseable_ranges_make_a_package_not_audited(tmp_path: Path) -> None:
    bad = _advisory("F", [{"introduced": "0"}, {"fixed": "not a version!"}])
    (tmp_path / "F.json").write_text(json.dumps(bad))
    status, _ = _status(load_database(tmp_path), "demo-pkg", "1.0")
    assert status is PackageStatus.VULNERABLE  # introduced 0 with no readable end
    bad["affected"][0]["ranges"][0]["events"] = [{"introduced": "?"}]  # type: ignore[index]
    (tmp_path / "F.json").write_text(json.dumps(bad))
    assert _status(load_database(tmp_path), "demo-pkg", "1.0")[0] is PackageStatus.NOT_AUDITED


def test_a_zip_of_json_advisories_is_a_database(tmp_path: Path) -> None:
    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("A.json", json.dumps(_advisory("A", [{"introduced": "0"}, {"fixed": "2"}])))
        out.writestr("broken.json", "{not json")
    database = load_database(archive)
    assert _status(database, "demo-pkg", "1.5")[1] == ["A"]
    assert len(database.problems) == 1
    assert audit([_pin("other", "1.0")], database).flagged  # a hole in the database


def test_an_empty_or_missing_database_refuses_to_audit(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no OSV advisories"):
        load_database(tmp_path)
    with pytest.raises(MissingFileError, match="advisories update"):
        load_database(tmp_path / "nowhere")


def test_the_sbom_lists_components_and_their_vulnerabilities(pypa: AdvisoryDatabase) -> None:
    report = audit([_pin("torch", "1.13.0"), _pin("surely-not-a-package-xyz", "1.0")], pypa)
    sbom = cyclonedx(report)
    assert sbom["bomFormat"] == "CycloneDX" and sbom["specVersion"] == "1.5"
    refs = {c["bom-ref"] for c in sbom["components"]}
    assert refs == {"pkg:pypi/torch@1.13.0", "pkg:pypi/surely-not-a-package-xyz@1.0"}
    vuln = next(v for v in sbom["vulnerabilities"] if v["id"] == "PYSEC-2022-43015")
    assert vuln["affects"] == [{"ref": "pkg:pypi/torch@1.13.0"}]
    assert cyclonedx(report) == sbom  # deterministic
