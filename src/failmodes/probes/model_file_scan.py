"""Model-file scan: code that loading the profile's model would run, found without loading it.

Evidence for *attacking the ML supply chain* (a model file that executes on load). Runs the
static scanner of :mod:`failmodes.artifacts` on ``target.model`` (a file or a folder) and
measures two indicators of the catalog: ``unsafe_artifact_count``, the files flagged
(malicious, suspicious, unreadable or in a format the scanner cannot vouch for), and
``code_executing_format_count``, the files stored in a pickle-based format at all, since
even a clean one is one dependency upgrade away from a gadget. The method is the allowlist
scan of pickle opcodes described in ``docs/supply-chain.md``; options: ``trust`` (ignored
here: the scan measures, the loader decides).
"""

from __future__ import annotations

from collections.abc import Iterator

from failmodes.artifacts import scan_paths
from failmodes.artifacts.results import VERDICT_ORDER
from failmodes.findings import Location
from failmodes.probes.base import Measurement, Need, Probe, ProbeContext, ProbeSpec

#: Formats that deserialize with pickle, whatever their container.
PICKLE_FORMATS = ("pickle", "joblib", "pytorch", "torchscript", "numpy (object array)")


class ModelFileScan(Probe):
    """The profile's model file, scanned statically for code that runs when it is loaded.

    An allowlist of the reconstruction callables real scikit-learn, NumPy, pandas and PyTorch
    files use is the defence (denylists are bypassed every month: see picklescan and
    modelscan advisories); a denylist only sharpens the message for known gadgets.
    """

    spec = ProbeSpec(
        id="model_file_scan",
        name="Model-file scan",
        summary="Walks the model file's pickle opcodes and containers, without loading it, "
        "and flags any callable outside the allowlist of real reconstruction callables.",
        failure_modes=("supply_chain_attack",),
        needs=frozenset({Need.MODEL_FILE}),
        tags=frozenset({"supply_chain", "static"}),
        references=("picklescan, modelscan and fickling advisories, 2022-2026",),
    )

    def run(self, ctx: ProbeContext) -> Iterator[Measurement]:
        profile = ctx.profile
        if profile is None or profile.target is None or not profile.target.model:
            raise LookupError("no model file; declare Need.MODEL_FILE in the spec")
        path = profile.resolve(profile.target.model)
        report = scan_paths([path])
        flagged = [f for f in report.files if f.flagged]
        files = [
            {"path": f.path, "format": f.format, "verdict": f.verdict.value} for f in report.files
        ]
        findings = [f for file in flagged for f in file.findings]
        worst = min(findings, key=lambda f: VERDICT_ORDER.index(f.implies), default=None)
        yield Measurement(
            "supply_chain_attack",
            "unsafe_artifact_count",
            float(len(flagged)),
            message=f"{len(flagged)} of {len(report.files)} model files flagged"
            + (f"; worst: {worst.message}" if worst else ""),
            evidence={"files": files, "findings": [f.model_dump(mode="json") for f in findings]},
            location=Location(path=worst.file, member=worst.member, offset=worst.offset)
            if worst
            else None,
        )
        pickled = [f.path for f in report.files if f.format.startswith(PICKLE_FORMATS)]
        yield Measurement(
            "supply_chain_attack",
            "code_executing_format_count",
            float(len(pickled)),
            message=f"{len(pickled)} model files deserialize with pickle",
            evidence={"files": pickled},
        )
