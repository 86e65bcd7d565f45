"""Windows of production data: by time (a pandas offset such as ``1D`` or ``6h``) or by count
(every ``n`` rows).

A window is named by a key that sorts in time order — the ISO start of a time window, the
zero-padded first row of a count window — so windows computed in any order, by any number of
runs, line up on one axis.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from failmodes.errors import DataError, InputError


class WindowRule(BaseModel):
    """How rows are cut into windows: ``every`` (a time offset, with ``time_column``) or
    ``rows`` (a count, in file order)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    every: str | None = Field(None, description="A pandas offset alias: 1D, 6h, 1W …")
    rows: int | None = Field(None, ge=1)
    time_column: str | None = None

    @model_validator(mode="after")
    def _one_rule(self) -> WindowRule:
        if (self.every is None) == (self.rows is None):
            raise ValueError("give exactly one of `every` (a time offset) or `rows` (a count)")
        if self.every is not None:
            if self.time_column is None:
                raise ValueError("time windows (`every`) need a `time_column`")
            try:
                pd.tseries.frequencies.to_offset(self.every)
            except ValueError:
                raise ValueError(
                    f"`every` must be a pandas offset such as 1D, 6h or 1W; got {self.every!r}"
                ) from None
        return self


def window_groups(
    frame: pd.DataFrame, rule: WindowRule, first_row: int
) -> list[tuple[str, np.ndarray]]:
    """The windows of ``frame``'s rows — (key, row positions), keys in order — where the
    frame's first row is row ``first_row`` of the whole data (the count rule needs it; the
    time rule ignores it). Keys are made once per window, not once per row."""
    if rule.rows is not None:
        starts = (first_row + np.arange(len(frame))) // rule.rows * rule.rows
        values, codes = np.unique(starts, return_inverse=True)
        names = [f"rows {int(s):012d}" for s in values]
    else:
        floored = event_times(frame, rule).dt.floor(str(rule.every))
        codes, uniques = pd.factorize(floored, sort=True)
        names = [t.isoformat() for t in uniques]
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(names) + 1))
    return [(name, order[bounds[i] : bounds[i + 1]]) for i, name in enumerate(names)]


def event_times(frame: pd.DataFrame, rule: WindowRule) -> pd.Series:
    """The time column as UTC timestamps; a clear error when it is missing or unparsable."""
    column = str(rule.time_column)
    if column not in frame.columns:
        raise DataError(f"time column {column!r} is not in the data; name it with --time-column.")
    try:
        times = pd.to_datetime(frame[column], utc=True)
    except (ValueError, TypeError) as exc:
        raise DataError(f"time column {column!r} holds values that are not times: {exc}") from None
    if times.isna().any():
        raise DataError(f"time column {column!r} has missing times; drop or fill those rows.")
    return times


def parse_window(text: str, time_column: str | None) -> WindowRule:
    """``1D`` / ``6h`` (time) or ``10000`` / ``rows:10000`` (count) → a rule."""
    count = text.removeprefix("rows:")
    try:
        if count.isdigit():
            return WindowRule(rows=int(count))
        return WindowRule(every=text, time_column=time_column)
    except ValidationError as exc:
        message = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
        raise InputError(f"window {text!r}: {message}") from None
