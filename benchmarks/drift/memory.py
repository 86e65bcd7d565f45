"""Time and peak memory of one call, measured in two separate runs.

Peak memory is tracemalloc's peak of Python and NumPy allocations during the call (NumPy
reports its array buffers to tracemalloc); tracing slows Python-heavy code, so the time comes
from a first, untraced run.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def measure(call: Callable[[], T]) -> tuple[T, float, float]:
    """(result, seconds, peak MiB) of ``call``, run twice: timed, then traced."""
    started = time.perf_counter()
    result = call()
    seconds = time.perf_counter() - started
    tracemalloc.start()
    try:
        call()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return result, seconds, peak / 2**20
