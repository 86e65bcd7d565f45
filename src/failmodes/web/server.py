"""The app's routes, and the server that runs it.

The server listens on 127.0.0.1 unless another host is asked for: a register holds a team's
judgement on its own weaknesses and should not be on a network by accident. Each route says
the least role it needs (:func:`~failmodes.web.app.page`); every ``POST`` route is a change
and needs a CSRF token.
"""

from __future__ import annotations

import socket
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

from failmodes.catalog import Catalog, load_catalog
from failmodes.errors import InputError, RegisterError
from failmodes.store import Register
from failmodes.store.database import connect
from failmodes.web.accounts import Accounts, Role, User, check_password

if TYPE_CHECKING:
    from starlette.applications import Starlette

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def _missing_extra(exc: ImportError) -> RegisterError:
    return RegisterError(
        f"the web app needs the web extra ({(exc.name or 'a module').split('.')[0]} is missing): "
        "pip install 'failmodes[web]'."
    )


def create_app(location: str | Path, catalog: Catalog | None = None) -> Starlette:
    """The ASGI app over the register at ``location`` (opened and migrated now, so a bad
    location fails here rather than on the first request)."""
    try:
        from starlette.applications import Starlette
        from starlette.routing import Mount, Route
        from starlette.staticfiles import StaticFiles
    except ImportError as exc:
        raise _missing_extra(exc) from None
    from failmodes.web import login, profiles, systems, walkthrough
    from failmodes.web.app import Settings

    settings = Settings(str(location), catalog if catalog is not None else load_catalog())
    with settings.register():
        pass
    static = StaticFiles(directory=str(files("failmodes.web") / "static"))
    routes = [
        Route("/login", login.login_form, methods=["GET"]),
        Route("/login", login.login, methods=["POST"]),
        Route("/logout", login.logout, methods=["POST"]),
        Route("/users", login.users, methods=["GET"]),
        Route("/users", login.add_user, methods=["POST"]),
        Route("/", systems.overview, methods=["GET"]),
        Route("/history", systems.history, methods=["GET"]),
        Route("/register.yaml", systems.export_register, methods=["GET"]),
        Route("/validate", profiles.validate, methods=["POST"]),
        Route("/systems/new", profiles.editor, methods=["GET"]),
        Route("/systems", profiles.save, methods=["POST"]),
        Route("/systems/{system}", systems.system, methods=["GET"]),
        Route("/systems/{system}/profile", profiles.editor, methods=["GET"]),
        Route("/systems/{system}/profile", profiles.save, methods=["POST"]),
        Route("/systems/{system}/evidence", systems.evidence, methods=["GET"]),
        Route("/systems/{system}/assessments", systems.add_assessment, methods=["POST"]),
        Route("/systems/{system}/history", systems.history, methods=["GET"]),
        Route("/systems/{system}/report.{format}", systems.report, methods=["GET"]),
        Route("/systems/{system}/workshop", walkthrough.walk, methods=["GET"]),
        Route("/systems/{system}/workshop/finish", walkthrough.close, methods=["POST"]),
        Route("/systems/{system}/workshop/{mode}", walkthrough.answer, methods=["POST"]),
        Route("/systems/{system}/modes/{mode}/comments", walkthrough.comment, methods=["POST"]),
        Mount("/static", static, name="static"),
    ]
    app = Starlette(routes=routes)
    app.state.settings = settings
    return app


def create_admin(location: str | Path, name: str, password: str) -> User:
    """Add an admin account to the register at ``location`` (the first one, typically); the
    history records the admin as having added themselves."""
    check_password(password)  # before the register is created
    register = Register(connect(location), load_catalog())
    try:
        return Accounts(register).add_user(name, password, Role.ADMIN, actor=name)
    finally:
        register.close()


def _check_free(host: str, port: int) -> None:
    """Fail in one line when the address cannot be listened on (uvicorn would log and exit)."""
    try:
        family, kind, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise InputError(
            f"cannot listen on {host}:{port}: {reason}; choose another --port or --host."
        ) from None


def serve(
    location: str | Path,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    catalog: Catalog | None = None,
) -> None:
    """Serve the register at ``location`` until interrupted."""
    try:
        import uvicorn
    except ImportError as exc:
        raise _missing_extra(exc) from None
    app = create_app(location, catalog)
    with app.state.settings.register() as register:
        if not Accounts(register).users():
            raise RegisterError(
                f"{register.where} has no accounts, so nobody could log in; add the first admin "
                "with `failmodes serve --create-admin NAME`."
            )
    _check_free(host, port)
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)
