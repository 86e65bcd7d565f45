"""The same per-partition summaries on a Dask cluster (``pip install 'failmodes[dask]'``).

The files become a Dask data frame; each partition runs
:func:`~failmodes.monitor.engine.summarize_partition` where it lives, with the row number it
starts at (from the partitions' lengths), and the results are merged in a binary tree of
:func:`~failmodes.monitor.engine.merge_partials` tasks. Only summaries travel back to the
client — kilobytes per window — so the client's memory does not grow with the data. Because
the merge is associative and commutative, the result equals the in-process one
(:func:`~failmodes.monitor.engine.summarize_files`), and so do the verdicts.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from failmodes.errors import InputError, MissingFileError
from failmodes.monitor.engine import (
    MonitorConfig,
    Reference,
    WindowSummary,
    merge_partials,
    summarize_partition,
)

#: Bytes of CSV per Dask partition.
CSV_BLOCK = "64MB"


def summarize_on_dask(
    paths: Sequence[Path],
    config: MonitorConfig,
    reference: Reference,
    *,
    scheduler: str | None = None,
    workers: int = 2,
) -> dict[str, WindowSummary]:
    """Summarize ``paths`` on the cluster at ``scheduler`` (an address), or on a
    :class:`~distributed.LocalCluster` of ``workers`` processes started for this call."""
    try:
        import dask.dataframe as dd
        from dask.delayed import delayed
        from distributed import Client, LocalCluster
    except ImportError:
        raise InputError("the Dask engine needs Dask: pip install 'failmodes[dask]'") from None
    for path in paths:
        if not path.is_file():
            raise MissingFileError(f"{path}: no such file")
    suffixes = {p.suffix.lower() for p in paths}
    if suffixes == {".parquet"}:
        frame = dd.read_parquet([str(p) for p in paths])
    elif suffixes == {".csv"}:
        frame = dd.read_csv([str(p) for p in paths], blocksize=CSV_BLOCK)
    else:
        raise InputError("the Dask engine reads all-Parquet or all-CSV files, not a mix")
    if scheduler is not None:
        client = Client(scheduler)  # type: ignore[no-untyped-call]
        cluster = None
    else:
        cluster = LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=workers, threads_per_worker=1, dashboard_address=None
        )
        client = Client(cluster)  # type: ignore[no-untyped-call]
    try:
        with client:
            lengths = frame.map_partitions(len).compute()
            starts = [0]
            for n in list(lengths)[:-1]:
                starts.append(starts[-1] + int(n))
            task = delayed(summarize_partition)
            parts: list[Any] = [
                task(part, start, config, reference)
                for part, start in zip(frame.to_delayed(), starts, strict=True)
            ]
            merge = delayed(merge_partials)
            while len(parts) > 1:
                paired = [
                    merge(a, b, config) for a, b in zip(parts[::2], parts[1::2], strict=False)
                ]
                parts = paired + (parts[-1:] if len(parts) % 2 else [])
            result: dict[str, WindowSummary] = parts[0].compute() if parts else {}
            return result
    finally:
        if cluster is not None:
            cluster.close()
