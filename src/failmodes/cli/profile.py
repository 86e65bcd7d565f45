"""``failmodes init``: write a commented starter profile, or ask for it interactively."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from failmodes.cli.common import err_console, write_result
from failmodes.errors import InputError
from failmodes.profile.loader import load_profile
from failmodes.profile.starter import starter_profile


def _ask(
    path: str, description: str, choices: list[str] | None, default: Any, is_list: bool
) -> Any:
    if description:
        err_console.print(f"[dim]{description}[/dim]")
    if is_list:
        shown = ", ".join(map(str, default or []))
        hint = f" ({', '.join(choices)}; comma-separated)" if choices else " (comma-separated)"
        while True:
            raw = typer.prompt(f"{path}{hint}", default=shown, err=True)
            values = [v.strip() for v in raw.split(",") if v.strip()]
            bad = [v for v in values if choices and v not in choices]
            if not bad:
                return values
            err_console.print(f"[red]not allowed: {', '.join(bad)}[/red]")
    if choices == ["true", "false"]:
        return typer.confirm(path, default=bool(default), err=True)
    if choices:
        while True:
            answer = typer.prompt(f"{path} ({', '.join(choices)})", default=default, err=True)
            if answer in choices:
                return answer
            err_console.print(f"[red]{answer!r} is not one of the allowed values[/red]")
    if default is None:
        answer = typer.prompt(f"{path} (empty to skip)", default="", show_default=False, err=True)
        return answer or None
    return typer.prompt(path, default=default, err=True)


def init(
    path: Annotated[Path, typer.Argument(help="Where to write the profile.")] = Path(
        "profile.yaml"
    ),
    name: Annotated[str, typer.Option(help="Name of the system.")] = "My ML system",
    interactive: Annotated[
        bool, typer.Option("--interactive", "-i", help="Ask the questions.")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented starter system profile."""
    if path.exists() and not force:
        raise InputError(
            f"{path}: already exists; choose another path or pass --force to overwrite it."
        )
    if interactive:
        name = typer.prompt("Name of the system", default=name, err=True)
    text = starter_profile(name, ask=_ask if interactive else None)
    write_result(text, path)
    load_profile(path)  # what we write must load; a failure here is our bug, not the user's


def register(app: typer.Typer) -> None:
    app.command("init")(init)
