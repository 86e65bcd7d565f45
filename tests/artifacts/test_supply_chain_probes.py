"""The supply-chain probes through the probe runner, with the catalog's thresholds."""

from __future__ import annotations

from pathlib import Path

import pytest

from failmodes.artifacts.provenance import manifest_path, record_manifest
from failmodes.catalog import load_catalog
from failmodes.findings import Status
from failmodes.probes.artifact_provenance import ArtifactProvenance
from failmodes.probes.base import ProbeContext, RunStatus
from failmodes.probes.dependency_audit import DependencyAudit
from failmodes.probes.model_file_scan import ModelFileScan
from failmodes.probes.runner import run_probe
from failmodes.profile import load_profile
from failmodes.targets.datasets import DataBundle
from tests.artifacts.crafted import global_call
from tests.conftest import shared_path

CATALOG = load_catalog()
STATE_DICT = b"\x80\x02ccollections\nOrderedDict\n)R."


def lookup(mode_id: str, metric: str):  # type: ignore[no-untyped-def]
    mode = CATALOG.get(mode_id)
    return mode.threshold_for(metric), mode.severity.default


def _context(tmp_path: Path, model: bytes, **options: object) -> ProbeContext:
    (tmp_path / "model.pkl").write_bytes(model)
    (tmp_path / "requirements.txt").write_text("torch==1.13.0\nnumpy\n")
    profile = tmp_path / "system.yaml"
    profile.write_text(
        "name: demo\ndependencies: [requirements.txt]\ntarget:\n  model: model.pkl\n"
    )
    return ProbeContext(load_profile(profile), None, DataBundle(), seed=0, options=dict(options))


def _status(run, metric: str) -> Status:  # type: ignore[no-untyped-def]
    return next(f.status for f in run.findings if f.metric == metric)


def test_model_file_scan_fails_a_malicious_model_and_passes_a_state_dict(tmp_path: Path) -> None:
    evil = run_probe(ModelFileScan(), _context(tmp_path, global_call("os", "system")), lookup)
    assert evil.status is RunStatus.RAN
    assert _status(evil, "unsafe_artifact_count") is Status.FAIL
    finding = next(f for f in evil.findings if f.metric == "unsafe_artifact_count")
    assert finding.location is not None and finding.location.offset == 0
    good = run_probe(ModelFileScan(), _context(tmp_path, STATE_DICT), lookup)
    assert _status(good, "unsafe_artifact_count") is Status.PASS
    assert _status(good, "code_executing_format_count") is Status.WARN  # still a pickle


def test_artifact_provenance_warns_until_recorded_and_on_a_swap(tmp_path: Path) -> None:
    ctx = _context(tmp_path, STATE_DICT)
    assert _status(run_probe(ArtifactProvenance(), ctx, lookup), "unverified_artifact_count") is (
        Status.WARN
    )
    profile = tmp_path / "system.yaml"
    manifest_path(profile).write_text(record_manifest(profile).to_json())
    assert _status(run_probe(ArtifactProvenance(), ctx, lookup), "unverified_artifact_count") is (
        Status.PASS
    )
    (tmp_path / "model.pkl").write_bytes(global_call("os", "system"))
    assert _status(run_probe(ArtifactProvenance(), ctx, lookup), "unverified_artifact_count") is (
        Status.WARN
    )


def test_dependency_audit_fails_a_vulnerable_pin_and_warns_an_unpinned_one(tmp_path: Path) -> None:
    advisories = shared_path("reference", "advisory-database")
    ctx = _context(tmp_path, STATE_DICT, advisories=str(advisories))
    run = run_probe(DependencyAudit(), ctx, lookup)
    assert run.status is RunStatus.RAN, run.reason
    assert _status(run, "known_vulnerable_packages") is Status.FAIL
    assert _status(run, "unpinned_dependencies") is Status.WARN
    assert _status(run, "unaudited_packages") is Status.PASS


@pytest.mark.parametrize("probe", [ModelFileScan(), ArtifactProvenance()])
def test_the_probes_skip_without_a_model_file(probe: object) -> None:
    ctx = ProbeContext(None, None, DataBundle(), seed=0)
    assert run_probe(probe, ctx, lookup).status is RunStatus.SKIPPED  # type: ignore[arg-type]
