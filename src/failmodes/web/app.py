"""The web app's plumbing: who is asking, may they, and is the request really theirs.

Every page goes through :func:`page`, which opens the register for the one request, finds the
session from its cookie, sends a stranger to the login page, refuses a role that may not do
what is asked (403), and refuses a state-changing request whose CSRF token is missing or
wrong (403): the synchronizer-token pattern of OWASP's CSRF cheat sheet, with SameSite=Strict
cookies as a second wall. Bodies are read up to :data:`MAX_BODY` bytes and only as
``application/x-www-form-urlencoded`` or JSON, so nothing parses multipart uploads.

Handlers are plain functions of a :class:`Context` that run in a worker thread, each on its own
database connection, and return a response. Every response carries a Content-Security-Policy
that allows scripts and styles from the app only (inline ``style`` attributes stay allowed for
Matplotlib's SVG), no framing, and no requests to other sites.
"""

from __future__ import annotations

import hmac
import json
import secrets
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import parse_qsl, quote

from jinja2 import Environment
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from failmodes import __version__
from failmodes.catalog import Catalog
from failmodes.errors import InputError, RegisterError
from failmodes.report.templating import template_environment
from failmodes.store import Register
from failmodes.store.database import connect
from failmodes.store.records import SystemRecord
from failmodes.web.accounts import Accounts, Role, Session

#: The session cookie; ``__Host-`` cannot be used on plain-HTTP loopback, so a plain name.
COOKIE = "failmodes_session"
#: The cookie that carries the login form's CSRF token before there is a session.
LOGIN_COOKIE = "failmodes_login"
#: The largest request body read (a profile or an assessment fits many times over).
MAX_BODY = 2 * 1024 * 1024

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' "
    "data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True)
class Settings:
    """What every request needs: where the register is and the catalog it reads with."""

    location: str
    catalog: Catalog

    @contextmanager
    def register(self) -> Iterator[Register]:
        register = Register(connect(self.location), self.catalog)
        try:
            yield register
        finally:
            register.close()


@dataclass
class Context:
    """One request as a handler sees it."""

    request: Request
    form: dict[str, str]
    register: Register
    session: Session
    settings: Settings
    params: dict[str, str] = field(default_factory=dict)

    @property
    def user(self) -> str:
        return self.session.user.name

    def system(self, system: str) -> SystemRecord:
        """The system ``system`` of the register; an unknown one is a 404 page."""
        try:
            return self.register.system(system)
        except RegisterError as exc:
            raise NotFound(str(exc)) from None

    def may(self, role: Role) -> bool:
        return self.session.user.role.allows(role)

    def render(self, template: str, code: int = 200, /, **values: Any) -> Response:
        return render(template, code, session=self.session, **values)


class NotFound(InputError):
    """A system (or another page) that is not there: 404."""


class UnreadableBody(InputError):
    """A request body over :data:`MAX_BODY` (413), or JSON that does not parse (400)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@cache
def environment() -> Environment:
    env = template_environment("failmodes.web")
    env.globals["version"] = __version__
    return env


def render(template: str, code: int = 200, /, **values: Any) -> Response:
    values.setdefault("session", None)
    html = environment().get_template(template).render(**values)
    return secured(HTMLResponse(html, status_code=code))


def secured(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def error_page(status: int, message: str, session: Session | None = None) -> Response:
    return render("error.html.j2", status, message=message, status=status, session=session)


async def read_form(request: Request) -> dict[str, str]:
    """The body as a flat mapping (the last value of a repeated key wins); at most MAX_BODY."""
    if request.method != "POST":
        return {}
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
        raise UnreadableBody(f"the request body is over {MAX_BODY:,} bytes.", 413)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise UnreadableBody(f"the request body is over {MAX_BODY:,} bytes.", 413)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    # Browsers send a textarea's line breaks as CRLF; the register keeps text as typed, in LF.
    text = body.decode("utf-8", errors="replace")
    if kind == "application/json":
        try:
            data = json.loads(text or "{}")
        except json.JSONDecodeError:
            raise UnreadableBody("the request body is not JSON.", 400) from None
        if not isinstance(data, dict):
            return {}
        fields = {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in data.items()}
    else:
        fields = dict(parse_qsl(text, keep_blank_values=True))
    return {k: v.replace("\r\n", "\n") for k, v in fields.items()}


Handler = Callable[[Context], Response]


def page(role: Role = Role.VIEWER) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """Wrap ``handler`` with login, ``role`` and (for POST) CSRF checks."""

    def wrap(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            try:
                form = await read_form(request)
            except UnreadableBody as exc:
                return error_page(exc.status, str(exc))
            return await run_in_threadpool(_handle, request, form, handler, role)

        endpoint.__name__ = handler.__name__
        endpoint.__doc__ = handler.__doc__
        return endpoint

    return wrap


def _handle(request: Request, form: dict[str, str], handler: Handler, role: Role) -> Response:
    settings: Settings = request.app.state.settings
    with settings.register() as register:
        session = Accounts(register).session(request.cookies.get(COOKIE, ""))
        if session is None:
            if request.method == "GET":
                query = f"?{request.url.query}" if request.url.query else ""
                target = quote(request.url.path + query, safe="")
                return secured(RedirectResponse(f"/login?next={target}", status_code=303))
            return error_page(403, "You are not logged in; log in and try again.")
        if request.method == "POST" and not csrf_ok(request, form, session.csrf):
            return error_page(
                403, "The form's security token is missing or wrong; reload and try again.", session
            )
        if not session.user.role.allows(role):
            return error_page(
                403,
                f"{session.user.name} is a {session.user.role.value}; this needs the "
                f"{role.value} role or a higher one.",
                session,
            )
        context = Context(request, form, register, session, settings, dict(request.path_params))
        try:
            return secured(handler(context))
        except NotFound as exc:
            return error_page(404, str(exc), session)
        except InputError as exc:
            return error_page(400, str(exc), session)


def csrf_ok(request: Request, form: dict[str, str], expected: str) -> bool:
    sent = form.get("csrf") or request.headers.get("x-csrf-token", "")
    return bool(sent) and hmac.compare_digest(sent.encode(), expected.encode())


def new_login_token() -> str:
    return secrets.token_urlsafe(32)
