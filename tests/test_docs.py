"""The manual stays true: generated references are current, the quick start is two commands."""

from __future__ import annotations

import re

import yaml

from failmodes.schemas.reference_docs import PAGES
from tests.conftest import REPO


def test_generated_references_are_current():
    for name, render in PAGES.items():
        committed = (REPO / "docs" / "reference" / name).read_text(encoding="utf-8")
        assert committed == render() + "\n", (
            f"docs/reference/{name} is stale: run "
            "`python -m failmodes.schemas.reference_docs docs/reference`"
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


def test_the_worked_example_of_the_scores_is_true():
    """docs/concepts.md walks one profile through the scoring; its figures must hold."""
    from failmodes import profile_from_dict, threat_model

    concepts = (REPO / "docs" / "concepts.md").read_text(encoding="utf-8")
    block = re.search(r"### Worked example\n.*?```yaml\n(.*?)```", concepts, re.S)
    assert block is not None
    model = threat_model(profile_from_dict(yaml.safe_load(block.group(1))))
    perturbation = model.get("perturbation_attack")
    assert [s.ease for s in perturbation.path] == [5, 4, 5]
    assert perturbation.inherent is not None and perturbation.potential is not None
    assert (perturbation.inherent.likelihood, perturbation.inherent.impact) == (4, 4)
    assert perturbation.inherent.risk.value == "high"
    assert perturbation.could_be is not None
    assert perturbation.could_be in " ".join(concepts.split())
    stealing = model.get("model_stealing")
    assert [s.ease for s in stealing.path] == [5, 3, 4]
    assert stealing.inherent is not None and stealing.potential is not None
    assert (stealing.inherent.score, stealing.inherent.risk.value) == (9, "medium")
    assert (stealing.potential.likelihood, stealing.potential.impact) == (3, 4)
    poisoning = model.get("poisoning_attack")
    assert poisoning.inherent is not None and poisoning.inherent.likelihood == 1
    key = {k.fact for k in model.key_facts}
    assert {"training_data.sources", "training_data.from_production_feedback"} <= key
