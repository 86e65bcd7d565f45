"""The external id lists that catalog cross-references are checked against.

Shipped with the package: MITRE ATLAS techniques and mitigations (Apache-2.0, notice kept in
``reference/ATLAS-LICENSE.txt``), OWASP ML Security Top 10 (2023) ids, and NIST AI 100-2
E2025 ids. A reference that is not in these lists is a catalog error, so a typo such as
``AML.T0240`` cannot reach a report.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml


@dataclass(frozen=True)
class ReferenceIds:
    atlas_version: str
    atlas_techniques: dict[str, str]
    atlas_mitigations: dict[str, str]
    owasp_ml: dict[str, str]
    nist_ai_100_2: dict[str, str]


def _read(name: str) -> Any:
    text = resources.files("failmodes.catalog").joinpath("reference", name).read_text("utf-8")
    return yaml.safe_load(text)


@cache
def reference_ids() -> ReferenceIds:
    """The shipped id lists (read once)."""
    atlas = _read("atlas.yaml")
    return ReferenceIds(
        atlas_version=str(atlas["version"]),
        atlas_techniques={k: v["name"] for k, v in atlas["techniques"].items()},
        atlas_mitigations={k: v["name"] for k, v in atlas["mitigations"].items()},
        owasp_ml=dict(_read("owasp-ml-top10.yaml")["entries"]),
        nist_ai_100_2=dict(_read("nist-ai-100-2.yaml")["entries"]),
    )


def unknown_references(xrefs: dict[str, list[str]], mitigation_atlas: list[str]) -> list[str]:
    """Human-readable list of every cited id that the shipped lists do not hold."""
    ids = reference_ids()
    known = {
        "atlas": ids.atlas_techniques,
        "owasp_ml": ids.owasp_ml,
        "nist_ai_100_2": ids.nist_ai_100_2,
    }
    bad = [
        f"xrefs.{field}: {ref!r} is not in the shipped list"
        for field, refs in xrefs.items()
        for ref in refs
        if ref not in known[field]
    ]
    bad += [
        f"mitigations: ATLAS mitigation {ref!r} is not in ATLAS {ids.atlas_version}"
        for ref in mitigation_atlas
        if ref not in ids.atlas_mitigations
    ]
    return bad
