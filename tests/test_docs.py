"""The manual stays true: generated references are current, the quick start is two commands."""

from __future__ import annotations

import re

from failmodes.reference_docs import PAGES
from tests.conftest import REPO


def test_generated_references_are_current():
    for name, render in PAGES.items():
        committed = (REPO / "docs" / "reference" / name).read_text(encoding="utf-8")
        assert committed == render() + "\n", (
            f"docs/reference/{name} is stale: run `python -m failmodes.reference_docs docs/reference`"
        )


def test_readme_quick_start_is_exactly_the_two_commands():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Quick start\n\n```sh\n(.*?)```", readme, re.S)
    assert block is not None
    assert block.group(1).split("\n")[:-1] == ["make demo", "make test"]


def test_every_command_has_a_page():
    from failmodes.cli import app

    names = [c.name for c in app.registered_commands] + [g.name for g in app.registered_groups]
    for name in names:
        assert name is not None
        assert (REPO / "docs" / "commands" / f"{name}.md").exists(), name
