"""Pages that read the register: systems at a glance, one system, its evidence and history,
and the exports (reports as Markdown, HTML or JSON; the register as YAML).

Exports are the same files the command line writes (``failmodes report``, ``failmodes
register export``), made by the same renderers, so a report downloaded from the browser and
one rendered in a terminal are one file.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import count

from starlette.responses import RedirectResponse, Response

from failmodes.errors import RegisterError
from failmodes.report.contract import from_json, to_json
from failmodes.report.markdown import render_markdown
from failmodes.report.register import register_rows, systems_rows
from failmodes.store import system_id
from failmodes.store.exchange import export_text
from failmodes.threatmodel.model import ThreatModel
from failmodes.threatmodel.outcome import overall_risk
from failmodes.web.accounts import Role
from failmodes.web.app import Context, page
from failmodes.web.heatmap import matrix_svg, systems_svg

#: Most history entries one page shows (the newest); the export holds all of them.
HISTORY_PAGE = 500


def _html(model: ThreatModel) -> str:
    from failmodes.report.html import render_html

    return render_html(model)


#: Report formats: (media type, renderer), as ``failmodes report`` writes them.
REPORTS: dict[str, tuple[str, Callable[[ThreatModel], str]]] = {
    "md": ("text/markdown; charset=utf-8", render_markdown),
    "html": ("text/html; charset=utf-8", _html),
    "json": ("application/json", to_json),
}


@page(Role.VIEWER)
def overview(ctx: Context) -> Response:
    """Every system with its highest risk in force, and a heat map of them all."""
    register = ctx.register
    systems = register.systems()
    models = {s.id: register.current(s.id) for s in systems}
    rows = systems_rows(systems, models)
    heat = (
        systems_svg([s.name for s in systems], [models[s.id] for s in systems], "systems-heat")
        if systems
        else None
    )
    return ctx.render("systems.html.j2", rows=rows, heat=heat, where=register.where)


@page(Role.VIEWER)
def system(ctx: Context) -> Response:
    sid = ctx.params["system"]
    record = ctx.system(sid)
    model = ctx.register.current(sid)
    decisions = ctx.register.decisions(sid)
    overall = overall_risk(model)
    return ctx.render(
        "system.html.j2",
        system=record,
        model=model,
        overall=overall.value if overall else None,
        rows=register_rows(model, decisions),
        heat=matrix_svg(model, "system-heat"),
        assessments=ctx.register.assessments(sid),
        formats=list(REPORTS),
    )


@page(Role.VIEWER)
def evidence(ctx: Context) -> Response:
    """The findings of the latest assessment, per mode, with the plots the probes drew."""
    sid = ctx.params["system"]
    record = ctx.system(sid)
    model = ctx.register.current(sid)
    from failmodes.report.html import finding_figures

    numbers = count(1)
    modes = [
        (mode, [(f, finding_figures(f, numbers)) for f in mode.findings])
        for mode in model.applicable
    ]
    return ctx.render(
        "evidence.html.j2",
        system=record,
        modes=modes,
        assessments=ctx.register.assessments(sid),
        measured=any(findings for _, findings in modes),
    )


@page(Role.EDITOR)
def add_assessment(ctx: Context) -> Response:
    """Record an assessment (``failmodes scan`` JSON, pasted or read from a file by the page's
    script) of this system, as ``failmodes register add --assessment`` does."""
    sid = ctx.params["system"]
    ctx.system(sid)
    model = from_json(ctx.form.get("assessment", ""), source="the uploaded assessment")
    if system_id(model.profile.name) != sid:
        raise RegisterError(
            f"the assessment is of {system_id(model.profile.name)}, not of {sid}; record it there."
        )
    ctx.register.add_assessment(model, actor=ctx.user)
    return RedirectResponse(f"/systems/{sid}/evidence", status_code=303)


@page(Role.VIEWER)
def history(ctx: Context) -> Response:
    sid = ctx.params.get("system")
    record = ctx.system(sid) if sid else None
    entries = ctx.register.history(sid, limit=HISTORY_PAGE)
    return ctx.render("history.html.j2", system=record, entries=list(reversed(entries)))


@page(Role.VIEWER)
def report(ctx: Context) -> Response:
    """The system's report as it stands, as a download."""
    sid, fmt = ctx.params["system"], ctx.params["format"]
    if fmt not in REPORTS:
        return Response("unknown report format; use md, html or json.", status_code=404)
    ctx.system(sid)
    media, renderer = REPORTS[fmt]
    return Response(
        renderer(ctx.register.current(sid)),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{sid}-report.{fmt}"'},
    )


@page(Role.VIEWER)
def export_register(ctx: Context) -> Response:
    """The register (or one system of it, ``?system=``) as YAML, as ``register export``."""
    sid = ctx.request.query_params.get("system")
    systems = [ctx.system(sid).id] if sid else None
    name = f"{sid}-register.yaml" if sid else "failmodes-register.yaml"
    return Response(
        export_text(ctx.register, "yaml", systems),
        media_type="application/yaml",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
