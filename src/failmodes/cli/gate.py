"""The release-gate options every assessing command shares, and applying them.

``threat-model``, ``scan`` and ``report`` take the same four flags; each overrides the
policy that the catalog and its overlays set (``policy:`` in an overlay file), for this run
only. A command builds the policy first, so a bad flag or overlay fails before any work, and
enforces it after writing its result, so a failed gate never costs the report::

    policy = gate_policy(overlays(overlay), fail_on=fail_on, ...)
    ...  # build and write the result
    code = enforce_gate(model, policy, quiet=quiet)
    if code:
        raise typer.Exit(code)
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from failmodes.assessment.gate import evaluate_gate, merge_policy
from failmodes.catalog import load_catalog
from failmodes.catalog.schema import GatePolicy, RiskLevel, Verdict
from failmodes.cli.common import err_console
from failmodes.errors import EXIT_OK, EXIT_POLICY_FAILED, InputError
from failmodes.threatmodel.model import ThreatModel


class FailOnLevel(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"
    NONE = "none"


FailOnOption = Annotated[
    FailOnLevel | None,
    typer.Option(
        "--fail-on",
        metavar="LEVEL",
        help="Exit 1 when an open risk (no owner decision) is at or above LEVEL: low, "
        "medium, high or critical; `none` turns off the policy's own risk rule.",
        show_default=False,
    ),
]
FailOnFindingsOption = Annotated[
    str | None,
    typer.Option(
        "--fail-on-findings",
        metavar="VERDICTS",
        help="Exit 1 on findings with these verdicts, comma-separated: fail, warn; `none` "
        "turns the rule off.",
        show_default=False,
    ),
]
FailOnUntestedOption = Annotated[
    bool | None,
    typer.Option(
        "--fail-on-untested/--no-fail-on-untested",
        help="Exit 1 when an applicable failure mode was not measured by any probe.",
        show_default=False,
    ),
]
FailOnMissingDecisionOption = Annotated[
    bool | None,
    typer.Option(
        "--fail-on-missing-decision/--no-fail-on-missing-decision",
        help="Exit 1 when a risk above the tolerance has no owner decision.",
        show_default=False,
    ),
]


def parse_verdicts(text: str) -> list[Verdict]:
    """``fail,warn`` → verdicts; ``none`` → no verdict."""
    words = [w.strip().lower() for w in text.split(",") if w.strip()]
    if words == ["none"]:
        return []
    allowed = [v.value for v in Verdict if v != Verdict.PASS]
    bad = [w for w in words if w not in allowed]
    if bad or not words:
        raise InputError(
            f"--fail-on-findings: {', '.join(bad) or 'nothing'} is not a verdict that fails; "
            f"expected a comma-separated list of {', '.join(allowed)} (or none)."
        )
    return [Verdict(w) for w in words]


def gate_policy(
    overlay_paths: Sequence[Path],
    *,
    fail_on: FailOnLevel | None = None,
    fail_on_findings: str | None = None,
    fail_on_untested: bool | None = None,
    fail_on_missing_decision: bool | None = None,
) -> GatePolicy:
    """The catalog's policy (with overlays) and the command line's flags over it."""
    return merge_policy(
        load_catalog(overlay_paths).policy,
        fail_on_risk=RiskLevel(fail_on.value)
        if fail_on is not None and fail_on != FailOnLevel.NONE
        else None,
        clear_risk=fail_on == FailOnLevel.NONE,
        fail_on_findings=parse_verdicts(fail_on_findings) if fail_on_findings is not None else None,
        fail_on_untested=fail_on_untested,
        fail_on_missing_decision=fail_on_missing_decision,
    )


def enforce_gate(model: ThreatModel, policy: GatePolicy, *, quiet: bool = False) -> int:
    """Evaluate ``policy``; print why it failed on stderr; return the exit code."""
    result = evaluate_gate(model, policy)
    if result.passed:
        if not quiet and policy != GatePolicy():
            err_console.print("Policy gate passed.", highlight=False)
        return EXIT_OK
    err_console.print(
        f"Policy gate failed ({len(result.reasons)} reason(s)):", style="bold red", highlight=False
    )
    for reason in result.reasons:
        err_console.print(f"  - {reason}", markup=False, highlight=False, soft_wrap=True)
    return EXIT_POLICY_FAILED
