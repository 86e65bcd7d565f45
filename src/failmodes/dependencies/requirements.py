"""pip requirements files: ``requirements*.txt`` with ``-r`` includes, hashes and comments."""

from __future__ import annotations

import re
from pathlib import Path

from failmodes.dependencies.declared import DeclaredPackage, from_requirement
from failmodes.errors import InputError, MissingFileError

_MAX_INCLUDES = 20
_MAX_BYTES = 4 * 1024 * 1024
_COMMENT = re.compile(r"(^|\s)#.*$")
_INCLUDE = re.compile(r"^(-r|--requirement)(=|\s+)(?P<path>\S+)$")
_EDITABLE = re.compile(r"^(-e|--editable)(=|\s+)(?P<target>\S+)")
_LOCAL = re.compile(r"^(\.{1,2}/|/|[A-Za-z][A-Za-z0-9+.-]*://|git\+|hg\+|svn\+|bzr\+)")


def read_requirements(path: Path, _seen: frozenset[Path] = frozenset()) -> list[DeclaredPackage]:
    """Every requirement in ``path`` and the files it includes with ``-r``.

    Constraint files (``-c``) and index options are skipped: they install nothing.
    """
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"{path}: no such requirements file.")
    if path.stat().st_size > _MAX_BYTES:
        raise InputError(f"{path}: over {_MAX_BYTES:,} bytes; is this a requirements file?")
    resolved = path.resolve()
    if len(_seen) > _MAX_INCLUDES:
        raise InputError(f"{path}: -r includes nest more than {_MAX_INCLUDES} deep.")
    seen = _seen | {resolved}
    text = path.read_text(encoding="utf-8", errors="replace").replace("\\\n", " ")
    found: list[DeclaredPackage] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = _COMMENT.sub("", raw).strip()
        if not line:
            continue
        where = f"{path}:{number}"
        if include := _INCLUDE.match(line):
            target = (path.parent / include["path"]).resolve()
            if target not in seen:
                found.extend(read_requirements(target, seen))
            continue
        if editable := _EDITABLE.match(line):
            found.append(
                DeclaredPackage(
                    name=editable["target"],
                    source=where,
                    problem="an editable install, not from a package index",
                )
            )
            continue
        if line.startswith("-"):
            continue  # -c, -i, --hash-only lines and other options install nothing
        requirement = " ".join(t for t in line.split() if not t.startswith("--"))
        if _LOCAL.match(requirement):
            found.append(
                DeclaredPackage(
                    name=requirement,
                    source=where,
                    problem="a path or URL, not a package from an index",
                )
            )
            continue
        found.append(from_requirement(requirement, where))
    return found
