"""Static analysis of pickle streams: what loading them would import and call.

Nothing here unpickles. The opcodes of a bounded buffer are read with :mod:`pickletools`' own
opcode table and argument readers, and a small abstract machine replays their effect on a
stack and a memo, with values reduced to what matters for judging. The parts, bottom up:

* :mod:`~failmodes.artifacts.pickle_values`: the values (constants, imported globals,
  tuples, dicts, calls, unknown);
* :mod:`~failmodes.artifacts.pickle_machine`: the stack, memo and marks, and the opcodes
  that only move values around;
* :mod:`~failmodes.artifacts.opcode_walk`: the fast loop that decodes opcodes from the
  buffer under the scan's budget;
* :mod:`~failmodes.artifacts.pickle_imports`: global resolution, the calls the scanner looks
  into, and the findings for imports that are not safe;
* :mod:`~failmodes.artifacts.joblib_arrays`: the raw array bytes joblib writes between
  opcodes.

This module scans a whole stream. A file may hold several pickles back to back; all are
scanned until the end of the buffer (a loader may call ``pickle.load`` in a loop). A legacy
PyTorch file is five pickles followed by raw tensor storage, recognized by its second pickle
being the protocol number 1001.
"""

from __future__ import annotations

from failmodes.artifacts.context import Buffer, ScanContext
from failmodes.artifacts.pickle_imports import StreamSummary, replay
from failmodes.artifacts.pickle_machine import BufferReader
from failmodes.artifacts.pickle_values import const_int

#: Protocol number in the second pickle of a legacy (pre-1.6) PyTorch file.
TORCH_LEGACY_PROTOCOL = 1001
#: The five pickles of a legacy PyTorch file: magic number, protocol, system info, the
#: object, and the storage keys; raw tensor bytes follow.
TORCH_LEGACY_PICKLES = 5


def analyze_pickles(
    ctx: ScanContext,
    buf: Buffer,
    start: int = 0,
    end: int | None = None,
    *,
    max_pickles: int | None = None,
) -> StreamSummary:
    """Scan the pickles in ``buf[start:end]`` back to back, adding findings to ``ctx``."""
    end = len(buf) if end is None else end
    reader = BufferReader(ctx, buf, start, end)
    summary = StreamSummary()
    results: list[object] = []
    if start >= end:
        ctx.malformed("the pickle is empty", offset=start)
        return summary
    while reader.pos < end and (max_pickles is None or len(results) < max_pickles):
        begin = reader.pos
        run, error = replay(ctx, reader, summary)
        if error is not None:
            if not results:
                ctx.malformed(f"not a valid pickle: {error}", offset=reader.pos)
            else:
                ctx.note(
                    f"the {end - begin:,} bytes after pickle #{len(results)} are not a pickle "
                    f"({error}); a loader stops before them",
                    offset=begin,
                )
            break
        results.append(run.result)
        if len(results) == 2 and const_int(results[1]) == TORCH_LEGACY_PROTOCOL:
            summary.torch_legacy = True
            max_pickles = TORCH_LEGACY_PICKLES
    summary.pickles = len(results)
    if summary.torch_legacy and len(results) == TORCH_LEGACY_PICKLES and reader.pos < end:
        ctx.note(
            f"{end - reader.pos:,} bytes of tensor storage after the five pickles of this "
            "legacy PyTorch file were not read: torch.load reads them as raw numbers",
            offset=reader.pos,
        )
    return summary


def analyze_one(
    ctx: ScanContext, buf: Buffer, start: int, end: int | None = None
) -> tuple[object, int] | None:
    """Scan the single pickle at ``start``: (its value, where it ends), or None if broken.

    The value is the abstract machine's: read it with the readers of
    :mod:`~failmodes.artifacts.pickle_values` (``constant``, ``global_name``, ``tuple_items``).
    """
    reader = BufferReader(ctx, buf, start, len(buf) if end is None else end)
    run, error = replay(ctx, reader, StreamSummary())
    if error is not None:
        ctx.malformed(f"not a valid pickle: {error}", offset=reader.pos)
        return None
    return run.result, reader.pos
