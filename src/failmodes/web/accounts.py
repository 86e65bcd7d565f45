"""People who use the web app: accounts with hashed passwords, roles, and login sessions.

Passwords are hashed with scrypt (Percival 2009; RFC 7914), the memory-hard function in
Python's standard library, with a random 16-byte salt per password and the parameters stored
next to the hash so they can be raised later without breaking old accounts. The cost chosen
(n = 2**14, r = 8, p = 1: 16 MiB and some 50 ms a check) follows OWASP's password-storage
cheat sheet. Checks compare in constant time.

A session is a random 256-bit token sent as an HttpOnly, SameSite=Strict cookie; the register
keeps only its SHA-256, so a copy of the database does not let anyone log in. Each session has
its own CSRF token that every form and every state-changing request must send back.

Roles nest: a *viewer* reads, an *editor* also decides, comments and edits profiles, an
*admin* also manages accounts. Adding an account is recorded in the register's history under
the name of whoever added it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from base64 import b64decode, b64encode
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from failmodes.errors import RegisterError
from failmodes.store import Register
from failmodes.store.clock import now
from failmodes.store.database import is_integrity_error

#: scrypt cost parameters for new hashes (see the module docstring).
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
#: Shortest password accepted; NIST SP 800-63B asks for at least 8 characters.
MIN_PASSWORD = 8
#: Longest password read: scrypt takes any length, but a request body should stay small.
MAX_PASSWORD = 1_024
#: How long a login lasts.
SESSION_LIFETIME = timedelta(hours=12)

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


class Role(StrEnum):
    """What an account may do; each role may do everything the one before it may."""

    VIEWER = "viewer"
    EDITOR = "editor"
    ADMIN = "admin"

    def allows(self, needed: Role) -> bool:
        order = list(Role)
        return order.index(self) >= order.index(needed)


@dataclass(frozen=True)
class User:
    name: str
    role: Role


@dataclass(frozen=True)
class Session:
    """A logged-in user; ``token`` only right after login (the register keeps its hash)."""

    user: User
    csrf: str
    token: str = ""


def hash_password(password: str) -> str:
    """``scrypt$n$r$p$salt$hash`` (salt and hash in base64) for ``password``."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32
    )
    return "$".join(
        ("scrypt", str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P), _b64(salt), _b64(digest))
    )


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches ``stored`` (as :func:`hash_password` wrote it)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = b64decode(digest)
        found = hashlib.scrypt(
            password.encode("utf-8"),
            salt=b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
            maxmem=2**26,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(found, expected)


def _b64(data: bytes) -> str:
    return b64encode(data).decode("ascii")


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise RegisterError(f"a password needs at least {MIN_PASSWORD} characters.")
    if len(password) > MAX_PASSWORD:
        raise RegisterError(f"a password holds at most {MAX_PASSWORD} characters.")


class Accounts:
    """The accounts and sessions kept in one register."""

    def __init__(self, register: Register) -> None:
        self.register = register
        self.db = register.db

    def users(self) -> list[User]:
        rows = self.db.execute("SELECT name, role FROM users ORDER BY name")
        return [User(r[0], Role(r[1])) for r in rows]

    def add_user(self, name: str, password: str, role: Role, *, actor: str) -> User:
        """A new account; refuses a name that is taken or not a plain login name."""
        if not _NAME.match(name):
            raise RegisterError(
                f"user name {name!r}: use 1-64 letters, digits or . _ @ -, starting with a "
                "letter or digit."
            )
        check_password(password)
        try:
            with self.db.transaction():
                self.db.execute(
                    "INSERT INTO users (name, password_hash, role, created_at) VALUES (?, ?, ?, ?)",
                    (name, hash_password(password), role.value, now()),
                )
                self.register.audit(actor, "add_user", f"added user {name} ({role.value})")
        except Exception as exc:
            if is_integrity_error(self.db, exc):
                raise RegisterError(f"user {name!r} exists already.") from None
            raise
        return User(name, role)

    def login(self, name: str, password: str) -> Session | None:
        """A new session when ``password`` is ``name``'s, else ``None``."""
        rows = self.db.execute("SELECT password_hash, role FROM users WHERE name = ?", (name,))
        if not rows or len(password) > MAX_PASSWORD:
            # Spend the same work on an unknown name, so timing does not tell which names exist.
            verify_password(password[:MAX_PASSWORD], _DUMMY_HASH)
            return None
        if not verify_password(password, rows[0][0]):
            return None
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        start = datetime.now(UTC)
        with self.db.transaction():
            self.db.execute("DELETE FROM sessions WHERE expires_at < ?", (start.isoformat(),))
            self.db.execute(
                "INSERT INTO sessions (token_hash, user_name, csrf, created_at, expires_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    _token_hash(token),
                    name,
                    csrf,
                    start.isoformat(),
                    (start + SESSION_LIFETIME).isoformat(),
                ),
            )
        return Session(User(name, Role(rows[0][1])), csrf, token)

    def session(self, token: str) -> Session | None:
        """The live session of ``token``; ``None`` when unknown or expired."""
        if not token:
            return None
        rows = self.db.execute(
            "SELECT u.name, u.role, s.csrf, s.expires_at FROM sessions s "
            "JOIN users u ON u.name = s.user_name WHERE s.token_hash = ?",
            (_token_hash(token),),
        )
        if not rows or rows[0][3] < datetime.now(UTC).isoformat():
            return None
        return Session(User(rows[0][0], Role(rows[0][1])), rows[0][2])

    def logout(self, token: str) -> None:
        with self.db.transaction():
            self.db.execute("DELETE FROM sessions WHERE token_hash = ?", (_token_hash(token),))


_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))
