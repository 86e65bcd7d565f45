"""An OSV advisory database, read from a folder or a zip of YAML or JSON files.

The PyPA advisory database (``vulns/<package>/<id>.yaml``) and OSV's PyPI export
(``all.zip`` of ``<id>.json``) both work: every ``.yaml``, ``.yml`` and ``.json`` file is
read, and advisories are indexed by the PyPI packages they affect. YAML is read with PyYAML's
*base* loader, which keeps every scalar a string: a version written ``2.10`` must not become
the float ``2.1``. Anchors and aliases are refused; advisories never use them.

A file that cannot be read is recorded in :attr:`AdvisoryDatabase.problems`, because an audit
against a database with holes must say so rather than report clean.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from packaging.version import InvalidVersion, Version

from failmodes.dependencies.declared import normalize
from failmodes.errors import InputError, MissingFileError

MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_FILES = 1_000_000
_SUFFIXES = (".yaml", ".yml", ".json")
_REFERENCE_ORDER = ("ADVISORY", "WEB", "REPORT", "ARTICLE")
_Loader: type[yaml.BaseLoader] = getattr(yaml, "CBaseLoader", yaml.BaseLoader)
_ANCHOR = re.compile(r"(^|[\s\[{,:-])&\S")


class _NoAliasLoader(yaml.BaseLoader):
    """The base loader, refusing aliases (the billion-laughs vector). Slower than the C
    loader, so used only for the rare text that could hold an anchor."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise yaml.YAMLError("aliases are not used by advisories")
        return super().compose_node(parent, index)


@dataclass(frozen=True)
class Event:
    """One OSV range event; ``version`` None is the ``introduced: "0"`` lower bound."""

    kind: str
    version: Version | None


@dataclass(frozen=True)
class AffectedPackage:
    """What one advisory says about one package: its ranges, listed versions and fixes."""

    ranges: tuple[tuple[Event, ...], ...]
    versions: tuple[str, ...]  # parsed only when the package is audited: lists are long
    unreadable: tuple[str, ...]  # range events that are not PEP 440


@dataclass(frozen=True)
class OsvAdvisory:
    id: str
    aliases: tuple[str, ...]
    summary: str
    url: str | None
    affected: dict[str, AffectedPackage]

    def fixed_in(self, package: str) -> tuple[str, ...]:
        found = {
            str(e.version)
            for r in self.affected[package].ranges
            for e in r
            if e.kind == "fixed" and e.version is not None
        }
        return tuple(sorted(found, key=Version))


@dataclass
class AdvisoryDatabase:
    """The advisories of one database, by the normalized name of each affected package."""

    source: str
    by_package: dict[str, list[OsvAdvisory]] = field(default_factory=dict)
    count: int = 0
    problems: list[str] = field(default_factory=list)

    def lookup(self, name: str) -> list[OsvAdvisory]:
        return self.by_package.get(normalize(name), [])


def _version(text: str, unreadable: list[str]) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        unreadable.append(text)
        return None


def parse_advisory(data: Any) -> OsvAdvisory | None:
    """An advisory from a parsed OSV document; None for a withdrawn one or no PyPI package."""
    if not isinstance(data, dict) or "id" not in data:
        raise ValueError("not an OSV advisory")
    if data.get("withdrawn"):
        return None
    affected: dict[str, AffectedPackage] = {}
    for entry in data.get("affected") or []:
        package = entry.get("package") or {}
        if str(package.get("ecosystem", "")).split(":")[0] != "PyPI" or "name" not in package:
            continue
        unreadable: list[str] = []
        ranges = []
        for span in entry.get("ranges") or []:
            if span.get("type") not in ("ECOSYSTEM", "SEMVER"):
                continue  # GIT ranges are commits, not releases
            events = []
            for event in span.get("events") or []:
                for kind, value in event.items():
                    if kind == "introduced" and str(value) == "0":
                        events.append(Event(kind, None))
                    elif (parsed := _version(str(value), unreadable)) is not None:
                        events.append(Event(kind, parsed))
            ranges.append(tuple(events))
        versions = tuple(str(v) for v in entry.get("versions") or [])
        affected[normalize(str(package["name"]))] = AffectedPackage(
            tuple(ranges), versions, tuple(unreadable)
        )
    if not affected:
        return None
    references = data.get("references") or []
    url = next(
        (
            r.get("url")
            for kind in _REFERENCE_ORDER
            for r in references
            if isinstance(r, dict) and r.get("type") == kind
        ),
        None,
    )
    summary = str(data.get("summary") or data.get("details") or "").strip().split("\n")[0]
    return OsvAdvisory(
        id=str(data["id"]),
        aliases=tuple(str(a) for a in data.get("aliases") or []),
        summary=summary[:300],
        url=url,
        affected=affected,
    )


def _load_yaml(text: str) -> Any:
    loader = _NoAliasLoader if _ANCHOR.search(text) else _Loader
    return yaml.load(text, loader)  # noqa: S506 - base loaders build no objects


def _documents(path: Path) -> Iterator[tuple[str, bytes]]:
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix in _SUFFIXES and p.is_file())
        if len(files) > MAX_FILES:
            raise InputError(f"{path}: more than {MAX_FILES:,} advisory files.")
        for file in files:
            if file.stat().st_size > MAX_FILE_BYTES:
                yield str(file), b""
            else:
                yield str(file), file.read_bytes()
        return
    try:
        with zipfile.ZipFile(path) as archive:
            infos = [i for i in archive.infolist() if i.filename.endswith(_SUFFIXES)]
            if len(infos) > MAX_FILES:
                raise InputError(f"{path}: more than {MAX_FILES:,} advisory files.")
            for info in infos:
                if info.file_size > MAX_FILE_BYTES:
                    yield f"{path}!{info.filename}", b""
                else:
                    with archive.open(info) as handle:
                        yield f"{path}!{info.filename}", handle.read(MAX_FILE_BYTES + 1)
    except zipfile.BadZipFile:
        raise InputError(f"{path}: not a folder or zip of OSV advisories.") from None


def load_database(path: str | Path) -> AdvisoryDatabase:
    """Read every advisory under ``path`` (a folder or a zip)."""
    path = Path(path)
    if not path.exists():
        raise MissingFileError(
            f"{path}: no advisory database here; pass --advisories DIR|ZIP or run "
            "`failmodes advisories update`."
        )
    database = AdvisoryDatabase(source=str(path))
    for name, raw in _documents(path):
        try:
            if not raw or len(raw) > MAX_FILE_BYTES:
                raise ValueError(f"empty or over {MAX_FILE_BYTES:,} bytes")
            text = raw.decode("utf-8")
            data = json.loads(text) if name.endswith(".json") else _load_yaml(text)
            advisory = parse_advisory(data)
        except (ValueError, yaml.YAMLError, AttributeError, TypeError) as exc:
            database.problems.append(f"{name}: {exc}")
            continue
        if advisory is None:
            continue
        database.count += 1
        for package in advisory.affected:
            database.by_package.setdefault(package, []).append(advisory)
    if database.count == 0:
        raise InputError(
            f"{path}: no OSV advisories for PyPI packages found; an audit against an empty "
            "database would check nothing."
        )
    return database
