"""The profile editor: a system's profile as YAML text, checked as it is typed.

The page's script posts the text to ``/validate`` a moment after each keystroke; the answer
comes from the same loader that ``failmodes threat-model`` uses (safe YAML, the profile
schema), with every problem rather than only the first, each with its line and field path.
Saving writes a new profile version to the register; a text whose ``name`` belongs to
another system is refused, so an edit never moves decisions to a different system.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from starlette.responses import JSONResponse, RedirectResponse, Response

from failmodes.errors import ProfileError
from failmodes.profile.loader import profile_from_text
from failmodes.profile.schema import Profile
from failmodes.profile.starter import starter_profile
from failmodes.safeyaml import parse_yaml
from failmodes.store import system_id
from failmodes.validation import describe_error, dotted
from failmodes.web.accounts import Role
from failmodes.web.app import Context, page

SOURCE = "profile"
_LINE = re.compile(r"\bline (\d+)\b")


def problems(text: str) -> list[dict[str, Any]]:
    """Every problem of ``text`` as a profile: ``{"line", "path", "message"}`` each; none
    when :func:`~failmodes.profile.loader.profile_from_text` accepts it."""
    try:
        profile_from_text(text, source=SOURCE)
    except ProfileError as exc:
        first = str(exc)
    else:
        return []
    try:
        doc = parse_yaml(text, path=Path(SOURCE), what="system profile", error=ProfileError)
        if not isinstance(doc.data, dict):
            raise ValueError
        Profile.model_validate(doc.data)
    except ValidationError as exc:
        found = []
        for err in exc.errors():
            location = [p for p in err["loc"] if not (isinstance(p, str) and p[:1].isupper())]
            found.append(
                {
                    "line": doc.line_of(location),
                    "path": dotted(location),
                    "message": describe_error(dict(err), Profile, doc).split(": ", 1)[-1],
                }
            )
        return found
    except (ProfileError, ValueError):
        pass
    # Not YAML, or not a mapping: the loader's own sentence, with its line when it has one.
    where, _, message = first.partition(": ")
    line = where.rsplit(":", 1)[-1]
    named = _LINE.search(message)
    number = int(line) if line.isdigit() else int(named.group(1)) if named else None
    return [{"line": number, "path": "", "message": message}]


@page(Role.EDITOR)
def validate(ctx: Context) -> Response:
    """``{"ok": bool, "problems": [...]}`` for the posted ``text``."""
    found = problems(ctx.form.get("text", ""))
    return JSONResponse({"ok": not found, "problems": found})


@page(Role.VIEWER)
def editor(ctx: Context) -> Response:
    sid = ctx.params.get("system")
    if sid is None:
        return ctx.render(
            "profile.html.j2", system=None, text=starter_profile(), problems=[], versions=[]
        )
    record = ctx.system(sid)
    return ctx.render(
        "profile.html.j2",
        system=record,
        text=ctx.register.profile_text(sid),
        problems=[],
        versions=ctx.register.profile_versions(sid),
    )


@page(Role.EDITOR)
def save(ctx: Context) -> Response:
    """A new system (no system in the path) or a new profile version of one."""
    sid = ctx.params.get("system")
    record = ctx.system(sid) if sid else None
    text = ctx.form.get("text", "")
    found = problems(text)
    if not found:
        name = profile_from_text(text, source=SOURCE).name
        if record is not None and system_id(name) != record.id:
            found = [
                {
                    "line": None,
                    "path": "name",
                    "message": f"this is the profile of {record.id}; a name that gives another "
                    f"system id ({system_id(name)}) belongs in a new system.",
                }
            ]
    if found:
        return ctx.render(
            "profile.html.j2",
            400,
            system=record,
            text=text,
            problems=found,
            versions=ctx.register.profile_versions(sid) if sid else [],
        )
    version = ctx.register.add_profile(text, actor=ctx.user, source=SOURCE)
    return RedirectResponse(f"/systems/{version.system_id}", status_code=303)
