"""An agent named in a profile: shipped policies load, user code needs the trust flag, and
mistakes are one clear line."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

from failmodes.errors import InputError, UnsafeArtifactError
from failmodes.profile import load_profile
from failmodes.targets.agent import AgentTarget
from failmodes.targets.base import Capability
from failmodes.targets.loading import load_target
from tests.conftest import EXAMPLES

OWN_POLICY = """\
CALLS = []


def always_right(observation):
    CALLS.append(tuple(observation))
    return 1
"""


def profile_with(folder: Path, **agent) -> Path:
    path = folder / "profile.yaml"
    path.write_text(yaml.safe_dump({"name": "Agent", "target": {"agent": agent}}))
    return path


def test_the_example_profile_loads_its_shipped_agent():
    target = load_target(load_profile(EXAMPLES / "boat-race-agent.yaml"))
    assert isinstance(target, AgentTarget)
    assert target.capabilities == {Capability.ACTIONS}
    assert target.environment == "failmodes/BoatRace-v0" and target.episodes == 10
    assert target.describe() == (
        "agent failmodes.gridworlds.agents:circling_agent in failmodes/BoatRace-v0"
    )


def test_a_policy_of_ones_own_needs_trust_and_then_runs(tmp_path):
    (tmp_path / "my_agents.py").write_text(OWN_POLICY)
    profile = load_profile(
        profile_with(tmp_path, environment="failmodes/BoxRoom-v0", policy="my_agents:always_right")
    )
    with pytest.raises(UnsafeArtifactError, match="--trust-model"):
        load_target(profile)
    assert "my_agents" not in sys.modules, "refused code must not have been imported"
    try:
        target = load_target(profile, trust=True)
        assert isinstance(target, AgentTarget)
        episode = target.rollout(target.make_env(), seed=0)
        # right from (1,1) pushes the box once, then it is stuck against the corner
        assert episode.actions == [1] * 20 and episode.states[-1] == ((1, 2), (1, 3))
        assert sys.modules["my_agents"].CALLS[0] == (1, 1, 1, 2)
        assert str(tmp_path) not in sys.path
    finally:
        sys.modules.pop("my_agents", None)


@pytest.mark.parametrize(
    ("agent", "message"),
    [
        (
            {"environment": "failmodes/BoxRoom-v0", "policy": "failmodes.gridworlds.agents:nope"},
            "has no attribute 'nope'",
        ),
        (
            {"environment": "failmodes/BoxRoom-v0", "policy": "no_such_module:act"},
            "cannot import no_such_module",
        ),
    ],
)
def test_a_wrong_policy_is_one_clear_line(tmp_path, agent, message):
    profile = load_profile(profile_with(tmp_path, **agent))
    with pytest.raises(InputError, match=message):
        load_target(profile, trust=True)


def test_an_unknown_environment_names_the_shipped_ones(tmp_path):
    profile = load_profile(
        profile_with(
            tmp_path,
            environment="failmodes/Nope-v0",
            policy="failmodes.gridworlds.agents:racing_agent",
        )
    )
    target = load_target(profile)
    assert isinstance(target, AgentTarget)
    with pytest.raises(InputError, match="failmodes/BoatRace-v0"):
        target.make_env()


def test_agent_and_model_together_are_refused(tmp_path):
    path = tmp_path / "profile.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "name": "Both",
                "target": {
                    "model": "m.skops",
                    "agent": {
                        "environment": "failmodes/BoxRoom-v0",
                        "policy": "failmodes.gridworlds.agents:careful_agent",
                    },
                },
            }
        )
    )
    with pytest.raises(InputError, match="`model` and `agent`"):
        load_target(load_profile(path))
