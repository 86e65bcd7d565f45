"""Time and peak memory of one call, measured in two separate runs.

Peak memory is tracemalloc's peak of Python and NumPy allocations during the call (NumPy
reports its array buffers to tracemalloc); tracing slows Python-heavy code, so the time comes
from separate, untraced runs.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def measure(call: Callable[[], T], repeat: int = 1) -> tuple[T, float, float]:
    """(result, seconds, peak MiB) of ``call``: the best time of ``repeat`` runs (on a shared
    machine the fastest run is the one least disturbed), then one traced run."""
    seconds = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        result = call()
        seconds = min(seconds, time.perf_counter() - started)
    tracemalloc.start()
    try:
        call()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return result, seconds, peak / 2**20
