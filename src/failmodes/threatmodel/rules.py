"""Checking that the catalog's rules speak about facts a profile can actually state.

The catalog knows nothing of the profile schema (it imports nothing of ours), so this check
lives here, where both meet. A rule naming ``deployment.exposur`` or comparing
``deployment.exposure`` with ``pubic`` would silently never fire; instead the catalog (or the
overlay that changed it) is refused with the mode and rule named.
"""

from __future__ import annotations

import types
import typing
from enum import Enum
from functools import cache
from typing import Any

from failmodes.catalog.conditions import Condition, FactCondition, iter_facts
from failmodes.catalog.model import Catalog
from failmodes.errors import CatalogError
from failmodes.profile.loader import fact_paths
from failmodes.threatmodel.evaluate import ordinal_rank


@cache
def _facts() -> dict[str, Any]:
    return fact_paths()


def _base(annotation: Any) -> tuple[Any, bool]:
    """The scalar type of a fact and whether the fact is a list."""
    origin = typing.get_origin(annotation)
    if origin is list:
        return typing.get_args(annotation)[0], True
    if origin in (types.UnionType, typing.Union):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _base(args[0])[0], False
    return annotation, False


def _allowed(scalar: Any) -> list[Any] | None:
    if isinstance(scalar, type) and issubclass(scalar, Enum):
        return [m.value for m in scalar]
    if scalar is bool:
        return [True, False]
    return None


def check_condition(cond: FactCondition) -> str | None:
    """A problem with one fact condition, in words, or None."""
    known = _facts()
    if cond.fact not in known:
        return f"fact {cond.fact!r} is not a profile fact"
    scalar, is_list = _base(known[cond.fact])
    op, operand = cond.operator
    if op == "any_of" and not is_list:
        return f"`any_of` needs a list fact; {cond.fact} holds one value (use `in`)"
    if op in ("is", "in") and is_list:
        return f"{cond.fact} is a list; use `any_of`"
    if op in ("at_least", "at_most") and ordinal_rank(str(operand)) is None:
        return f"`{op}` needs an ordinal value (low…critical or a cadence), got {operand!r}"
    allowed = _allowed(scalar)
    if allowed is not None and op in ("is", "in", "any_of", "at_least", "at_most"):
        values = operand if isinstance(operand, list) else [operand]
        bad = [v for v in values if v not in allowed]
        if bad:
            return f"{cond.fact} cannot be {bad[0]!r}; allowed: {', '.join(map(str, allowed))}"
    return None


def check_rules(catalog: Catalog) -> None:
    """Raise :class:`CatalogError` for the first rule that names an unknown fact or value."""
    for mode in catalog.modes:
        places: list[tuple[str, Condition]] = []
        if mode.applicability is not None:
            places.append(("applicability", mode.applicability))
        places += [
            (f"likelihood.path[{step.id}].routes[{j}]", route.when)
            for step in mode.likelihood.path
            for j, route in enumerate(step.routes)
            if route.when is not None
        ]
        places += [
            (f"likelihood.factors[{i}]", f.when) for i, f in enumerate(mode.likelihood.factors)
        ]
        places += [(f"impact.factors[{i}]", f.when) for i, f in enumerate(mode.impact.factors)]
        for where, condition in places:
            for fact in iter_facts(condition):
                problem = check_condition(fact)
                if problem:
                    raise CatalogError(
                        f"failure mode {mode.id} ({mode.source}): {where}: {problem}."
                    )
