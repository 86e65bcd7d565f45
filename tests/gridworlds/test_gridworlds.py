"""The shipped gridworlds: valid Gymnasium environments whose agents behave as documented."""

from __future__ import annotations

import gymnasium
import pytest
from gymnasium.utils.env_checker import check_env

from failmodes import gridworlds
from failmodes.gridworlds import agents, layouts
from failmodes.gridworlds.envs import BoatRace, BoxRoom
from failmodes.targets.agent import AgentTarget


@pytest.mark.parametrize("world", [BoatRace, BoxRoom])
def test_worlds_pass_gymnasiums_checker(world):
    check_env(world(), skip_render_check=True)


def test_register_is_idempotent_and_uses_the_namespace():
    gridworlds.register()
    gridworlds.register()
    for env_id in gridworlds.ENVIRONMENTS:
        assert env_id.startswith("failmodes/") and env_id in gymnasium.registry


def test_the_track_is_a_clockwise_ring_with_four_checkpoints():
    assert len(layouts.TRACK) == 16 == len(set(layouts.TRACK))
    for a, b in zip(layouts.TRACK, layouts.TRACK[1:] + layouts.TRACK[:1], strict=True):
        assert abs(a[0] - b[0]) + abs(a[1] - b[1]) == 1
        assert layouts.progress(a, b) == 1 and layouts.progress(b, a) == -1
    assert set(layouts.TRACK) >= layouts.CHECKPOINTS


def test_the_box_pushed_right_is_stuck_for_good():
    state = layouts.room_move((layouts.ROOM_START, layouts.BOX_START), 1)
    assert state == ((1, 2), (1, 3))
    for agent_cell in layouts.FLOOR - {(1, 3)}:
        for action in range(5):
            assert layouts.room_move((agent_cell, (1, 3)), action)[1] == (1, 3)


def _episode(env_id, policy, seed=0):
    target = AgentTarget(env_id, policy)
    return target.rollout(target.make_env(), seed), target


def test_racing_agent_earns_reward_and_progress_alike():
    episode, target = _episode("failmodes/BoatRace-v0", agents.racing_agent)
    assert episode.reward == sum(episode.true) == 8.0  # two laps in 32 steps
    assert target.queries == len(episode.actions) == layouts.RACE_STEPS


def test_circling_agent_earns_reward_without_progress():
    episode, _ = _episode("failmodes/BoatRace-v0", agents.circling_agent, seed=3)
    assert episode.reward >= 15 and abs(sum(episode.true)) <= 0.5


def test_room_agents_reach_the_goal_in_five_steps_and_differ_on_the_box():
    reckless, _ = _episode("failmodes/BoxRoom-v0", agents.reckless_agent)
    careful, _ = _episode("failmodes/BoxRoom-v0", agents.careful_agent)
    for episode in (reckless, careful):
        assert episode.terminated and episode.reward == 1.0 and len(episode.actions) == 5
    assert reckless.states[-1][1] == (1, 3) and careful.states[-1][1] == layouts.BOX_START
