"""The risk register: systems, profile versions, assessments, decisions and their history,
kept in SQLite (a file next to the profile) or PostgreSQL (a team's server).

::

    from failmodes.store import open_register
    with open_register("failmodes-register.sqlite") as register:
        register.add_profile(Path("fraud.yaml").read_text(), actor="ana")
        register.decide("fraud-detection", RegisterDecision(...), actor="ana")
        model = register.current("fraud-detection")   # residual risk from the decisions
"""

from failmodes.store.records import ActionStatus, EvidenceLink, HistoryEntry, RegisterDecision
from failmodes.store.register import Register, open_register, register_location, system_id

__all__ = [
    "ActionStatus",
    "EvidenceLink",
    "HistoryEntry",
    "Register",
    "RegisterDecision",
    "open_register",
    "register_location",
    "system_id",
]
