"""Registers to test against: a SQLite file, and a real PostgreSQL server when one is given.

``.ci/run`` starts Debian's PostgreSQL on loopback and sets ``FAILMODES_TEST_POSTGRES``; each
test then gets a schema of its own on it, dropped afterwards, so tests never see each other's
rows. Without the variable the PostgreSQL half skips and says how to run it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from urllib.parse import quote

import pytest

from failmodes.store import Register, open_register
from tests.conftest import EXAMPLES

POSTGRES = os.environ.get("FAILMODES_TEST_POSTGRES")
FRAUD = (EXAMPLES / "fraud-detection.yaml").read_text(encoding="utf-8")


def _postgres_schema() -> Iterator[str]:
    if not POSTGRES:
        pytest.skip(
            "no PostgreSQL server: set FAILMODES_TEST_POSTGRES=postgresql://… (.ci/run does)"
        )
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")  # type: ignore[arg-type]
    separator = "&" if "?" in POSTGRES else "?"
    try:
        yield f"{POSTGRES}{separator}options={quote(f'-csearch_path={schema}')}"
    finally:
        with psycopg.connect(POSTGRES, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")  # type: ignore[arg-type]


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request, tmp_path) -> Iterator[str]:
    """Where a fresh register lives, in each database."""
    if request.param == "sqlite":
        yield str(tmp_path / "register.sqlite")
    else:
        yield from _postgres_schema()


@pytest.fixture
def register(location) -> Iterator[Register]:
    with open_register(location) as opened:
        yield opened


@pytest.fixture
def fraud(register) -> str:
    """The fraud example in the register; its system id."""
    return register.add_profile(FRAUD, actor="ana", source="fraud-detection.yaml").system_id
