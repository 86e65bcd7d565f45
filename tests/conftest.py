"""Shared test helpers: paths to the repository, its examples and the shared reference data."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
SHARED = REPO.parent / "shared"


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test with the reason when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(
            f"{path} is absent: the shared reference data is not checked out beside the repo"
        )
    return path


@pytest.fixture
def examples() -> Path:
    return EXAMPLES


@pytest.fixture(scope="session")
def diagnosis_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The diagnosis demo's profile beside freshly generated model and data, as `make demo`
    builds it; built once a session, for the tests that only read it."""
    demo = EXAMPLES / "diagnosis"
    folder = tmp_path_factory.mktemp("diagnosis")
    subprocess.run(
        [sys.executable, str(demo / "build.py"), str(folder / "generated")],
        check=True,
        capture_output=True,
    )
    for name in ("profile.yaml", "requirements.txt"):
        shutil.copy(demo / name, folder / name)
    return folder / "profile.yaml"
