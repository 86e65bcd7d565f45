"""TOML dependency files: ``pyproject.toml``, ``poetry.lock``, ``uv.lock`` and ``pylock.toml``.

``pyproject.toml`` declares ranges (PEP 621 ``[project]``, PEP 735 dependency groups and
Poetry's tables), so its entries are usually *not audited* unless pinned; the lock files pin
every package and are what an audit should read. A locked package that comes from a path, a
VCS or a URL rather than an index is not audited; the project's own root entry in a lock file
(``editable``/``virtual`` at ``.``) is skipped, since it is the project itself.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from failmodes.dependencies.declared import DeclaredPackage, from_requirement, pinned
from failmodes.errors import InputError

_INDEX_SOURCES = frozenset({"registry", "legacy", "pypi"})
_CARET = ("^", "~")


def _load(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid TOML: {exc}") from None


def read_pyproject(path: Path) -> list[DeclaredPackage]:
    data = _load(path)
    found: list[DeclaredPackage] = []
    project = data.get("project", {})
    for text in project.get("dependencies", []):
        found.append(from_requirement(text, f"{path}:project.dependencies"))
    for extra, texts in project.get("optional-dependencies", {}).items():
        for text in texts:
            found.append(from_requirement(text, f"{path}:project.optional-dependencies.{extra}"))
    for group, items in data.get("dependency-groups", {}).items():
        for item in items:
            if isinstance(item, str):
                found.append(from_requirement(item, f"{path}:dependency-groups.{group}"))
    poetry = data.get("tool", {}).get("poetry", {})
    tables = {"tool.poetry.dependencies": poetry.get("dependencies", {})}
    tables["tool.poetry.dev-dependencies"] = poetry.get("dev-dependencies", {})
    for group, body in poetry.get("group", {}).items():
        tables[f"tool.poetry.group.{group}.dependencies"] = body.get("dependencies", {})
    for table, deps in tables.items():
        for name, spec in deps.items():
            if name.lower() != "python":
                found.append(_poetry_dependency(name, spec, f"{path}:{table}"))
    return found


def _poetry_dependency(name: str, spec: object, source: str) -> DeclaredPackage:
    if isinstance(spec, dict):
        if not {"git", "path", "url"}.isdisjoint(spec):
            return DeclaredPackage(
                name=name, source=source, problem="a path, VCS or URL, not a package index"
            )
        spec = spec.get("version", "*")
    text = str(spec).strip()
    if text and text[0].isdigit():
        text = f"=={text}"  # Poetry reads a bare version as exactly that version
    if text.startswith(_CARET) or text == "*":
        return pinned(name, [(text[:1] if text != "*" else "", text.lstrip("^~"))], source)
    return from_requirement(f"{name}{text}", source)


def read_poetry_lock(path: Path) -> list[DeclaredPackage]:
    found = []
    for entry in _load(path).get("package", []):
        source = entry.get("source", {}).get("type", "pypi")
        found.append(_locked(entry.get("name", "?"), entry.get("version"), source, path))
    return found


def read_uv_lock(path: Path) -> list[DeclaredPackage]:
    found = []
    for entry in _load(path).get("package", []):
        source = entry.get("source", {})
        if source.get("editable") == "." or source.get("virtual") == ".":
            continue  # the project itself
        kind = "registry" if "registry" in source else next(iter(source), "registry")
        found.append(_locked(entry.get("name", "?"), entry.get("version"), kind, path))
    return found


def read_pylock(path: Path) -> list[DeclaredPackage]:
    found = []
    for entry in _load(path).get("packages", []):
        local = next((k for k in ("vcs", "directory") if k in entry), None)
        kind = local or "registry"
        found.append(_locked(entry.get("name", "?"), entry.get("version"), kind, path))
    return found


def _locked(name: str, version: object, source: str, path: Path) -> DeclaredPackage:
    where = f"{path}:{name}"
    if source not in _INDEX_SOURCES:
        return DeclaredPackage(
            name=name, source=where, problem=f"locked from a {source} source, not a package index"
        )
    if not isinstance(version, str) or not version:
        return DeclaredPackage(name=name, source=where, problem="the lock file gives no version")
    return DeclaredPackage(name=name, version=version, source=where)
