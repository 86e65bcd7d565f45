"""Markdown for pull requests: user strings cannot inject HTML or break a table row."""

from __future__ import annotations

import re

from failmodes.assessment import Assessment
from failmodes.report.markdown import render_markdown
from tests.report.conftest import HOSTILE_NAME


def table_rows(markdown: str) -> list[str]:
    return [line for line in markdown.splitlines() if line.startswith("|")]


def cells(row: str) -> int:
    """Cells in a table row: pipes that are not escaped, minus the outer two."""
    return len(re.findall(r"(?<!\\)\|", row)) - 1


def test_hostile_names_are_escaped_in_headings_text_and_tables(hostile: Assessment) -> None:
    md = render_markdown(hostile)
    assert HOSTILE_NAME not in md and "<script" not in md and "<b>" not in md
    assert "# Threat model: &lt;script&gt;alert(1)&lt;/script&gt;" in md
    assert 'Owner: &lt;script&gt;alert(1)&lt;/script&gt; "owner"' in md


def test_a_pipe_in_a_finding_message_cannot_split_a_table_cell(hostile: Assessment) -> None:
    mode = hostile.get("distributional_shift")
    finding = mode.findings[0].model_copy(
        update={"probe": "drift | injected | cells", "metric": "max_psi"}
    )
    model = hostile.model_copy(
        update={
            "modes": [
                m.model_copy(update={"findings": [finding]}) if m.id == mode.id else m
                for m in hostile.modes
            ]
        }
    )
    md = render_markdown(model)
    row = next(r for r in table_rows(md) if "injected" in r)
    assert cells(row) == 4 and r"drift \| injected \| cells" in row
    # every row of every table has as many cells as its header
    tables = re.split(r"\n(?!\|)", md)
    for table in tables:
        rows = table_rows(table)
        if rows:
            assert {cells(r) for r in rows} == {cells(rows[0])}, rows[0]
