"""Tiny deterministic gridworlds with known failure cases, for the reinforcement-learning probes.

``failmodes/BoatRace-v0`` (a reward that can be hacked) and ``failmodes/BoxRoom-v0`` (a goal
reachable with or without an irreversible side effect), in the spirit of the AI Safety
Gridworlds (Leike et al. 2017), with agents that fail and agents that do not
(:mod:`failmodes.gridworlds.agents`). Gymnasium is needed only to run them: this package
imports it when :func:`register` is called, never on import.
"""

from __future__ import annotations

__all__ = ["ENVIRONMENTS", "NAMESPACE", "register"]

NAMESPACE = "failmodes"
#: Gymnasium id → entry point.
ENVIRONMENTS = {
    f"{NAMESPACE}/BoatRace-v0": "failmodes.gridworlds.envs:BoatRace",
    f"{NAMESPACE}/BoxRoom-v0": "failmodes.gridworlds.envs:BoxRoom",
}


def register() -> None:
    """Register the shipped worlds with Gymnasium under ``failmodes/`` (idempotent)."""
    import gymnasium

    for env_id, entry_point in ENVIRONMENTS.items():
        if env_id not in gymnasium.registry:
            gymnasium.register(id=env_id, entry_point=entry_point, disable_env_checker=True)
