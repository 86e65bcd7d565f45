"""An agent in a Gymnasium environment as a target: a policy that acts, and a world to run it in.

The reinforcement-learning probes need more than answers to inputs: they run whole episodes
and, for exact impact measures, put the world back into earlier states. :class:`AgentTarget`
holds the environment id and the policy (a function from an observation to an action), makes
fresh environments, counts one query per action and runs :func:`rollout`. Gymnasium is
imported only when an environment is made, so a profile with an agent loads (and its probes
report *needs failmodes[rl]*) without it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from failmodes.errors import InputError
from failmodes.targets.base import Capability, Inputs, Target

#: Steps after which an episode is cut when neither the environment nor the profile limits it.
STEP_CAP = 10_000


@dataclass
class Episode:
    """What happened in one episode, step by step (``states`` only where the world offers
    ``get_state``; ``true`` only where the step info carries the true measure)."""

    seed: int
    observations: list[Any] = field(default_factory=list)
    actions: list[Any] = field(default_factory=list)
    rewards: list[float] = field(default_factory=list)
    true: list[float | None] = field(default_factory=list)
    states: list[Hashable] = field(default_factory=list)
    terminated: bool = False

    @property
    def reward(self) -> float:
        return float(sum(self.rewards))


def observation_key(observation: Any) -> tuple[Any, ...]:
    """A hashable stand-in for an observation (arrays by their values)."""
    return tuple(np.asarray(observation).ravel().tolist())


class AgentTarget(Target):
    """A policy acting in a Gymnasium environment named by id."""

    capabilities = frozenset({Capability.ACTIONS})

    def __init__(
        self,
        environment: str,
        policy: Callable[[Any], Any],
        *,
        name: str | None = None,
        episodes: int = 10,
        max_steps: int | None = None,
        true_measure: str = "true_reward",
        noop_action: int | None = None,
        budget: int | None = None,
    ) -> None:
        if not callable(policy):
            raise InputError(f"the agent's policy must be callable, got {type(policy).__name__}.")
        super().__init__(budget=budget)
        self.environment = environment
        self.policy = policy
        self.name = name or getattr(policy, "__name__", type(policy).__name__)
        self.episodes = episodes
        self.max_steps = max_steps
        self.true_measure = true_measure
        self.noop_action = noop_action

    def make_env(self) -> Any:
        """A fresh environment (imports Gymnasium; registers the shipped ``failmodes/`` worlds)."""
        import gymnasium

        from failmodes import gridworlds

        if self.environment.startswith(f"{gridworlds.NAMESPACE}/"):
            gridworlds.register()
        try:
            return gymnasium.make(self.environment)
        except gymnasium.error.Error as exc:
            raise InputError(
                f"cannot make Gymnasium environment {self.environment!r}: {exc} (profile "
                "`target.agent.environment`; the shipped ones are failmodes/BoatRace-v0 and "
                "failmodes/BoxRoom-v0)."
            ) from None

    def act(self, observation: Any) -> Any:
        """The policy's action for one observation (one query)."""
        self._spend(np.asarray([observation], dtype=object))
        return self.policy(observation)

    def _predict(self, X: Inputs) -> Any:
        return [self.policy(x) for x in X]

    def noop(self, env: Any) -> int:
        """The do-nothing action: the profile's, else the environment's ``noop_action``."""
        noop = self.noop_action
        if noop is None:
            noop = getattr(env.unwrapped, "noop_action", None)
        if noop is None:
            raise InputError(
                f"{self.environment} declares no `noop_action`; name the action that does "
                "nothing as `target.agent.noop_action` for the inaction baseline."
            )
        return int(noop)

    def rollout(self, env: Any, seed: int) -> Episode:
        """Run one episode from ``env.reset(seed=seed)`` with the policy."""
        episode = Episode(seed=seed)
        observation, _ = env.reset(seed=seed)
        world = env.unwrapped
        stateful = callable(getattr(world, "get_state", None))
        if stateful:
            episode.states.append(world.get_state())
        limit = self.max_steps or STEP_CAP
        for _ in range(limit):
            action = self.act(observation)
            episode.observations.append(observation)
            episode.actions.append(action)
            observation, reward, terminated, truncated, info = env.step(action)
            episode.rewards.append(float(reward))
            true = info.get(self.true_measure) if isinstance(info, dict) else None
            episode.true.append(None if true is None else float(true))
            if stateful:
                episode.states.append(world.get_state())
            if terminated or truncated:
                episode.terminated = bool(terminated)
                break
        episode.observations.append(observation)
        return episode

    def describe(self) -> str:
        return f"agent {self.name} in {self.environment}"
