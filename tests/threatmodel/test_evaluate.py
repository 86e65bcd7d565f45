"""Three-valued evaluation: what the stated facts settle, and what hangs on an assumed one."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter

from failmodes.catalog.conditions import Condition
from failmodes.threatmodel.evaluate import evaluate, evaluate_known

FACTS = {"deployment.exposure": "public", "model.weights_public": False, "task": "generation"}
ASSUMED = frozenset({"deployment.exposure"})


def cond(data: object) -> Condition:
    return TypeAdapter(Condition).validate_python(data)


PUBLIC = {"fact": "deployment.exposure", "in": ["public"]}
WEIGHTS = {"fact": "model.weights_public", "is": True}
GENERATION = {"fact": "task", "is": "generation"}


@pytest.mark.parametrize(
    ("data", "known", "with_defaults"),
    [
        (PUBLIC, None, True),  # hangs on the assumed exposure
        ({"any": [PUBLIC, GENERATION]}, True, True),  # one stated part is enough
        ({"any": [PUBLIC, WEIGHTS]}, None, True),  # the stated part is false
        ({"all": [PUBLIC, WEIGHTS]}, False, False),  # one stated part rules it out
        ({"all": [PUBLIC, GENERATION]}, None, True),
        ({"not": PUBLIC}, None, False),
        ({"not": WEIGHTS}, True, True),
    ],
)
def test_kleene_outcomes(data, known, with_defaults):
    outcome, reasons = evaluate_known(cond(data), FACTS, ASSUMED, unknown=ASSUMED)
    assert outcome is known
    assert evaluate(cond(data), FACTS, ASSUMED)[0] is with_defaults
    if known is None:
        assert any(r.assumed and r.fact == "deployment.exposure" for r in reasons)
        assert "not stated (assumed public)" in " ".join(r.text for r in reasons)
