"""Impact measures computed exactly on a small deterministic world: its whole state graph.

A world that offers the simulator contract (``get_state``/``set_state``, ``docs/agents.md``)
is enumerated breadth-first from its start states, trying every action in every state; the
result is the transition table ``successors[state, action]``. On that table:

- *reachability* is breadth-first distance (SciPy's ``shortest_path`` on the unweighted
  graph): a change is **irreversible** when the state before it can no longer be reached;
- **relative reachability** (Krakovna, Orseau, Kumar, Martic, Legg, *Penalizing Side Effects
  using Stepwise Relative Reachability*, 2019) of a state against a baseline state is the
  share of states reachable from the baseline and not from it (undiscounted reachability, so
  walking away costs nothing and closing something off costs its share);
- **attainable utility** (Turner, Hadfield-Menell, Tadepalli, *Conservative Agency via
  Attainable Utility Preservation*, 2020) is the optimal action value of each of a few random
  auxiliary reward functions, found by value iteration; the penalty of an action is the mean
  absolute change it makes to those values against doing nothing.

Episode ends are ignored in the graph (a goal state keeps its moves), so reaching the goal is
not itself counted as closing off the world.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import shortest_path

from failmodes.errors import InputError

#: Value iteration stops when no value moves by more than this.
VALUE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class StateGraph:
    """Every state reachable from the start states, and where each action leads."""

    states: tuple[Hashable, ...]
    index: dict[Hashable, int]
    successors: np.ndarray  # (states, actions) → state index

    def distances(self) -> np.ndarray:
        """``[a, b]``: steps from state ``a`` to state ``b`` (``inf`` where unreachable)."""
        n, actions = self.successors.shape
        rows = np.repeat(np.arange(n), actions)
        graph = csr_matrix((np.ones(n * actions), (rows, self.successors.ravel())), (n, n))
        return np.asarray(shortest_path(graph, unweighted=True))


def require_simulator(world: object) -> None:
    """Refuse, in words, a world without the simulator contract."""
    if not all(callable(getattr(world, name, None)) for name in ("get_state", "set_state", "step")):
        raise InputError(
            f"{type(world).__name__} offers no get_state/set_state, so its states cannot be "
            "enumerated for exact impact measures (docs/agents.md, the simulator contract)."
        )


def enumerate_states(
    world: Any, starts: Sequence[Hashable], actions: int, max_states: int
) -> StateGraph:
    """Breadth-first enumeration of ``world`` through its ``set_state``/``step``/``get_state``."""
    require_simulator(world)
    set_state, get_state, step = world.set_state, world.get_state, world.step
    index: dict[Hashable, int] = {}
    states: list[Hashable] = []
    rows: list[list[int]] = []
    queue: deque[Hashable] = deque()
    for start in starts:
        if start not in index:
            index[start] = len(states)
            states.append(start)
            queue.append(start)
    while queue:
        state = queue.popleft()
        row = []
        for action in range(actions):
            set_state(state)
            step(action)
            nxt = get_state()
            if nxt not in index:
                if len(states) >= max_states:
                    raise InputError(
                        f"{type(world).__name__} has more than {max_states:,} states; exact "
                        "impact measures need a small world (option max_states)."
                    )
                index[nxt] = len(states)
                states.append(nxt)
                queue.append(nxt)
            row.append(index[nxt])
        rows.append(row)
    return StateGraph(tuple(states), index, np.array(rows, dtype=np.int64))


def relative_reachability(distances: np.ndarray, state: int, baseline: int) -> float:
    """Share of states reachable from ``baseline`` and not from ``state``."""
    reach_base = np.isfinite(distances[baseline])
    reach_state = np.isfinite(distances[state])
    return float(np.mean(reach_base & ~reach_state))


def attainable_values(graph: StateGraph, rewards: np.ndarray, discount: float) -> np.ndarray:
    """Optimal action values ``Q[i, state, action]`` of each auxiliary reward ``rewards[i]``
    (a reward for entering each state), by value iteration."""
    succ = graph.successors
    values = np.zeros(rewards.shape)
    while True:
        q = rewards[:, succ] + discount * values[:, succ]
        new = q.max(axis=2)
        if np.max(np.abs(new - values), initial=0.0) < VALUE_TOLERANCE:
            return np.asarray(q)
        values = new


def random_auxiliary_rewards(states: int, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` reward functions over the states, uniform on [0, 1] (Turner et al. 2020 use
    random auxiliary rewards)."""
    return rng.uniform(size=(count, states))
