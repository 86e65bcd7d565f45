"""The catalog in force: failure modes in taxonomy order, with the policies that rank and gate them.

It is a value: the built-in catalog (``loader``) and every overlay (``overlay``) produce a new
one; nothing changes it in place.
"""

from __future__ import annotations

import re
from difflib import get_close_matches

from pydantic import BaseModel, ConfigDict

from failmodes.catalog.frameworks import Framework
from failmodes.catalog.schema import (
    ArtifactPolicy,
    FailureMode,
    GatePolicy,
    ReviewQuestion,
    RiskPolicy,
)
from failmodes.errors import UnknownIdError


class Catalog(BaseModel):
    """The failure modes in force, in taxonomy order, with the risk policy to rank them."""

    model_config = ConfigDict(frozen=True)

    version: str
    taxonomy: str
    modes: tuple[FailureMode, ...]
    risk: RiskPolicy
    artifact_policy: ArtifactPolicy = ArtifactPolicy()
    policy: GatePolicy = GatePolicy()
    overlays: tuple[str, ...] = ()
    questions: tuple[ReviewQuestion, ...] = ()
    considerations: dict[str, str] = {}
    frameworks: tuple[Framework, ...] = ()

    def get(self, mode_id: str) -> FailureMode:
        """The failure mode ``mode_id``; an :class:`UnknownIdError` suggests near ids."""
        for mode in self.modes:
            if mode.id == mode_id:
                return mode
        ids = [m.id for m in self.modes]
        near = get_close_matches(mode_id, ids, n=3)
        hint = f" Did you mean {', '.join(near)}?" if near else " Run `failmodes catalog list`."
        raise UnknownIdError(f"unknown failure mode id {mode_id!r}.{hint}")

    def questions_for(self, mode_id: str) -> list[ReviewQuestion]:
        """The review questions a session asks about ``mode_id``, in the source's order."""
        return [q for q in self.questions if mode_id in q.modes]

    def framework(self, framework_id: str) -> Framework:
        """The governance framework ``framework_id``; an :class:`UnknownIdError` lists them."""
        for framework in self.frameworks:
            if framework.id == framework_id:
                return framework
        known = ", ".join(f.id for f in self.frameworks)
        raise UnknownIdError(f"unknown framework {framework_id!r}; in force: {known}.")

    @property
    def active(self) -> tuple[FailureMode, ...]:
        """Modes not retired by an overlay."""
        return tuple(m for m in self.modes if m.retired is None)

    def search(self, text: str) -> list[FailureMode]:
        """Modes whose id, name, aliases, summary, example, indicators or mitigations
        mention every word of ``text`` (case-insensitive)."""
        words = [w for w in re.split(r"\W+", text.lower()) if w]
        hits = []
        for mode in self.modes:
            haystack = " ".join(
                [mode.id, mode.name, *mode.aliases, mode.summary, mode.example]
                + [i.name + " " + i.description for i in mode.indicators]
                + [m.summary for m in mode.mitigations]
                + mode.xrefs.atlas
                + mode.xrefs.owasp_ml
            ).lower()
            if all(w in haystack for w in words):
                hits.append(mode)
        return hits
