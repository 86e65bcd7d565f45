"""Acceptance: the scanner on picklescan's fixtures and real benign files, labelled.

Every malicious file must be flagged (any verdict but ``safe``) and no benign file may be.
The corpus lives in ``../shared/corpora/model-files``; the test skips when it is absent.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from failmodes.artifacts import FileReport, Verdict, scan_paths
from tests.conftest import shared_path


@pytest.fixture(scope="module")
def corpus() -> list[tuple[dict[str, str], FileReport]]:
    root = shared_path("corpora", "model-files")
    rows = list(csv.DictReader((root / "manifest.csv").open(encoding="utf-8")))
    report = scan_paths([root / row["path"] for row in rows])
    return list(zip(rows, report.files, strict=True))


def test_the_corpus_has_the_files_the_issue_describes(corpus: list) -> None:
    labels = [row["label"] for row, _ in corpus]
    assert labels.count("malicious") >= 95
    assert labels.count("benign") >= 12


def test_every_malicious_file_is_flagged(corpus: list) -> None:
    missed = [
        row["path"] for row, report in corpus if row["label"] == "malicious" and not report.flagged
    ]
    assert missed == []


def test_no_benign_file_is_flagged(corpus: list) -> None:
    flagged = {
        row["path"]: [f.message for f in report.findings if f.implies is not Verdict.SAFE]
        for row, report in corpus
        if row["label"] == "benign" and report.flagged
    }
    assert flagged == {}


def test_the_encrypted_member_is_noted_not_passed_silently(corpus: list) -> None:
    report = next(r for row, r in corpus if row["path"].endswith("benign_password_protected.zip"))
    assert report.verdict is Verdict.SAFE
    assert any("encrypted" in f.message and f.member == "test.txt" for f in report.findings)


def test_a_7z_archive_is_unsupported_not_safe(corpus: list) -> None:
    report = next(r for row, r in corpus if Path(row["path"]).suffix == ".7z")
    assert report.verdict is Verdict.UNSUPPORTED
