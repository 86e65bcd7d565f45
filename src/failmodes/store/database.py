"""One small interface over the two databases the register runs on: SQLite and PostgreSQL.

SQLite (the standard library's ``sqlite3``) is the zero-set-up default: a file next to the
profile. PostgreSQL (``psycopg``, the ``postgres`` extra, imported only when a
``postgresql://`` URL is given) serves a team. The register writes portable SQL with ``?``
placeholders; this module turns them into ``%s`` for psycopg and gives both the same
transactions: every write runs inside one, so a process killed mid-write leaves the database
as it was before the write began.

SQLite runs in WAL mode with ``synchronous=FULL``: readers never block the writer, and a
committed decision survives a crash of the process or the machine. ``BEGIN IMMEDIATE`` takes the
write lock at the start of a transaction, so two writers queue instead of failing half-way.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from failmodes.errors import RegisterError

#: Seconds a writer waits for another writer's lock before giving up with a clear error.
LOCK_TIMEOUT_S = 30.0

Row = tuple[Any, ...]


class Database(Protocol):
    """What the register needs from a database connection."""

    dialect: str
    where: str

    def transaction(self) -> Any:
        """A context manager: commit on success, roll back on any exception."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run one statement; the rows it returns (none for writes)."""

    def close(self) -> None: ...


class SqliteDatabase:
    """A register in one SQLite file."""

    dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        self.where = str(path)
        if not path.parent.is_dir():
            raise RegisterError(f"{path}: the folder for the register does not exist.")
        try:
            self._conn = sqlite3.connect(path, timeout=LOCK_TIMEOUT_S, isolation_level=None)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.execute("PRAGMA foreign_keys=ON")
        except sqlite3.DatabaseError as exc:
            raise RegisterError(
                f"{path}: not a register database ({exc}); give another --db path."
            ) from None
        self._depth = 0

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._depth:  # nested: part of the outer transaction
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._run("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
        except BaseException:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            raise
        else:
            self._run("COMMIT")
        finally:
            self._depth = 0

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return self._run(sql, params)

    def _run(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        try:
            return [tuple(row) for row in self._conn.execute(sql, tuple(params)).fetchall()]
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise RegisterError(
                    f"{self.where}: another process held the register for {LOCK_TIMEOUT_S:g} s; "
                    "try again when it has finished."
                ) from None
            raise
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.IntegrityError):
                raise
            raise RegisterError(
                f"{self.where}: the register database is damaged ({exc})."
            ) from None

    def close(self) -> None:
        self._conn.close()


class PostgresDatabase:
    """A register in a PostgreSQL database, for a team."""

    dialect = "postgresql"

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        # Where messages may name it: never the password.
        self.where = (
            f"postgresql://{parts.hostname or 'localhost'}"
            + (f":{parts.port}" if parts.port else "")
            + parts.path
        )
        try:
            import psycopg
        except ImportError:
            raise RegisterError(
                "a PostgreSQL register needs psycopg: pip install 'failmodes[postgres]'."
            ) from None
        try:
            self._conn = psycopg.connect(url, connect_timeout=10)
        except psycopg.Error as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            if parts.password:
                reason = reason.replace(parts.password, "***")
            raise RegisterError(f"cannot open the register at {self.where}: {reason}.") from None
        self._psycopg = psycopg
        self._depth = 0

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._depth = 1
        try:
            with self._conn.transaction():
                yield
        finally:
            self._depth = 0

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with self._conn.cursor() as cursor:
            cursor.execute(_pyformat(sql), tuple(params))
            rows = cursor.fetchall() if cursor.description is not None else []
        if not self._depth:
            self._conn.commit()
        return [tuple(row) for row in rows]

    def close(self) -> None:
        self._conn.close()

    @property
    def integrity_error(self) -> type[Exception]:
        return self._psycopg.IntegrityError


_PLACEHOLDER = re.compile(r"\?")


def _pyformat(sql: str) -> str:
    """``?`` placeholders as psycopg's ``%s``; the register's SQL has no literal ``?``/``%``."""
    return _PLACEHOLDER.sub("%s", sql)


def connect(location: str | Path) -> Database:
    """The register at ``location``: a ``postgresql://`` URL, or a SQLite file path
    (``sqlite:///path`` or a plain path)."""
    text = str(location)
    if text.startswith(("postgresql://", "postgres://")):
        return PostgresDatabase(text)
    if text.startswith("sqlite:///"):
        text = text.removeprefix("sqlite://")
    elif "://" in text:
        scheme = text.split("://", 1)[0]
        raise RegisterError(
            f"register URL scheme {scheme!r} is not supported; give a SQLite file path or a "
            "postgresql:// URL."
        )
    return SqliteDatabase(Path(text))


def is_integrity_error(db: Database, exc: BaseException) -> bool:
    """Whether ``exc`` is the database refusing a duplicate key."""
    if isinstance(exc, sqlite3.IntegrityError):
        return True
    error = getattr(db, "integrity_error", None)
    return error is not None and isinstance(exc, error)
