"""The team's answers on one agenda item, as typed at a prompt or into a form, made into the
register's decision.

Both front ends (``failmodes workshop`` in a terminal, the walk-through page of ``failmodes
serve``) hand the text they collected to :func:`decision_from_answers`, so the same answers
give the same decision, with the same evidence attached, whichever one recorded it. A bad
answer raises a :class:`~failmodes.errors.RegisterError` whose message names the field and
says what to type, in one line.
"""

from __future__ import annotations

import re
from datetime import date

from pydantic import ValidationError

from failmodes.errors import RegisterError
from failmodes.profile.schema import Decision
from failmodes.store.records import ActionStatus, RegisterDecision
from failmodes.workshop.agenda import AgendaItem

#: What a person may type for each decision, besides its value.
DECISION_WORDS: dict[str, Decision] = {
    **{d.value: d for d in Decision},
    "m": Decision.MITIGATE,
    "a": Decision.ACCEPT,
    "t": Decision.TRANSFER,
    "n": Decision.NOT_APPLICABLE,
    "na": Decision.NOT_APPLICABLE,
    "n/a": Decision.NOT_APPLICABLE,
    "not applicable": Decision.NOT_APPLICABLE,
}


def parse_decision(text: str) -> Decision:
    """``mitigate``, ``accept``, ``transfer`` or ``not_applicable`` (or m, a, t, n)."""
    word = text.strip().lower()
    if word in DECISION_WORDS:
        return DECISION_WORDS[word]
    raise RegisterError(
        f"decision {text.strip()!r}: type mitigate, accept, transfer or not_applicable "
        "(m, a, t, n)."
    )


def parse_due(text: str) -> date | None:
    """A due date as YYYY-MM-DD; empty for none."""
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise RegisterError(
            f"due date {text.strip()!r}: write it as YYYY-MM-DD, or leave it empty."
        ) from None


def parse_status(text: str) -> ActionStatus:
    word = text.strip().lower().replace(" ", "_") or ActionStatus.PLANNED.value
    try:
        return ActionStatus(word)
    except ValueError:
        choices = ", ".join(s.value for s in ActionStatus)
        raise RegisterError(f"status {text.strip()!r}: type one of {choices}.") from None


def required(name: str, text: str) -> str:
    """An answer a decision cannot do without (owner, rationale), stripped."""
    if not text.strip():
        raise RegisterError(f"{name}: a decision needs one; type it.")
    return text.strip()


def parse_mitigations(text: str) -> list[str]:
    """Mitigations in place, one per line or separated by ``;``."""
    return [part.strip() for part in re.split(r"[;\n]", text) if part.strip()]


def decision_from_answers(
    item: AgendaItem,
    *,
    decision: str,
    owner: str,
    rationale: str,
    due: str = "",
    mitigations: str = "",
    status: str = "",
) -> RegisterDecision:
    """The decision the answers describe, linked to the evidence the item showed: the
    findings of the latest assessment, and whatever links the decision in place had."""
    kept = [e for e in item.decision.evidence if e not in item.evidence] if item.decision else []
    fields = {
        "mode_id": item.mode_id,
        "decision": parse_decision(decision),
        "owner": required("owner", owner),
        "rationale": required("rationale", rationale),
        "due": parse_due(due),
        "status": parse_status(status),
        "mitigations": parse_mitigations(mitigations),
        "evidence": [*item.evidence, *kept],
    }
    try:
        return RegisterDecision.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise RegisterError(f"{first['loc'][0]}: {first['msg']}.") from None
