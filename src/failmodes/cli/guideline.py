"""``failmodes guideline``: the organization's guideline as a document, and what a change to
it changes (``failmodes guideline diff OLD NEW``)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from failmodes.catalog import load_catalog
from failmodes.catalog.compare import compare_catalogs
from failmodes.cli.common import OutputOption, OverlayOption, overlays, write_result
from failmodes.report.guideline import render_guideline_diff, render_guideline_markdown

guideline_app = typer.Typer(
    help="Write the guideline (catalog + overlays) as a document, or diff two versions.",
    invoke_without_command=True,
)


class GuidelineFormat(StrEnum):
    MD = "md"
    HTML = "html"


@guideline_app.callback()
def guideline(
    ctx: typer.Context,
    overlay: OverlayOption = None,
    fmt: Annotated[
        GuidelineFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="md or html; default: the --output file's ending, else md.",
            show_default=False,
        ),
    ] = None,
    output: OutputOption = None,
) -> None:
    """The guideline in force: scope, risk appetite, release gate, every failure mode with when
    it applies, required tests and thresholds, mitigations and owners' obligations, and the
    retired modes with their reasons."""
    if ctx.invoked_subcommand is not None:
        return
    catalog = load_catalog(overlays(overlay))
    chosen = fmt or (
        GuidelineFormat.HTML
        if output is not None and output.suffix.lower() in (".html", ".htm")
        else GuidelineFormat.MD
    )
    if chosen == GuidelineFormat.HTML:
        from failmodes.report.guideline_html import render_guideline_html

        text = render_guideline_html(catalog)
    else:
        text = render_guideline_markdown(catalog)
    write_result(text, output)


@guideline_app.command("diff")
def diff(
    old: Annotated[Path, typer.Argument(help="The overlay before the change.")],
    new: Annotated[Path, typer.Argument(help="The overlay after the change.")],
    base: Annotated[
        list[Path] | None,
        typer.Option("--base", help="Overlays both versions stack on; repeat to stack."),
    ] = None,
    output: OutputOption = None,
) -> None:
    """What changing the overlay OLD into NEW changes in the guideline: modes added or
    retired, thresholds moved, gate tightened or loosened (Markdown, for a pull request)."""
    under = overlays(base)
    changes = compare_catalogs(load_catalog([*under, old]), load_catalog([*under, new]))
    write_result(render_guideline_diff(changes, str(old), str(new)), output)


def register(app: typer.Typer) -> None:
    app.add_typer(guideline_app, name="guideline")
