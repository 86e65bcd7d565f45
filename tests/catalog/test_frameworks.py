"""Governance frameworks: the shipped id lists are the published ones, every mapped id is in
the list it cites, and overlays extend a framework or add one of their own."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest
import yaml

from failmodes.catalog import load_catalog
from failmodes.catalog.frameworks import requirement_list
from failmodes.errors import CatalogError, UnknownIdError
from tests.conftest import EXAMPLES

DATA = resources.files("failmodes.catalog")


def shipped_mappings() -> list[dict]:
    folder = DATA.joinpath("data", "frameworks")
    return [
        yaml.safe_load(e.read_text("utf-8")) for e in folder.iterdir() if e.name.endswith(".yaml")
    ]


def governance_overlay() -> dict:
    return yaml.safe_load(DATA.joinpath("overlays", "governance.yaml").read_text("utf-8"))


def test_nist_ai_rmf_list_is_the_72_subcategories_of_the_core():
    ids = requirement_list("nist-ai-rmf-1.0").ids
    per_function = {}
    for key in ids:
        function, number = key.split(" ")
        category, sub = map(int, number.split("."))
        per_function.setdefault(function, {}).setdefault(category, []).append(sub)
    # AI RMF 1.0, Tables 1-4: categories and how many subcategories each has.
    assert per_function == {
        "GOVERN": {
            1: [1, 2, 3, 4, 5, 6, 7],
            2: [1, 2, 3],
            3: [1, 2],
            4: [1, 2, 3],
            5: [1, 2],
            6: [1, 2],
        },
        "MAP": {1: [1, 2, 3, 4, 5, 6], 2: [1, 2, 3], 3: [1, 2, 3, 4, 5], 4: [1, 2], 5: [1, 2]},
        "MEASURE": {1: [1, 2, 3], 2: list(range(1, 14)), 3: [1, 2, 3], 4: [1, 2, 3]},
        "MANAGE": {1: [1, 2, 3, 4], 2: [1, 2, 3, 4], 3: [1, 2], 4: [1, 2, 3]},
    }
    assert len(ids) == 72
    assert "security and resilience" in ids["MEASURE 2.7"]


def test_iso_42001_list_is_the_38_annex_a_controls():
    ids = requirement_list("iso-iec-42001-2023").ids
    assert len(ids) == 38
    objectives = sorted({int(k.split(".")[1]) for k in ids})
    assert objectives == list(range(2, 11))  # A.2 policies … A.10 third-party relationships
    assert ids["A.6.2.4"] == "AI system verification and validation"


def test_eu_ai_act_list_holds_every_article_with_its_title():
    listed = requirement_list("eu-ai-act-2024-1689")
    assert "2024/1689" in listed.source
    assert listed.ids["Art. 9"] == "Risk management system"
    assert listed.ids["Art. 10"] == "Data and data governance"
    assert listed.ids["Art. 15"] == "Accuracy, robustness and cybersecurity"
    # All 113 articles, numbered without a gap, from Chapter I to the final provisions.
    assert list(listed.ids) == [f"Art. {n}" for n in range(1, 114)]
    assert listed.ids["Art. 113"] == "Entry into force and application"


def test_every_shipped_id_exists_in_the_official_list_it_cites():
    overlay = {f["id"]: f for f in governance_overlay()["frameworks"]}
    checked = 0
    for mapping in shipped_mappings():
        official = requirement_list(mapping["reference"])
        assert official.source and official.version
        extra = overlay.get(mapping["id"], {})
        for section in ("modes", "metrics"):
            for key, refs in {**mapping.get(section, {}), **extra.get(section, {})}.items():
                for ref in refs:
                    assert ref in official.ids, f"{mapping['id']}: {key}: {ref}"
                    checked += 1
    assert checked > 100


def test_every_taxonomy_mode_is_mapped_in_every_shipped_framework():
    catalog = load_catalog()
    for framework in catalog.frameworks:
        assert set(framework.modes) == {m.id for m in catalog.modes}, framework.id
    intentional = [m.id for m in catalog.modes if m.kind.value == "intentional"]
    nist = catalog.framework("nist-ai-rmf")
    eu = catalog.framework("eu-ai-act")
    assert all("MEASURE 2.7" in nist.for_mode(m) for m in intentional)
    assert all("Art. 15" in eu.for_mode(m) for m in intentional)


def write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "overlay.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_an_id_outside_the_official_list_is_refused(tmp_path):
    path = write(
        tmp_path,
        {
            "name": "typo",
            "frameworks": [{"id": "nist-ai-rmf", "modes": {"backdoor": ["MEASURE 2.14"]}}],
        },
    )
    with pytest.raises(CatalogError, match=r"'MEASURE 2\.14' is not an id of NIST AI 100-1"):
        load_catalog([path])


def test_an_unknown_mode_or_metric_is_refused(tmp_path):
    for section, key in (("modes", "no_such_mode"), ("metrics", "no_such_metric")):
        path = write(
            tmp_path,
            {"name": "typo", "frameworks": [{"id": "eu-ai-act", section: {key: ["Art. 15"]}}]},
        )
        with pytest.raises(CatalogError, match=key):
            load_catalog([path])


def test_a_malformed_entry_is_refused_with_its_place(tmp_path):
    for entry, message in (
        ({"id": "eu-ai-act", "modes": ["backdoor"]}, r"frameworks\[0\]\.modes: expected a mapping"),
        (
            {"id": "eu-ai-act", "modes": {"backdoor": "Art. 15"}},
            r"overlay\.yaml:5: frameworks\[0\]\.modes\.backdoor: input should be a valid list",
        ),
        ({"id": "mine", "name": "Mine"}, r"frameworks\[0\]\.source"),
    ):
        path = write(tmp_path, {"name": "bad", "frameworks": [entry]})
        with pytest.raises(CatalogError, match=message):
            load_catalog([path])


def test_the_published_list_of_a_shipped_framework_cannot_be_changed(tmp_path):
    path = write(
        tmp_path,
        {"name": "x", "frameworks": [{"id": "eu-ai-act", "requirements": {"Art. 999": "Mine"}}]},
    )
    with pytest.raises(CatalogError, match="only `modes` and `metrics`"):
        load_catalog([path])


def test_overlay_extends_a_framework_and_adds_its_own():
    catalog = load_catalog([EXAMPLES / "overlays" / "contoso.yaml"])
    nist = catalog.framework("nist-ai-rmf")
    assert nist.for_mode("score_leakage_via_logs") == ["MEASURE 2.7", "MEASURE 2.10"]
    assert nist.for_mode("backdoor") == load_catalog().framework("nist-ai-rmf").for_mode("backdoor")
    own = catalog.framework("contoso-sec-std")
    assert own.defined_by == "contoso-ml-guideline"
    assert own.cited() == ["CIS-ML-4", "CIS-ML-7", "CIS-ML-9"]
    assert own.metrics == {"mia_auc": ["CIS-ML-7"]}
    with pytest.raises(UnknownIdError, match="contoso-sec-std"):
        catalog.framework("contoso")


def test_packaged_overlay_by_name():
    catalog = load_catalog(["failmodes:governance"])
    assert "group_unfairness" in {m.id for m in catalog.active}
    assert catalog.framework("nist-ai-rmf").for_mode("group_unfairness")[0] == "MEASURE 2.11"
    with pytest.raises(UnknownIdError, match="failmodes:governance"):
        load_catalog(["failmodes:nothing"])
