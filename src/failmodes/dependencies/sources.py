"""Where dependencies are read from: a file by its name, or the running environment."""

from __future__ import annotations

import re
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

from failmodes.dependencies.declared import DeclaredPackage, normalize
from failmodes.dependencies.lockfiles import (
    read_poetry_lock,
    read_pylock,
    read_pyproject,
    read_uv_lock,
)
from failmodes.dependencies.requirements import read_requirements
from failmodes.errors import InputError, MissingFileError

_PYLOCK = re.compile(r"^pylock(\.[^.]+)?\.toml$")


def read_dependencies(path: str | Path) -> list[DeclaredPackage]:
    """The dependencies declared in ``path``, chosen by its file name.

    ``pyproject.toml``, ``poetry.lock``, ``uv.lock``, ``pylock.toml`` (or
    ``pylock.<name>.toml``), and any other ``*.txt`` as a pip requirements file.
    """
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"{path}: no such dependency file.")
    name = path.name
    if name == "pyproject.toml":
        return read_pyproject(path)
    if name == "poetry.lock":
        return read_poetry_lock(path)
    if name == "uv.lock":
        return read_uv_lock(path)
    if _PYLOCK.match(name):
        return read_pylock(path)
    if name.endswith((".txt", ".in")):
        return read_requirements(path)
    raise InputError(
        f"{path}: not a dependency file failmodes reads; expected requirements*.txt, "
        "pyproject.toml, poetry.lock, uv.lock or pylock.toml."
    )


def installed_packages(
    distributions: Iterable[metadata.Distribution] | None = None,
) -> list[DeclaredPackage]:
    """The distributions installed in the running environment (first of each name wins,
    as ``importlib`` resolves them)."""
    found: dict[str, DeclaredPackage] = {}
    for dist in metadata.distributions() if distributions is None else distributions:
        name = dist.metadata["Name"]
        if not name or normalize(name) in found:
            continue
        found[normalize(name)] = DeclaredPackage(
            name=name, version=dist.version, source="the running environment"
        )
    return sorted(found.values(), key=lambda p: p.key)
