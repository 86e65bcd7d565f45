"""Applicability rules in words: the catalog's condition expressions as sentences people read.

A guideline states when a failure mode applies; the catalog holds that as a condition tree
(:mod:`failmodes.catalog.conditions`). This renders the tree as nested statements: each fact
test becomes its plain-language ``reason`` where the catalog gives one, followed by the
profile answer it checks ("the deployment exposure is public or internal"); ``all``, ``any``
and ``not`` become "all of", "at least one of" and "not". Nothing is evaluated here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from failmodes.catalog.conditions import (
    AllCondition,
    AnyCondition,
    Condition,
    FactCondition,
    NotCondition,
)


@dataclass(frozen=True)
class Statement:
    """One line of a rule in words, with the lines it is made of."""

    text: str
    parts: list[Statement] = field(default_factory=list)


def _word(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value).replace("_", " ")


def _either(values: list[Any], joint: str) -> str:
    words = [_word(v) for v in values]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + f" {joint} " + words[-1]


def fact_words(path: str) -> str:
    """``deployment.query_limits.rate_limited`` → ``deployment › query limits › rate limited``."""
    return " › ".join(part.replace("_", " ") for part in path.split("."))


def fact_test_words(condition: FactCondition) -> str:
    """What the fact test asks of the profile, in words."""
    op, operand = condition.operator
    subject = f"the profile's {fact_words(condition.fact)}"
    if op == "is":
        return f"{subject} is {_word(operand)}"
    if op == "in":
        return f"{subject} is {_either(operand, 'or')}"
    if op == "any_of":
        return f"{subject} includes {_either(operand, 'or')}"
    if op == "at_least":
        return f"{subject} is {_word(operand)} or higher"
    if op == "at_most":
        return f"{subject} is {_word(operand)} or lower"
    return f"{subject} is {'stated' if operand else 'not stated'}"


def _sentence(reason: str | None, test: str) -> str:
    if reason:
        return f"{reason.rstrip('.')} ({test})."
    return test[0].upper() + test[1:] + "."


def describe(condition: Condition) -> Statement:
    """``condition`` as a statement with nested parts."""
    if isinstance(condition, FactCondition):
        return Statement(_sentence(condition.reason, fact_test_words(condition)))
    if isinstance(condition, AllCondition):
        head = "All of these hold"
        parts = condition.all
    elif isinstance(condition, AnyCondition):
        head = "At least one of these holds"
        parts = condition.any
    else:
        assert isinstance(condition, NotCondition)
        head = "This does not hold"
        parts = [condition.not_]
    if condition.reason:
        head = f"{condition.reason.rstrip('.')}: {head[0].lower()}{head[1:]}"
    return Statement(head + ":", [describe(part) for part in parts])


def applies_when(condition: Condition | None) -> Statement:
    """The applicability rule of a mode as its opening statement."""
    if condition is None:
        return Statement("It applies to every system: the catalog sets no condition.")
    inner = describe(condition)
    if isinstance(condition, FactCondition):
        return Statement("It applies when:", [inner])
    return Statement("It applies when " + inner.text[0].lower() + inner.text[1:], inner.parts)


def flatten(statement: Statement, depth: int = 0) -> list[tuple[int, str]]:
    """(depth, text) lines, depth first: for renderers that indent."""
    lines = [(depth, statement.text)]
    for part in statement.parts:
        lines += flatten(part, depth + 1)
    return lines
