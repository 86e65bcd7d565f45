"""Judging an imported callable: the allowlist decides, the denylist explains.

Both lists are data (``data/allowlist.yaml`` and ``data/denylist.yaml``) and a catalog overlay
extends them through :class:`~failmodes.catalog.schema.ArtifactPolicy`. The order of the
checks, first match wins:

1. the organization's ``deny`` → malicious, with its reason;
2. the organization's ``allow`` (exact or wildcard) → safe;
3. an exact built-in allow entry → safe;
4. a built-in deny entry → malicious;
5. a built-in wildcard allow entry → safe, unless the name is a known dangerous class that
   libraries re-export (``reexported_names``) → malicious;
6. anything else → suspicious: not known to be used by real model files.
"""

from __future__ import annotations

import _compat_pickle
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from failmodes.artifacts.results import Verdict
from failmodes.catalog.schema import ArtifactPolicy
from failmodes.errors import CatalogError
from failmodes.safeyaml import parse_yaml

_COMPONENT = re.compile(r"^[^.\s]+$")


def canonical(module: str, name: str) -> tuple[str, str]:
    """Python 3 names for protocol 0-2 imports, mapped as ``pickle`` maps them on load."""
    if (module, name) in _compat_pickle.NAME_MAPPING:
        return _compat_pickle.NAME_MAPPING[(module, name)]
    return _compat_pickle.IMPORT_MAPPING.get(module, module), name


class CallablePattern:
    """One list entry: an exact ``module.qualname`` or a pattern of dotted components."""

    def __init__(self, text: str) -> None:
        parts = text.split(".")
        if not text or not all(_COMPONENT.match(p) for p in parts):
            raise ValueError(
                f"{text!r} is not a callable pattern; write `module.name`, `module.*` or "
                "`package.**.Name`"
            )
        self.text = text
        self.parts = tuple(parts)
        self.exact = not any(ch in text for ch in "*?[")

    def matches(self, module: str, name: str) -> bool:
        """Whether ``module.name`` fits the pattern (for denying)."""
        if self.exact:
            return f"{module}.{name}" == self.text
        return _match_parts(self.parts, tuple(f"{module}.{name}".split(".")))

    def vouches_for(self, module: str, name: str) -> bool:
        """Whether the pattern allows ``module.name``: a wildcard never vouches for
        attribute access through a class (a dotted ``name``), where gadget chains start."""
        return self.matches(module, name) and (self.exact or "." not in name)

    def __repr__(self) -> str:
        return f"CallablePattern({self.text!r})"


def _match_parts(pattern: tuple[str, ...], parts: tuple[str, ...]) -> bool:
    if not pattern:
        return not parts
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(_match_parts(rest, parts[i:]) for i in range(len(parts) + 1))
    return bool(parts) and fnmatchcase(parts[0], head) and _match_parts(rest, parts[1:])


@dataclass(frozen=True)
class Judgement:
    """What the policy says about one callable, and why."""

    verdict: Verdict
    reason: str


class _DenyEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    match: str
    reason: str


class _DenyFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    callables: list[_DenyEntry]
    reexported_names: dict[str, str]


class _AllowFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    callables: list[str]
    nested_payload: list[str]
    importers: list[str]
    joblib_array_wrappers: list[str]
    onnx_domains: list[str]
    keras_callables: list[str] = Field(default_factory=list)


def _read_data(name: str, model: type[BaseModel]) -> Any:
    text = resources.files("failmodes.artifacts").joinpath("data", name).read_text("utf-8")
    doc = parse_yaml(text, path=Path(name), what="artifact scanner list", error=CatalogError)
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:  # a packaging bug, not a user error, but say where
        raise CatalogError(f"{name}: {exc.errors()[0]['msg']}") from None


def _patterns(texts: Iterable[str], origin: str) -> tuple[CallablePattern, ...]:
    try:
        return tuple(CallablePattern(t) for t in texts)
    except ValueError as exc:
        raise CatalogError(f"{origin}: {exc}") from None


class CallablePolicy:
    """The allowlist and denylist in force for one scan."""

    def __init__(
        self,
        allow: _AllowFile,
        deny: _DenyFile,
        organization: ArtifactPolicy | None = None,
    ) -> None:
        org = organization or ArtifactPolicy()
        where = "artifact_policy"
        self._org_deny = list(zip(_patterns(org.deny, where), org.deny.values(), strict=True))
        self._org_allow = _patterns(org.allow, where)
        builtin_allow = _patterns(allow.callables, "allowlist.yaml")
        self._allow_exact = frozenset(p.text for p in builtin_allow if p.exact)
        self._allow_wild = tuple(p for p in builtin_allow if not p.exact)
        self._deny = [(CallablePattern(e.match), e.reason) for e in deny.callables]
        self._reexported: Mapping[str, str] = deny.reexported_names
        self._keras = _patterns(allow.keras_callables, "allowlist.yaml")
        self.nested_payload = frozenset(allow.nested_payload)
        self.importers = frozenset(allow.importers)
        self.joblib_array_wrappers = frozenset(allow.joblib_array_wrappers)
        self.onnx_domains = frozenset(allow.onnx_domains)
        self._judged: dict[tuple[str, str], Judgement] = {}  # judging is pure: memoized

    def judge(self, module: str, name: str) -> Judgement:
        """The verdict for a file that imports ``module.name`` (already canonical)."""
        key = (module, name)
        if key not in self._judged:
            self._judged[key] = self._judge(module, name)
        return self._judged[key]

    def _judge(self, module: str, name: str) -> Judgement:
        full = f"{module}.{name}"
        for pattern, reason in self._org_deny:
            if pattern.matches(module, name):
                return Judgement(Verdict.MALICIOUS, f"denied by your artifact policy: {reason}")
        if any(p.vouches_for(module, name) for p in self._org_allow):
            return Judgement(Verdict.SAFE, "allowed by your artifact policy")
        if full in self._allow_exact:
            return Judgement(Verdict.SAFE, "on the allowlist")
        for pattern, reason in self._deny:
            if pattern.matches(module, name):
                return Judgement(Verdict.MALICIOUS, reason)
        for pattern in self._allow_wild:
            if pattern.vouches_for(module, name):
                leaf = name.rsplit(".", 1)[-1]
                if leaf in self._reexported:
                    return Judgement(
                        Verdict.MALICIOUS,
                        f"matches the allowlist entry `{pattern.text}`, but `{leaf}` is a "
                        f"re-exported dangerous class: {self._reexported[leaf]}",
                    )
                return Judgement(Verdict.SAFE, f"on the allowlist (`{pattern.text}`)")
        return Judgement(
            Verdict.SUSPICIOUS,
            "not on the allowlist of callables that real model files use; loading the file "
            "imports it, and a call may run any code it contains",
        )

    def judge_keras(self, module: str, name: str) -> Judgement:
        """The verdict for a Keras config that names ``module.name``."""
        judged = self.judge(module, name)
        if judged.verdict is not Verdict.SUSPICIOUS:
            return judged
        if any(p.vouches_for(module, name) for p in self._keras):
            return Judgement(Verdict.SAFE, "a Keras object")
        return Judgement(
            Verdict.SUSPICIOUS,
            "a custom object: loading the model imports this module and runs its code",
        )


@cache
def _builtin_lists() -> tuple[_AllowFile, _DenyFile]:
    return _read_data("allowlist.yaml", _AllowFile), _read_data("denylist.yaml", _DenyFile)


@cache
def _builtin_policy() -> CallablePolicy:
    return CallablePolicy(*_builtin_lists())


def load_policy(organization: ArtifactPolicy | None = None) -> CallablePolicy:
    """The built-in lists, extended by an organization's ``artifact_policy`` if given."""
    if organization is None or organization == ArtifactPolicy():
        return _builtin_policy()
    return CallablePolicy(*_builtin_lists(), organization)
