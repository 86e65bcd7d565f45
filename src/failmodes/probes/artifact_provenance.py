"""Artifact provenance: model and data files checked against their recorded SHA-256 digests.

Evidence for *attacking the ML supply chain* (a swapped artifact). Compares ``target.model``
and ``target.data.*`` with the manifest kept beside the profile (``failmodes verify
--record`` writes it) and measures ``unverified_artifact_count``: artifacts that changed,
went missing, or were never recorded. Without a manifest every artifact counts as
unverified.
"""

from __future__ import annotations

from collections.abc import Iterator

from failmodes.artifacts.provenance import artifacts, check_manifest, manifest_path
from failmodes.errors import MissingFileError
from failmodes.probes.base import Measurement, Need, Probe, ProbeContext, ProbeSpec


class ArtifactProvenance(Probe):
    """Model and data artifacts checked against the SHA-256 manifest kept with the profile.

    The Caffe Model Zoo lesson (Gu et al., BadNets, 2017: digests missing or not matching)
    made into a gate: a swapped or unrecorded artifact is caught before it is loaded.
    """

    spec = ProbeSpec(
        id="artifact_provenance",
        name="Artifact provenance",
        summary="Checks every model and data artifact against the SHA-256 digests recorded "
        "beside the profile and reports changed, missing or unrecorded ones.",
        failure_modes=("supply_chain_attack",),
        needs=frozenset({Need.MODEL_FILE}),
        tags=frozenset({"supply_chain", "static"}),
    )

    def run(self, ctx: ProbeContext) -> Iterator[Measurement]:
        source = ctx.profile.source if ctx.profile is not None else None
        if source is None:
            raise LookupError("the profile was not loaded from a file, so it has no manifest")
        try:
            report = check_manifest(source)
        except MissingFileError:
            _, files = artifacts(source)
            yield Measurement(
                "supply_chain_attack",
                "unverified_artifact_count",
                float(len(files)),
                message=f"no manifest at {manifest_path(source)}: none of the {len(files)} "
                "artifacts can be verified; record one with `failmodes verify --record`",
                evidence={"files": [str(f) for f in files]},
            )
            return
        yield Measurement(
            "supply_chain_attack",
            "unverified_artifact_count",
            float(len(report.findings)),
            message=f"{len(report.findings)} of {report.checked} recorded artifacts do not "
            "match the manifest",
            evidence={"findings": [f.model_dump(mode="json") for f in report.findings]},
        )
