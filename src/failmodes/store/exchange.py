"""The register as a file: YAML or JSON that git can diff, and back.

An export holds, per system, every profile version (its YAML text as a block), every
assessment (its JSON contract as data), the decisions with their revisions, the comments, the
workshops with their steps and the history, in the order they happened. Importing an export
into another register and exporting again gives the same file byte for byte; an assessment
whose content no longer matches its id (an edited export) is refused, and so is a system the
register already holds: an import adds, it never overwrites.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from failmodes.errors import RegisterError
from failmodes.safeyaml import MAX_YAML_BYTES, parse_yaml
from failmodes.store import workshops
from failmodes.store.records import RegisterDecision, Workshop
from failmodes.store.register import Register
from failmodes.validation import dotted

FORMAT_VERSION = 1


class _BlockDumper(yaml.SafeDumper):
    """Safe YAML that writes multi-line text (profiles) as readable ``|`` blocks."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value and value == value.rstrip(" ") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _text)


def export_data(register: Register, systems: list[str] | None = None) -> dict[str, Any]:
    """The register (or the ``systems`` named) as plain data."""
    ids = systems if systems else [s.id for s in register.systems()]
    out = []
    for sid in ids:
        record = register.system(sid)
        db = register.db
        profiles = db.execute(
            "SELECT version, digest, created_at, created_by, content FROM profiles "
            "WHERE system_id = ? ORDER BY version",
            (sid,),
        )
        assessments = db.execute(
            "SELECT id, profile_version, kind, created_at, created_by, content FROM assessments "
            "WHERE system_id = ? ORDER BY created_at, id",
            (sid,),
        )
        out.append(
            {
                "id": record.id,
                "name": record.name,
                "created_at": record.created_at,
                "created_by": record.created_by,
                "profiles": [
                    dict(
                        zip(
                            ("version", "digest", "created_at", "created_by", "content"),
                            r,
                            strict=True,
                        )
                    )
                    for r in profiles
                ],
                "assessments": [
                    {
                        **dict(
                            zip(
                                ("id", "profile_version", "kind", "created_at", "created_by"),
                                r[:5],
                                strict=True,
                            )
                        ),
                        "content": json.loads(r[5]),
                    }
                    for r in assessments
                ],
                "decisions": [d.model_dump(mode="json") for d in register.decisions(sid).values()],
                "comments": [
                    c.model_dump(exclude={"id", "system_id"}) for c in register.comments(sid)
                ],
                "workshops": [
                    w.model_dump(mode="json", exclude={"id", "system_id"})
                    for w in register.workshops(sid)
                ],
                "history": [h.model_dump(exclude={"system_id"}) for h in register.history(sid)],
            }
        )
    return {"failmodes_register": FORMAT_VERSION, "systems": out}


def export_text(register: Register, fmt: str, systems: list[str] | None = None) -> str:
    data = export_data(register, systems)
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return yaml.dump(data, Dumper=_BlockDumper, sort_keys=False, allow_unicode=True, width=100)


def read_export(path: Path) -> dict[str, Any]:
    """An export file, read safely (JSON is YAML) and bounded in size."""
    if not path.is_file():
        raise RegisterError(f"{path}: no such export file.")
    if path.stat().st_size > MAX_YAML_BYTES:
        raise RegisterError(
            f"{path}: over {MAX_YAML_BYTES:,} bytes; export fewer systems per file."
        )
    data = parse_yaml(
        path.read_text("utf-8"), path=path, what="register export", error=RegisterError
    ).data
    if not isinstance(data, dict) or data.get("failmodes_register") != FORMAT_VERSION:
        raise RegisterError(
            f"{path}: not a failmodes register export (expected `failmodes_register: "
            f"{FORMAT_VERSION}` at the top)."
        )
    return data


def _field(item: dict[str, Any], key: str, where: str) -> Any:
    if key not in item:
        raise RegisterError(f"{where}: `{key}` is missing.")
    return item[key]


def import_data(register: Register, data: dict[str, Any], *, source: str) -> list[str]:
    """Add the systems of an export to ``register`` in one transaction; their ids."""
    systems = data.get("systems")
    if not isinstance(systems, list):
        raise RegisterError(f"{source}: `systems` must be a list.")
    db = register.db
    added = []
    with db.transaction():
        for index, item in enumerate(systems):
            where = f"{source}: systems[{index}]"
            if not isinstance(item, dict):
                raise RegisterError(f"{where}: a system is a mapping.")
            sid = str(_field(item, "id", where))
            if db.execute("SELECT 1 FROM systems WHERE id = ?", (sid,)):
                raise RegisterError(
                    f"{where}: {register.where} already holds system {sid!r}; nothing was "
                    "imported. Import into another register, or remove it there first."
                )
            db.execute(
                "INSERT INTO systems (id, name, created_at, created_by) VALUES (?, ?, ?, ?)",
                (sid, *(_field(item, k, where) for k in ("name", "created_at", "created_by"))),
            )
            try:
                _import_rows(register, sid, item, where)
            except (KeyError, TypeError, AttributeError) as exc:
                raise RegisterError(
                    f"{where}: a record is malformed ({type(exc).__name__}: {exc}); nothing was "
                    "imported. Is this file an unedited export?"
                ) from None
            except ValidationError as exc:
                first = exc.errors()[0]
                raise RegisterError(
                    f"{where}: a decision is invalid: {dotted(first['loc'])}: {first['msg']}; "
                    "nothing was imported."
                ) from None
            added.append(sid)
    return added


def _import_rows(register: Register, sid: str, item: dict[str, Any], where: str) -> None:
    db = register.db
    for p in item.get("profiles", []):
        content = str(_field(p, "content", where))
        if hashlib.sha256(content.encode("utf-8")).hexdigest() != p.get("digest"):
            raise RegisterError(
                f"{where}: profile version {p.get('version')} does not match its digest."
            )
        db.execute(
            "INSERT INTO profiles (system_id, version, content, digest, created_at, created_by) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (sid, p["version"], content, p["digest"], p["created_at"], p["created_by"]),
        )
    for a in item.get("assessments", []):
        text = json.dumps(_field(a, "content", where), indent=2, ensure_ascii=False) + "\n"
        if hashlib.sha256(text.encode("utf-8")).hexdigest()[:16] != a.get("id"):
            raise RegisterError(f"{where}: assessment {a.get('id')} does not match its content.")
        db.execute(
            "INSERT INTO assessments (id, system_id, profile_version, kind, content, created_at, "
            "created_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (a["id"], sid, a["profile_version"], a["kind"], text, a["created_at"], a["created_by"]),
        )
    for raw in item.get("decisions", []):
        d = RegisterDecision.model_validate(raw)
        db.execute(
            "INSERT INTO decisions (system_id, mode_id, decision, owner, due, status, rationale, "
            "mitigations, evidence, revision, updated_at, updated_by) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                sid,
                d.mode_id,
                d.decision.value,
                d.owner,
                d.due.isoformat() if d.due else None,
                d.status.value,
                d.rationale,
                json.dumps(d.mitigations),
                json.dumps([e.model_dump() for e in d.evidence]),
                d.revision,
                d.updated_at,
                d.updated_by,
            ),
        )
    for c in item.get("comments", []):
        db.execute(
            "INSERT INTO comments (system_id, mode_id, author, body, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (sid, c.get("mode_id"), c["author"], c["body"], c["created_at"]),
        )
    for raw in item.get("workshops", []):
        # A workshop gets a new number here; the history keeps the one it had where it ran.
        try:
            w = Workshop.model_validate({**raw, "id": 0, "system_id": sid})
        except ValidationError as exc:
            first = exc.errors()[0]
            raise RegisterError(
                f"{where}: a workshop is invalid: {dotted(first['loc'])}: {first['msg']}; "
                "nothing was imported."
            ) from None
        wid = workshops.create_workshop(db, sid, w.started_by, w.started_at)
        for step in w.steps:
            workshops.save_step(db, wid, step.mode_id, step.outcome, step.at)
        if w.finished_at is not None:
            workshops.mark_finished(db, wid, w.finished_at)
    for h in item.get("history", []):
        db.execute(
            "INSERT INTO history (system_id, mode_id, action, actor, at, summary, before_state, "
            "after_state) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                sid,
                h.get("mode_id"),
                h["action"],
                h["actor"],
                h["at"],
                h["summary"],
                None if h.get("before") is None else json.dumps(h["before"], sort_keys=True),
                None if h.get("after") is None else json.dumps(h["after"], sort_keys=True),
            ),
        )
