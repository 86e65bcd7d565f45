"""Run one peer scanner over files, in-process, and print one JSON line per file.

Run with the benchmark environment's Python (``.venv-bench/bin/python``), never the project's:
the peers are not dependencies of failmodes. Each tool is called through its own API with its
command line's exit-code semantics (0 clean, non-zero flagged or failed), so start-up time is
not counted against it.

    .venv-bench/bin/python benchmarks/model_files/peers.py picklescan < paths.txt
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path


def picklescan_exit(path: str) -> int:
    from picklescan.scanner import scan_file_path

    result = scan_file_path(path)
    if result.scan_err:
        return 2
    return 1 if result.infected_files > 0 else 0


def modelscan_exit(path: str) -> int:
    from modelscan.modelscan import ModelScan
    from modelscan.settings import DEFAULT_SETTINGS

    scanner = ModelScan(settings=DEFAULT_SETTINGS)
    scanner.scan(path)
    if not scanner.scanned:
        return 3
    if scanner.errors:
        return 2
    return 1 if scanner.issues.all_issues else 0


def fickling_exit(path: str) -> int:
    from fickling.cli import main

    return main(["fickling", "--check-safety", path])  # argv[0] is the program name


MARK = "RESULT "
TOOLS = {"picklescan": picklescan_exit, "modelscan": modelscan_exit, "fickling": fickling_exit}


def main() -> None:
    tool = sys.argv[1]
    run = TOOLS[tool]
    logging.disable(logging.CRITICAL)
    paths = [str(Path(line.strip()).resolve()) for line in sys.stdin if line.strip()]
    # fickling writes safety_results.json into the working directory: keep it out of the repo.
    os.chdir(tempfile.mkdtemp(prefix=f"{tool}-"))
    quiet = io.StringIO()
    with (
        contextlib.redirect_stdout(quiet),
        contextlib.redirect_stderr(quiet),
        contextlib.suppress(Exception),
    ):
        run(paths[0])  # warm the imports outside the timings
    for path in paths:
        started = time.perf_counter()
        sink = io.StringIO()
        try:
            with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
                code = run(path)
        except Exception as exc:  # a crash counts as a failed scan: non-zero, as the CLI would
            code, error = 2, f"{type(exc).__name__}: {exc}"
        else:
            error = None
        seconds = time.perf_counter() - started
        row = {"path": path, "exit": code, "error": error, "seconds": seconds}
        print(MARK + json.dumps(row), flush=True)
    print(json.dumps({"tool": tool, "version": metadata.version(tool)}), file=sys.stderr)


if __name__ == "__main__":
    main()
