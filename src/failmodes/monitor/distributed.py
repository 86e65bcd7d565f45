"""The same per-partition summaries on a Dask cluster (``pip install 'failmodes[dask]'``).

The input is cut into parts without reading it (:func:`~failmodes.monitor.engine.plan_parts`:
Parquet row groups of about :data:`ROWS_PER_PART` rows, their first row numbers from the
files' metadata; CSV files whole, placed by a first round of row-count tasks when the windows
count rows). Each worker reads its own part from the shared file system and summarizes it
(:func:`~failmodes.monitor.engine.summarize_part`), and the results are merged in a binary
tree of :func:`~failmodes.monitor.engine.merge_partials` tasks. Rows never travel between
processes — only summaries, kilobytes per window — so neither the client's memory nor the
network carries the data. Because the merge is associative and commutative, the result
equals the in-process one (:func:`~failmodes.monitor.engine.summarize_files`), and so do the
verdicts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from failmodes.errors import InputError
from failmodes.monitor.engine import (
    MonitorConfig,
    Reference,
    WindowSummary,
    count_rows,
    merge_partials,
    plan_parts,
    summarize_part,
)

#: Rows per task: large enough that scheduling costs little, small enough to spread.
ROWS_PER_PART = 1_000_000


def summarize_on_dask(
    paths: Sequence[Path],
    config: MonitorConfig,
    reference: Reference,
    *,
    scheduler: str | None = None,
    workers: int = 2,
) -> dict[str, WindowSummary]:
    """Summarize ``paths`` on the cluster at ``scheduler`` (an address; its workers must see
    the same paths), or on a :class:`~distributed.LocalCluster` of ``workers`` processes
    started for this call."""
    try:
        from dask.delayed import delayed
        from distributed import Client, LocalCluster
    except ImportError:
        raise InputError("the Dask engine needs Dask: pip install 'failmodes[dask]'") from None
    parts = plan_parts([p.resolve() for p in paths], ROWS_PER_PART)
    cluster = None
    if scheduler is None:
        cluster = LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=workers, threads_per_worker=1, dashboard_address=None
        )
    client = Client(scheduler if cluster is None else cluster)  # type: ignore[no-untyped-call]
    try:
        with client:
            if config.window.rows is not None and any(p.first_row < 0 for p in parts):
                lengths = client.gather(client.map(count_rows, [p.path for p in parts]))  # type: ignore[no-untyped-call]
                starts = [sum(lengths[:i]) for i in range(len(parts))]
                parts = [
                    dataclasses.replace(p, first_row=s) for p, s in zip(parts, starts, strict=True)
                ]
            task, merge = delayed(summarize_part), delayed(merge_partials)
            level: list[Any] = [task(part, config, reference) for part in parts]
            while len(level) > 1:
                paired = [
                    merge(a, b, config) for a, b in zip(level[::2], level[1::2], strict=False)
                ]
                level = paired + (level[-1:] if len(level) % 2 else [])
            result: dict[str, WindowSummary] = level[0].compute() if level else {}
            return result
    finally:
        if cluster is not None:
            cluster.close()
