"""``failmodes serve``: the register as a web app, on 127.0.0.1 unless ``--host`` says otherwise.

``--create-admin NAME`` adds an admin account instead of serving; the password comes from
``$FAILMODES_ADMIN_PASSWORD`` when set (for scripts), else from a hidden prompt asked twice.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from failmodes.catalog import load_catalog
from failmodes.cli.common import OverlayOption, err_console, overlays
from failmodes.errors import RegisterError
from failmodes.store import register_location

PASSWORD_VARIABLE = "FAILMODES_ADMIN_PASSWORD"


def serve(
    *,
    register: Annotated[
        str | None,
        typer.Option(
            "--register",
            "--db",
            help="Register: a SQLite file or a postgresql:// URL. Default: $FAILMODES_REGISTER, "
            "else failmodes-register.sqlite here.",
            show_default=False,
        ),
    ] = None,
    host: Annotated[
        str, typer.Option(help="Address to listen on; anything but loopback reaches the network.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    create_admin: Annotated[
        str | None,
        typer.Option(
            "--create-admin",
            metavar="NAME",
            help=f"Add an admin account and exit; password from ${PASSWORD_VARIABLE} or a prompt.",
        ),
    ] = None,
    overlay: OverlayOption = None,
) -> None:
    """Serve the risk register as a web app for a workshop or a team."""
    from failmodes import web

    location = register_location(register)
    if create_admin is not None:
        password = os.environ.get(PASSWORD_VARIABLE) or typer.prompt(
            f"Password for {create_admin}", hide_input=True, confirmation_prompt=True
        )
        user = web.create_admin(location, create_admin, password)
        err_console.print(f"added admin {user.name} to {location}", markup=False)
        return
    if Path(location).suffix == ".sqlite" and not Path(location).exists():
        raise RegisterError(
            f"{location}: no register here yet; create it with `failmodes serve --create-admin "
            "NAME` (or `failmodes register add PROFILE`)."
        )
    err_console.print(f"failmodes serve: http://{host}:{port}/ over {location}", markup=False)
    if host not in ("127.0.0.1", "localhost", "::1"):
        err_console.print(
            f"warning: listening on {host}: anyone who reaches it sees the login page. "
            "Put it behind TLS.",
            markup=False,
        )
    web.serve(location, host=host, port=port, catalog=load_catalog(overlays(overlay)))


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
