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
    NotCondition,
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


def _show(value: Any) -> str:
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
            f"is {_show(operand)}" if value == operand else f"is not {_show(operand)}",
        )
    if op == "in":
        ok = value in operand
        return ok, f"{'one' if ok else 'none'} of {', '.join(map(_show, operand))}"
    if op == "any_of":
        values = value if isinstance(value, list) else [value]
        hits = [v for v in values if v in operand]
        if hits:
            return True, f"includes {', '.join(map(_show, hits))}"
        return False, f"includes none of {', '.join(map(_show, operand))}"
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
    """Evaluate ``condition``; returns the outcome and the reasons that decided it."""
    if isinstance(condition, FactCondition):
        value = plain(facts.get(condition.fact))
        ok, words = _test(condition, value)
        text = (
            condition.reason
            if ok and condition.reason
            else f"{condition.fact} = {_show(value)}: {words}"
        )
        return ok, [
            Reason(text=text, fact=condition.fact, value=value, assumed=condition.fact in assumed)
        ]
    if isinstance(condition, AllCondition):
        results = [evaluate(c, facts, assumed) for c in condition.all]
        ok = all(r for r, _ in results)
        reasons = [x for r, rs in results if r == ok for x in rs]
    elif isinstance(condition, AnyCondition):
        results = [evaluate(c, facts, assumed) for c in condition.any]
        ok = any(r for r, _ in results)
        reasons = [x for r, rs in results if r == ok for x in rs]
    else:
        assert isinstance(condition, NotCondition)
        inner, reasons = evaluate(condition.not_, facts, assumed)
        ok = not inner
    if ok and condition.reason:
        reasons = [_summarise(condition.reason, reasons)]
    return ok, reasons


def _summarise(text: str, reasons: Sequence[Reason]) -> Reason:
    facts = [r.fact for r in reasons if r.fact]
    return Reason(
        text=text,
        fact=", ".join(dict.fromkeys(facts)) or None,
        assumed=any(r.assumed for r in reasons),
    )
