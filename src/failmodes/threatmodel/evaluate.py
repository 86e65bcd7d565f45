"""Evaluating declarative conditions against a profile, keeping the facts that decided them.

Every outcome carries its reasons — the facts and values that made a failure mode apply or not,
or moved its score — and whether each fact was stated by the owner or assumed by default.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict

from failmodes.catalog.conditions import (
    AllCondition,
    AnyCondition,
    Condition,
    FactCondition,
)
from failmodes.profile.schema import Cadence, Level

#: Orders for ``at_least`` / ``at_most``.
ORDINALS: tuple[tuple[str, ...], ...] = (
    tuple(level.value for level in Level),
    tuple(cadence.value for cadence in Cadence),
)


class Reason(BaseModel):
    """Why something holds: a sentence and the fact behind it."""

    model_config = ConfigDict(frozen=True)

    text: str
    fact: str | None = None
    value: Any = None
    assumed: bool = False


def plain(value: Any) -> Any:
    """A fact value as plain data (enum members become their values)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def ordinal_rank(value: str) -> tuple[int, int] | None:
    """(scale, position) of an ordinal value, or None if it is not ordinal."""
    for scale, order in enumerate(ORDINALS):
        if value in order:
            return scale, order.index(value)
    return None


def show_value(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(map(str, value)) + "]" if value else "[] (none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    return "not set" if value is None else str(value)


def _test(cond: FactCondition, value: Any) -> tuple[bool, str]:
    """Whether ``value`` satisfies ``cond``, and the comparison in words."""
    op, operand = cond.operator
    if op == "is":
        return (
            value == operand,
            f"is {show_value(operand)}" if value == operand else f"is not {show_value(operand)}",
        )
    if op == "in":
        ok = value in operand
        return ok, f"{'one' if ok else 'none'} of {', '.join(map(show_value, operand))}"
    if op == "any_of":
        values = value if isinstance(value, list) else [value]
        hits = [v for v in values if v in operand]
        if hits:
            return True, f"includes {', '.join(map(show_value, hits))}"
        return False, f"includes none of {', '.join(map(show_value, operand))}"
    if op == "set":
        present = value not in (None, [], "", {})
        return present == operand, "is set" if present else "is not set"
    have, want = ordinal_rank(str(value)), ordinal_rank(str(operand))
    if have is None or want is None or have[0] != want[0]:
        return False, f"cannot be compared with {operand}"
    ok = have[1] >= want[1] if op == "at_least" else have[1] <= want[1]
    word = "at least" if op == "at_least" else "at most"
    return ok, f"{word} {operand}" if ok else f"not {word} {operand}"


def evaluate(
    condition: Condition, facts: Mapping[str, Any], assumed: set[str] | frozenset[str]
) -> tuple[bool, list[Reason]]:
    """Evaluate ``condition`` with every fact at its value, stated or assumed by default.

    Returns the outcome and the reasons that decided it.
    """
    outcome, reasons = evaluate_known(condition, facts, assumed, unknown=frozenset())
    return bool(outcome), reasons


def evaluate_known(
    condition: Condition,
    facts: Mapping[str, Any],
    assumed: set[str] | frozenset[str],
    *,
    unknown: set[str] | frozenset[str],
) -> tuple[bool | None, list[Reason]]:
    """Evaluate ``condition`` treating the facts in ``unknown`` as not known (Kleene logic).

    ``None`` means the outcome hangs on an unknown fact: ``any`` is true as soon as one part
    is true, ``all`` false as soon as one part is false, whatever the unknowns turn out to be.
    This is how a score "from stated facts only" is computed without guessing.
    """
    if isinstance(condition, FactCondition):
        value = plain(facts.get(condition.fact))
        if condition.fact in unknown:
            text = f"{condition.fact} is not stated (assumed {show_value(value)})"
            return None, [Reason(text=text, fact=condition.fact, value=value, assumed=True)]
        ok, words = _test(condition, value)
        text = (
            condition.reason
            if ok and condition.reason
            else f"{condition.fact} = {show_value(value)}: {words}"
        )
        return ok, [
            Reason(text=text, fact=condition.fact, value=value, assumed=condition.fact in assumed)
        ]
    outcome: bool | None
    if isinstance(condition, AllCondition | AnyCondition):
        parts = condition.all if isinstance(condition, AllCondition) else condition.any
        results = [evaluate_known(c, facts, assumed, unknown=unknown) for c in parts]
        decisive = isinstance(condition, AnyCondition)  # the value one part needs to decide
        if any(r is decisive for r, _ in results):
            outcome = decisive
        elif any(r is None for r, _ in results):
            outcome = None
        else:
            outcome = not decisive
        reasons = [x for r, rs in results if r is outcome for x in rs]
    else:
        inner, reasons = evaluate_known(condition.not_, facts, assumed, unknown=unknown)
        outcome = None if inner is None else not inner
    if outcome and condition.reason:
        reasons = [_summarise(condition.reason, reasons)]
    return outcome, reasons


def _summarise(text: str, reasons: Sequence[Reason]) -> Reason:
    facts = [r.fact for r in reasons if r.fact]
    return Reason(
        text=text,
        fact=", ".join(dict.fromkeys(facts)) or None,
        assumed=any(r.assumed for r in reasons),
    )
