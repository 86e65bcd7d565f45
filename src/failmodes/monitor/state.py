"""The monitor's state between runs: every window's findings, in one JSON file.

A daily job reads the state, adds the day's window and writes it back. The file is written
beside its destination, flushed to disk and renamed over the old one (``os.replace`` is
atomic on POSIX and Windows), so a run killed at any moment leaves either the old state or
the new one, never half of either. A state made under a different configuration (another
window rule, other columns) is refused rather than mixed with: its windows would not compare.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from failmodes.errors import DataError, InputError, MissingFileError
from failmodes.findings import Finding
from failmodes.monitor.engine import MonitorConfig

STATE_FORMAT = 1
#: The largest state file read (a bound on untrusted input).
MAX_STATE_BYTES = 256 * 1024**2


class WindowResult(BaseModel):
    """One window: its key, its rows and every finding measured on it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    rows: int
    findings: list[Finding] = Field(default_factory=list)


class MonitorState(BaseModel):
    """The windows measured so far, under one configuration."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: int = STATE_FORMAT
    config: MonitorConfig
    windows: list[WindowResult] = Field(default_factory=list)

    def with_windows(self, new: list[WindowResult]) -> MonitorState:
        """This state with ``new`` windows added; a window measured again replaces the old
        one (its late labels have arrived, say)."""
        merged = {w.key: w for w in self.windows} | {w.key: w for w in new}
        return self.model_copy(update={"windows": [merged[k] for k in sorted(merged)]})


def load_state(path: Path, config: MonitorConfig) -> MonitorState:
    """The state at ``path``, or an empty one when the file does not exist yet; refused when
    it was made under another configuration."""
    if not path.exists():
        return MonitorState(config=config)
    state = read_state(path)
    if state.config != config:
        raise InputError(
            f"{path}: made with a different monitoring configuration; use the same options, "
            "or give a new --state file."
        )
    return state


def read_state(path: Path) -> MonitorState:
    """A state file as it is (bounded, validated)."""
    if not path.is_file():
        raise MissingFileError(f"{path}: no such state file")
    if path.stat().st_size > MAX_STATE_BYTES:
        raise DataError(f"{path}: a state file over {MAX_STATE_BYTES // 1024**2} MiB; refused.")
    try:
        state = MonitorState.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, ValidationError) as exc:
        first = str(exc).splitlines()[0]
        raise DataError(f"{path}: not a failmodes monitor state file ({first}).") from None
    if state.format != STATE_FORMAT:
        raise DataError(
            f"{path}: state format {state.format}; this failmodes reads {STATE_FORMAT}."
        )
    return state


def save_state(state: MonitorState, path: Path) -> None:
    """Write-then-rename: a killed run never leaves a corrupt state."""
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise InputError(f"{path}: folder {parent} does not exist; create it first.")
    fd, tmp = tempfile.mkstemp(dir=parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(state.model_dump_json(indent=1))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
