"""Checking a probe's options (``ctx.options``): one message shape for every probe that uses
these helpers, ``the 'steps' option of white_box_attack must be … ; got … .``"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from failmodes.errors import InputError


def positive_integers(
    options: Mapping[str, Any], defaults: Mapping[str, int], probe: str
) -> dict[str, int]:
    """Each key of ``defaults`` from ``options`` (or its default), checked to be an integer of
    at least 1."""
    counts = {}
    for key, default in defaults.items():
        value = options.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InputError(
                f"the {key!r} option of {probe} must be a positive integer; got {value!r}."
            )
        counts[key] = value
    return counts


def number_in(
    options: Mapping[str, Any], key: str, default: float, probe: str, upper: float = math.inf
) -> float:
    """``options[key]`` (or ``default``), checked to lie in ``(0, upper]``."""
    value = options.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= upper:
        bound = "a positive number" if math.isinf(upper) else f"a number in (0, {upper:g}]"
        raise InputError(f"the {key!r} option of {probe} must be {bound}; got {value!r}.")
    return float(value)
