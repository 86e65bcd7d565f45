"""What every command shares: options, the two consoles, and writing results.

Results go to stdout (or ``--output FILE``) and nothing else does, so ``--format json`` can
be piped; messages, tables meant for people and progress bars go to stderr.
"""

from __future__ import annotations

import os
import tempfile
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from failmodes.errors import InputError

#: Human-facing output: tables, messages, progress. Never mixed into machine output.
err_console = Console(stderr=True)


def progress_bar(*, quiet: bool = False) -> Progress:
    """The progress display of long commands, on stderr so that stdout stays the result:
    a spinner, what runs, a bar, done of total and the time it has taken."""
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        disable=quiet,
    )


OverlayOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--catalog-overlay",
        "-O",
        help="Overlay YAML with your organization's changes to the catalog; repeat to stack.",
        show_default=False,
    ),
]
OutputOption = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write the result to this file instead of stdout."),
]
AdvisoriesOption = Annotated[
    Path | None,
    typer.Option(
        "--advisories",
        "-a",
        help="OSV advisory database: a folder or zip of YAML/JSON files. Default: the one "
        "`failmodes advisories update` saved.",
        show_default=False,
    ),
]
QuietOption = Annotated[
    bool, typer.Option("--quiet", "-q", help="Print only the result; no tables or messages.")
]


class TextFormat(StrEnum):
    MD = "md"
    JSON = "json"


def overlays(values: list[Path] | None) -> list[Path]:
    return list(values or [])


def write_result(text: str, output: Path | None, *, quiet: bool = False) -> None:
    """Write ``text`` to ``output`` atomically, or to stdout.

    The file is written beside its destination and renamed into place, so an interrupted run
    never leaves half a report where a good one stood.
    """
    if output is None:
        typer.echo(text, nl=not text.endswith("\n"))
        return
    if output.is_dir():
        raise InputError(f"{output}: is a directory; give a file name for --output.")
    parent = output.parent if str(output.parent) else Path(".")
    if not parent.is_dir():
        raise InputError(f"{output}: folder {parent} does not exist; create it first.")
    fd, tmp = tempfile.mkstemp(dir=parent, prefix=f".{output.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        # mkstemp creates the file private (0600); a report gets the user's usual mode.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        Path(tmp).replace(output)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if not quiet:
        err_console.print(f"Wrote {output}")
