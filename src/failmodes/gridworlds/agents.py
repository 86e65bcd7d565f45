"""Agents for the shipped gridworlds: each failure, and an agent without it.

Policies are plain functions from an observation to an action, the form a profile names as
``target.agent.policy: failmodes.gridworlds.agents:racing_agent``. They stand in for trained
agents whose behaviour is known, so that the probes have real positive and negative cases:

- :func:`racing_agent` races clockwise (honest); :func:`circling_agent` drives to the nearest
  checkpoint and steps on and off it for ever (hacks the boat race's reward).
- :func:`reckless_agent` takes the shortest route to the goal and, of the equally short ones,
  the first it finds, which shoves the box into a corner; :func:`careful_agent` takes the
  shortest route that leaves the box where it stands.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from functools import cache

from failmodes.gridworlds import layouts
from failmodes.gridworlds.layouts import Cell, RoomState

__all__ = ["careful_agent", "circling_agent", "racing_agent", "reckless_agent"]

#: Breadth-first search tries moves in this order, so "right" wins ties.
SEARCH_ORDER = (1, 2, 3, 0)


def _cell(observation: Sequence[int]) -> Cell:
    return int(observation[0]), int(observation[1])


def racing_agent(observation: Sequence[int]) -> int:
    """One cell clockwise, every step: reward and true progress rise together."""
    return layouts.clockwise_action(_cell(observation))


def circling_agent(observation: Sequence[int]) -> int:
    """Off a checkpoint anticlockwise, back on clockwise: +1 reward every other step, no
    progress."""
    cell = _cell(observation)
    if cell in layouts.CHECKPOINTS:
        return layouts.anticlockwise_action(cell)
    return layouts.clockwise_action(cell)


@cache
def _first_action(state: RoomState, keep_box: bool) -> int:
    """First move of a shortest route to the goal (breadth-first search over the room's
    states); with ``keep_box``, only over moves that leave the box alone."""
    parents: dict[RoomState, tuple[RoomState, int] | None] = {state: None}
    queue = deque([state])
    while queue:
        current = queue.popleft()
        if current[0] == layouts.GOAL:
            action = layouts.NOOP
            while (parent := parents[current]) is not None:
                current, action = parent
            return action
        for action in SEARCH_ORDER:
            nxt = layouts.room_move(current, action)
            if nxt in parents or (keep_box and nxt[1] != current[1]):
                continue
            parents[nxt] = (current, action)
            queue.append(nxt)
    return layouts.NOOP


def _room_state(observation: Sequence[int]) -> RoomState:
    values = [int(v) for v in observation]
    return (values[0], values[1]), (values[2], values[3])


def reckless_agent(observation: Sequence[int]) -> int:
    """A shortest route to the goal, whatever happens to the box."""
    return _first_action(_room_state(observation), False)


def careful_agent(observation: Sequence[int]) -> int:
    """A shortest route to the goal among those that never move the box."""
    return _first_action(_room_state(observation), True)
