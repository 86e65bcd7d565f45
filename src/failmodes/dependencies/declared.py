"""A dependency as declared somewhere: the name, the one version it is pinned to, and where.

Every reader (requirements files, ``pyproject.toml``, lock files, the running environment)
produces :class:`DeclaredPackage` values. A package that is not pinned to exactly one version,
or does not come from a package index, carries a ``problem`` instead of a version: it cannot
be matched against advisories and is reported as *not audited*, never as clean.
"""

from __future__ import annotations

import re

from packaging.requirements import InvalidRequirement, Requirement
from pydantic import BaseModel, ConfigDict

_SEPARATORS = re.compile(r"[-_.]+")


def normalize(name: str) -> str:
    """The PEP 503 form of a project name: ``Foo_Bar.baz`` → ``foo-bar-baz``."""
    return _SEPARATORS.sub("-", name).lower()


class DeclaredPackage(BaseModel):
    """One dependency, and either its exact version or why it has none."""

    model_config = ConfigDict(frozen=True)

    name: str
    version: str | None = None
    source: str
    problem: str | None = None

    @property
    def key(self) -> str:
        return normalize(self.name)


def from_requirement(text: str, source: str) -> DeclaredPackage:
    """A PEP 508 requirement string as a declared package (pinned only by ``==``/``===``)."""
    try:
        requirement = Requirement(text)
    except InvalidRequirement as exc:
        return DeclaredPackage(name=text, source=source, problem=f"cannot be parsed ({exc})")
    if requirement.url:
        return DeclaredPackage(
            name=requirement.name,
            source=source,
            problem=f"installed from {requirement.url}, not from a package index",
        )
    return pinned(
        requirement.name, [(s.operator, s.version) for s in requirement.specifier], source
    )


def pinned(name: str, specifiers: list[tuple[str, str]], source: str) -> DeclaredPackage:
    """The package pinned by an exact ``==``/``===`` specifier, or its problem."""
    for operator, version in specifiers:
        if operator in ("==", "===") and "*" not in version:
            return DeclaredPackage(name=name, version=version, source=source)
    shown = ",".join(f"{op}{v}" for op, v in specifiers) or "any version"
    return DeclaredPackage(
        name=name,
        source=source,
        problem=f"not pinned to one version ({shown}); pin it or audit a lock file",
    )
