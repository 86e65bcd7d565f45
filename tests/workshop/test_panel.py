"""The terminal panel of one agenda item: what it shows, and typed text printed as typed."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from failmodes.profile.schema import Decision
from failmodes.report.workshop import mode_panel
from failmodes.store import RegisterDecision
from failmodes.workshop import build_agenda


@pytest.fixture
def location(tmp_path) -> str:
    """A renderer's test: one SQLite register is enough."""
    return str(tmp_path / "register.sqlite")


def shown(item) -> str:
    console = Console(file=io.StringIO(), width=200, color_system=None)
    console.print(
        mode_panel(
            item.mode,
            rank=item.rank,
            total=10,
            questions=item.questions,
            decision=item.decision,
        )
    )
    return " ".join(console.file.getvalue().split())


def test_the_panel_shows_what_the_team_decides_on(register, diagnosis):
    system, _ = diagnosis
    item = build_agenda(register, system).item("membership_inference")
    text = shown(item)
    assert f"{item.rank}/10 · Membership inference (membership_inference)" in text
    assert item.why[0].text in text
    assert "fail mia_auc = " in text and "(fail above" in text
    assert "B.5 (test) Can the model reveal whether a person belongs" in text
    assert "none: the mode is open" in text


def test_typed_text_is_not_markup(register, fraud):
    mode = build_agenda(register, fraud).items[0].mode_id
    register.decide(
        fraud,
        RegisterDecision(
            mode_id=mode,
            decision=Decision.ACCEPT,
            owner="[bold]mallory[/bold]",
            rationale="[link=http://evil.example]click[/link]",
            mitigations=["[red]x[/red]"],
        ),
        actor="mallory",
    )
    text = shown(build_agenda(register, fraud).item(mode))
    assert "accept by [bold]mallory[/bold]" in text
    assert "[link=http://evil.example]click[/link]" in text
    assert "mitigations: [red]x[/red]" in text
    # the profile's own decision is shown as such
    listed = shown(build_agenda(register, fraud).item("membership_inference"))
    assert "mitigate by privacy-office@example.com, in the profile's decisions" in listed
