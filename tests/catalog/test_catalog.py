"""The built-in catalog: all 17 modes, every field, real cross-references."""

from __future__ import annotations

import pytest
import yaml

from failmodes.catalog import load_catalog
from failmodes.catalog.schema import Kind, ProbeStatus, SecurityProperty
from failmodes.catalog.xref import reference_ids
from tests.conftest import shared_path

TAXONOMY_ORDER = [
    "perturbation_attack",
    "poisoning_attack",
    "model_inversion",
    "membership_inference",
    "model_stealing",
    "neural_net_reprogramming",
    "physical_adversarial_example",
    "malicious_ml_provider",
    "supply_chain_attack",
    "backdoor",
    "software_dependency_exploit",
    "reward_hacking",
    "side_effects",
    "distributional_shift",
    "natural_adversarial_examples",
    "common_corruption",
    "incomplete_testing",
]


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def test_all_seventeen_modes_in_taxonomy_order(catalog):
    assert [m.id for m in catalog.modes] == TAXONOMY_ORDER
    assert [m.number for m in catalog.modes] == list(range(1, 18))
    assert [m.kind for m in catalog.modes] == [Kind.INTENTIONAL] * 11 + [Kind.UNINTENTIONAL] * 6


@pytest.mark.parametrize("mode_id", TAXONOMY_ORDER)
def test_every_mode_carries_every_field(catalog, mode_id):
    mode = catalog.get(mode_id)
    assert mode.name
    for text in (mode.summary, mode.example, mode.attacker.summary, mode.severity.rationale):
        assert len(text.split()) >= 3, f"{mode_id}: thin text {text!r}"
    assert mode.aliases
    assert mode.violates and mode.lifecycle and mode.impacts
    assert len(mode.indicators) >= 3
    assert len(mode.mitigations) >= 3
    assert len(mode.references) >= 2
    assert all(1950 < r.year <= 2026 for r in mode.references)
    # Likelihood comes from an attack path: intentional modes start with what access the
    # attacker needs; every route says where it is documented.
    path = mode.likelihood.path
    assert path and mode.likelihood.base is None
    if mode.kind.value == "intentional":
        assert path[0].need.value == "access", mode_id
    for step in path:
        for route in step.routes:
            assert 1 <= route.ease <= 5
            assert any(
                word in route.source for word in ("Taxonomy", "ATLAS", "NIST", "et al", "20")
            ), route.source
    if mode.kind == Kind.UNINTENTIONAL:
        assert SecurityProperty.SAFETY in mode.violates
        assert mode.breaks_access_control is None
    else:
        assert SecurityProperty.SAFETY not in mode.violates
        assert isinstance(mode.breaks_access_control, bool)


def test_access_control_follows_the_taxonomy(catalog):
    breaks = {m.id for m in catalog.modes if m.breaks_access_control}
    assert breaks == {
        "malicious_ml_provider",
        "supply_chain_attack",
        "backdoor",
        "software_dependency_exploit",
    }


def test_adversarial_modes_have_atlas_and_owasp_references(catalog):
    for mode in catalog.modes[:11]:
        if mode.id in ("neural_net_reprogramming",):  # no dedicated entry in either list
            continue
        assert mode.xrefs.atlas, mode.id
    assert catalog.get("membership_inference").xrefs.owasp_ml == ["ML04:2023"]
    assert "AML.T0024.002" in catalog.get("model_stealing").xrefs.atlas


def test_every_cross_reference_is_in_the_shipped_lists(catalog):
    ids = reference_ids()
    for mode in catalog.modes:
        for ref in mode.xrefs.atlas:
            assert ref in ids.atlas_techniques, (mode.id, ref)
        for ref in mode.xrefs.owasp_ml:
            assert ref in ids.owasp_ml, (mode.id, ref)
        for ref in mode.xrefs.nist_ai_100_2:
            assert ref in ids.nist_ai_100_2, (mode.id, ref)
        for mitigation in mode.mitigations:
            for ref in mitigation.atlas:
                assert ref in ids.atlas_mitigations, (mode.id, ref)


def test_shipped_atlas_list_matches_the_atlas_data():
    source = yaml.safe_load(shared_path("reference", "atlas", "ATLAS.yaml").read_text())
    matrix = source["matrices"][0]
    ids = reference_ids()
    assert ids.atlas_version == str(source["version"])
    assert ids.atlas_techniques == {t["id"]: t["name"] for t in matrix["techniques"]}
    assert ids.atlas_mitigations == {m["id"]: m["name"] for m in matrix["mitigations"]}


def test_atlas_licence_notice_ships_with_the_ids():
    from importlib import resources

    notice = resources.files("failmodes.catalog").joinpath("reference", "ATLAS-LICENSE.txt")
    assert "Apache License" in notice.read_text()


def test_indicator_thresholds_are_consistent(catalog):
    for mode in catalog.modes:
        for indicator in mode.indicators:
            if indicator.threshold is not None:
                t = indicator.threshold
                if t.warn is not None and t.fail is not None:
                    assert t.verdict(t.fail).value in ("warn", "fail")


def test_probe_references_are_planned_or_available(catalog):
    statuses = {p.status for m in catalog.modes for p in m.probes}
    assert statuses <= {ProbeStatus.PLANNED, ProbeStatus.AVAILABLE}


def test_search_finds_by_alias_and_indicator(catalog):
    assert [m.id for m in catalog.search("specification gaming")] == ["reward_hacking"]
    assert "membership_inference" in [m.id for m in catalog.search("TPR FPR")]
    assert catalog.search("no such words anywhere xyzzy") == []


def test_unknown_id_suggests_close_matches(catalog):
    from failmodes.errors import UnknownIdError

    with pytest.raises(UnknownIdError, match="Did you mean model_stealing"):
        catalog.get("model_steal")
