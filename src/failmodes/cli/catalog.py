"""``failmodes catalog list | show | search | export`` and ``failmodes schema``."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Console

from failmodes.catalog import load_catalog
from failmodes.cli.common import OutputOption, OverlayOption, overlays, write_result
from failmodes.report.markdown import render_catalog_markdown
from failmodes.report.terminal import catalog_table
from failmodes.safeyaml import dump_yaml
from failmodes.schemas.json_schema import catalog_json_schema, profile_json_schema

catalog_app = typer.Typer(help="Browse and export the failure-mode catalog.", no_args_is_help=True)


class ExportFormat(StrEnum):
    JSON = "json"
    YAML = "yaml"
    MD = "md"


class SchemaName(StrEnum):
    PROFILE = "profile"
    CATALOG = "catalog"


@catalog_app.command("list")
def list_modes(overlay: OverlayOption = None) -> None:
    """List every failure mode, in the taxonomy's order."""
    Console().print(catalog_table(load_catalog(overlays(overlay))))


@catalog_app.command("show")
def show(
    mode_id: Annotated[str, typer.Argument(help="Failure mode id, e.g. model_stealing.")],
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f")] = ExportFormat.YAML,
    overlay: OverlayOption = None,
) -> None:
    """Show one failure mode in full."""
    mode = load_catalog(overlays(overlay)).get(mode_id)
    data = mode.model_dump(mode="json", by_alias=True, exclude_none=True)
    if fmt == ExportFormat.JSON:
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
    elif fmt == ExportFormat.MD:
        catalog = load_catalog(overlays(overlay))
        typer.echo(render_catalog_markdown(catalog.model_copy(update={"modes": (mode,)})))
    else:
        typer.echo(dump_yaml(data), nl=False)


@catalog_app.command("search")
def search(
    text: Annotated[str, typer.Argument(help="Words to look for (all must match).")],
    overlay: OverlayOption = None,
) -> None:
    """Find failure modes by words in their names, aliases, text, indicators or mitigations."""
    hits = load_catalog(overlays(overlay)).search(text)
    if not hits:
        typer.echo(f"No failure mode mentions {text!r}.", err=True)
        raise typer.Exit(1)
    for mode in hits:
        typer.echo(f"{mode.id}\t{mode.name}")


@catalog_app.command("export")
def export(
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f")] = ExportFormat.JSON,
    output: OutputOption = None,
    overlay: OverlayOption = None,
) -> None:
    """Export the whole catalog (with overlays applied) as JSON, YAML or Markdown."""
    catalog = load_catalog(overlays(overlay))
    if fmt == ExportFormat.MD:
        text = render_catalog_markdown(catalog)
    else:
        data = catalog.model_dump(mode="json", by_alias=True, exclude_none=True)
        text = (
            json.dumps(data, indent=2, ensure_ascii=False) + "\n"
            if fmt == ExportFormat.JSON
            else dump_yaml(data)
        )
    write_result(text, output)


def schema(
    name: Annotated[SchemaName, typer.Argument(help="profile or catalog")],
    output: OutputOption = None,
) -> None:
    """Print the JSON Schema of system profiles or catalog files, for editor completion."""
    data = profile_json_schema() if name == SchemaName.PROFILE else catalog_json_schema()
    write_result(json.dumps(data, indent=2) + "\n", output)


def register(app: typer.Typer) -> None:
    app.add_typer(catalog_app, name="catalog")
    app.command("schema")(schema)
