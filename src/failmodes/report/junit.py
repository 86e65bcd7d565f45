"""JUnit XML, the one test-report format every CI system shows natively.

One test case per probe and failure mode (``classname`` is the failure mode, ``name`` the
probe), so a pipeline's test tab lists what was measured for each mode:

* a probe that measured a value beyond a fail threshold for the mode → ``<failure>``;
* a probe that errored → ``<error>`` (with whatever it measured before the error);
* a probe that was skipped, or that ran but measured nothing for this mode → ``<skipped>``;
* otherwise the case passes (warnings are listed in its ``system-out``, which holds every
  finding of the case).

An applicable failure mode that no probe run covers gets one more case, ``not tested``,
skipped with the reason — coverage gaps stay visible. A finding reads as its metric, value,
threshold, verdict and message. XML 1.0 cannot carry most control characters, so they
are dropped from every string; ElementTree escapes the rest.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

from failmodes.assessment import Assessment
from failmodes.findings import Finding, ProbeRun, RunStatus, Status, number, threshold_text
from failmodes.threatmodel.model import ModeAssessment, ThreatModel

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: object) -> str:
    """``value`` as a string XML 1.0 can hold."""
    return _NOT_XML.sub("", str(value))


@dataclass(frozen=True)
class Case:
    """One test case before it becomes XML."""

    mode: str
    name: str
    outcome: str  # passed, failure, error, skipped
    message: str
    details: str
    seconds: float


def _finding_line(f: Finding) -> str:
    line = f"{f.measured} = {number(f.value)} [{threshold_text(f.threshold)}] → {f.status.value}"
    return line + (f": {f.message}" if f.message else "")


def _run_case(run: ProbeRun, mode: ModeAssessment) -> Case:
    findings = [f for f in run.findings if f.failure_mode == mode.id]
    details = "\n".join(_finding_line(f) for f in findings)
    failed = [f for f in findings if f.status == Status.FAIL]
    if run.status == RunStatus.ERROR:
        outcome, message = "error", run.reason or "the probe failed"
    elif run.status == RunStatus.SKIPPED:
        outcome, message = "skipped", run.reason or "the probe could not run"
    elif failed:
        outcome = "failure"
        message = "; ".join(
            f"{f.measured} = {number(f.value)} beyond the fail threshold" for f in failed
        )
    elif not findings:
        outcome, message = "skipped", f"{run.probe} ran but measured nothing for {mode.id}"
    else:
        outcome, message = "passed", ""
    return Case(mode.id, run.probe, outcome, message, details, run.duration_s)


def cases(model: ThreatModel) -> list[Case]:
    """The test cases, grouped by failure mode in the register's order."""
    runs: Sequence[ProbeRun] = model.probe_runs if isinstance(model, Assessment) else ()
    out = []
    for mode in model.modes:
        mine = [r for r in runs if mode.id in r.failure_modes]
        if not mode.applicable and not any(
            f.failure_mode == mode.id for r in mine for f in r.findings
        ):
            continue
        out += [_run_case(run, mode) for run in mine]
        if mode.applicable and not mine:
            reason = mode.untested_reason or "assessed on paper only; no probe ran for it"
            out.append(Case(mode.id, "not tested", "skipped", reason, "", 0.0))
    return out


def junit_element(model: ThreatModel) -> ET.Element:
    all_cases = cases(model)

    def total(outcome: str) -> str:
        return str(sum(1 for c in all_cases if c.outcome == outcome))

    seconds = f"{sum(c.seconds for c in all_cases):.3f}"
    counts = {
        "tests": str(len(all_cases)),
        "failures": total("failure"),
        "errors": total("error"),
        "skipped": total("skipped"),
        "time": seconds,
    }
    root = ET.Element("testsuites", {"name": "failmodes", **counts})
    suite = ET.SubElement(
        root, "testsuite", {"name": xml_text(f"failmodes: {model.profile.name}"), **counts}
    )
    properties = ET.SubElement(suite, "properties")
    for key, value in (
        ("system", model.profile.name),
        ("catalog_version", model.catalog_version),
        ("profile", model.profile_path or ""),
    ):
        ET.SubElement(properties, "property", {"name": key, "value": xml_text(value)})
    for case in all_cases:
        element = ET.SubElement(
            suite,
            "testcase",
            {
                "classname": f"failmodes.{case.mode}",
                "name": xml_text(case.name),
                "time": f"{case.seconds:.3f}",
            },
        )
        if case.outcome != "passed":
            tag = {"failure": "failure", "error": "error", "skipped": "skipped"}[case.outcome]
            child = ET.SubElement(element, tag, {"message": xml_text(case.message)})
            if case.outcome != "skipped":
                child.set("type", case.outcome)
                child.text = xml_text(case.message)
        if case.details:
            ET.SubElement(element, "system-out").text = xml_text(case.details)
    return root


def render_junit(model: ThreatModel) -> str:
    root = junit_element(model)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
