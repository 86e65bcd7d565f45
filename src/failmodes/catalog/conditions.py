"""Declarative conditions over profile facts — the language of applicability and scoring rules.

A condition is data, never a code string: ``{fact: deployment.exposure, in: [public]}``,
combined with ``all``, ``any`` and ``not``. The catalog only *describes* conditions; the
threat-model layer evaluates them against a profile and records which facts decided them.

Fact operators (exactly one per fact condition):

``is``        the fact equals the value (booleans, enum values, numbers)
``in``        the fact is one of the values
``any_of``    the fact is a list that holds at least one of the values
``at_least``  an ordinal fact (``low < medium < high < critical``, or a retraining cadence)
              is at or above the value
``at_most``   … at or below the value
``set``       the fact is present (``true``) or absent/empty (``false``)
"""

from __future__ import annotations

from typing import Annotated, Any, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator

Scalar = str | int | float | bool

FACT_OPERATORS = ("is_", "in_", "any_of", "at_least", "at_most", "set_")


class _Node(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    reason: str | None = Field(
        None, description="Plain-language reason shown when this condition decides the outcome."
    )


class FactCondition(_Node):
    """A test of one profile fact."""

    fact: str = Field(pattern=r"^[a-z_]+(\.[a-z_]+)*$", description="Dotted profile path.")
    is_: Scalar | None = Field(None, alias="is")
    in_: list[Scalar] | None = Field(None, alias="in", min_length=1)
    any_of: list[Scalar] | None = Field(None, min_length=1)
    at_least: str | None = None
    at_most: str | None = None
    set_: bool | None = Field(None, alias="set")

    @model_validator(mode="after")
    def _one_operator(self) -> FactCondition:
        used = [name for name in FACT_OPERATORS if getattr(self, name) is not None]
        if len(used) != 1:
            names = ", ".join(n.rstrip("_") for n in FACT_OPERATORS)
            raise ValueError(f"a fact condition needs exactly one operator of: {names}")
        return self

    @property
    def operator(self) -> tuple[str, Any]:
        """The operator's public name and its operand."""
        for name in FACT_OPERATORS:
            value = getattr(self, name)
            if value is not None:
                return name.rstrip("_"), value
        raise AssertionError("unreachable: validated to have one operator")


class AllCondition(_Node):
    all: list[Condition] = Field(min_length=1)


class AnyCondition(_Node):
    any: list[Condition] = Field(min_length=1)


class NotCondition(_Node):
    not_: Condition = Field(alias="not")


Condition = Annotated[
    Union[FactCondition, AllCondition, AnyCondition, NotCondition],  # noqa: UP007 - forward refs
    Field(union_mode="left_to_right"),
]

AllCondition.model_rebuild()
AnyCondition.model_rebuild()
NotCondition.model_rebuild()


def iter_facts(condition: Condition) -> list[FactCondition]:
    """Every fact condition inside ``condition``, depth first."""
    if isinstance(condition, FactCondition):
        return [condition]
    if isinstance(condition, AllCondition):
        return [f for c in condition.all for f in iter_facts(c)]
    if isinstance(condition, AnyCondition):
        return [f for c in condition.any for f in iter_facts(c)]
    return iter_facts(condition.not_)
