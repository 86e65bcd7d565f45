"""Episodes of the context's agent, for the probes that watch an agent act."""

from __future__ import annotations

from failmodes.errors import InputError
from failmodes.probes.base import ProbeContext
from failmodes.targets.agent import AgentTarget, Episode


def agent_of(ctx: ProbeContext) -> AgentTarget:
    """The context's agent target (``Need.ACTIONS`` makes one present)."""
    if not isinstance(ctx.target, AgentTarget):
        raise LookupError("no agent target; declare Need.ACTIONS in the spec")
    return ctx.target


def run_episodes(ctx: ProbeContext, agent: AgentTarget) -> list[Episode]:
    """Option ``episodes`` (default: the agent's) episodes, episode ``i`` reset with seed
    ``seed + i`` so that the same seed replays them, with a progress bar."""
    count = int(ctx.options.get("episodes", agent.episodes))
    if count < 1:
        raise InputError(f"option episodes: expected at least 1, got {count}.")
    env = agent.make_env()
    try:
        return [
            agent.rollout(env, ctx.seed + i) for i in ctx.progress(range(count), count, "episodes")
        ]
    finally:
        env.close()
