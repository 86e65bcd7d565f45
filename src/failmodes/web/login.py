"""Logging in and out, and the admin's page of accounts.

The login form has no session to tie a CSRF token to yet, so it uses a double-submit token: a
random value in a SameSite=Strict cookie that the form must repeat. A failed login says only
that the name or password is wrong, for an unknown name as for a wrong password.
"""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from failmodes.errors import InputError
from failmodes.web.accounts import SESSION_LIFETIME, Accounts, Role
from failmodes.web.app import (
    COOKIE,
    LOGIN_COOKIE,
    Context,
    Settings,
    UnreadableBody,
    error_page,
    new_login_token,
    page,
    read_form,
    render,
    secured,
)


def _safe_next(target: str) -> str:
    """Only a path on this site: never an open redirect to another one."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


async def login_form(request: Request) -> Response:
    token = request.cookies.get(LOGIN_COOKIE) or new_login_token()
    response = render(
        "login.html.j2", login_token=token, next=_safe_next(request.query_params.get("next", "/"))
    )
    response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict", path="/login")
    return response


async def login(request: Request) -> Response:
    try:
        form = await read_form(request)
    except UnreadableBody as exc:
        return error_page(exc.status, str(exc))
    cookie = request.cookies.get(LOGIN_COOKIE, "")
    sent = form.get("csrf", "")
    if not cookie or not sent or not hmac.compare_digest(cookie.encode(), sent.encode()):
        return error_page(403, "The login form's security token is missing or wrong; reload it.")
    settings: Settings = request.app.state.settings

    def check() -> Response:
        with settings.register() as register:
            session = Accounts(register).login(form.get("name", ""), form.get("password", ""))
        if session is None:
            return render(
                "login.html.j2",
                401,
                login_token=cookie,
                next=_safe_next(form.get("next", "/")),
                failed=True,
                name=form.get("name", ""),
            )
        response = secured(RedirectResponse(_safe_next(form.get("next", "/")), status_code=303))
        response.set_cookie(
            COOKIE,
            session.token,
            max_age=int(SESSION_LIFETIME.total_seconds()),
            httponly=True,
            samesite="strict",
            path="/",
        )
        return response

    return await run_in_threadpool(check)


@page(Role.VIEWER)
def logout(ctx: Context) -> Response:
    """End this session (the token is deleted from the register, not only the cookie)."""
    Accounts(ctx.register).logout(ctx.request.cookies.get(COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@page(Role.ADMIN)
def users(ctx: Context) -> Response:
    return ctx.render("users.html.j2", users=Accounts(ctx.register).users(), roles=list(Role))


@page(Role.ADMIN)
def add_user(ctx: Context) -> Response:
    """A new account, added by an admin (recorded in the history under the admin's name)."""
    accounts = Accounts(ctx.register)
    try:
        role = Role(ctx.form.get("role", ""))
        accounts.add_user(
            ctx.form.get("name", "").strip(), ctx.form.get("password", ""), role, actor=ctx.user
        )
    except (InputError, ValueError) as exc:
        message = str(exc) if isinstance(exc, InputError) else "choose a role from the list."
        return ctx.render(
            "users.html.j2", 400, users=accounts.users(), roles=list(Role), error=message
        )
    return RedirectResponse("/users", status_code=303)
