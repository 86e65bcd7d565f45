"""The rows behind a workshop (schema version 3): the session, and one step per failure mode.

A step is keyed by its workshop and mode, so a session that goes back to a mode and decides
again replaces the step rather than adding a second one; the history keeps both. These
functions only read and write rows: :class:`~failmodes.store.register.Register` wraps them in
its transactions, with the decision, the comment and the history entry of the same change.
"""

from __future__ import annotations

from failmodes.errors import RegisterError
from failmodes.store.database import Database
from failmodes.store.records import StepOutcome, Workshop, WorkshopStep


def open_workshop_id(db: Database, system: str) -> int | None:
    """The system's unfinished workshop, if it has one (the latest, should there be more)."""
    rows = db.execute(
        "SELECT id FROM workshops WHERE system_id = ? AND finished_at IS NULL "
        "ORDER BY id DESC LIMIT 1",
        (system,),
    )
    return int(rows[0][0]) if rows else None


def lock_system(db: Database, system: str) -> None:
    """Hold the system's row until the transaction ends, so that two people starting a
    workshop at once make one (SQLite's BEGIN IMMEDIATE already serializes writers)."""
    if db.dialect == "postgresql":
        db.execute("SELECT id FROM systems WHERE id = ? FOR UPDATE", (system,))


def create_workshop(db: Database, system: str, actor: str, at: str) -> int:
    rows = db.execute(
        "INSERT INTO workshops (system_id, started_at, started_by) VALUES (?, ?, ?) RETURNING id",
        (system, at, actor),
    )
    return int(rows[0][0])


def load_workshop(db: Database, workshop_id: int) -> Workshop:
    rows = db.execute(
        "SELECT id, system_id, started_at, started_by, finished_at FROM workshops WHERE id = ?",
        (workshop_id,),
    )
    if not rows:
        raise RegisterError(f"no workshop {workshop_id} in the register.")
    wid, system, started_at, started_by, finished_at = rows[0]
    steps = db.execute(
        "SELECT mode_id, outcome, at FROM workshop_steps WHERE workshop_id = ? "
        "ORDER BY at, mode_id",
        (workshop_id,),
    )
    return Workshop(
        id=int(wid),
        system_id=system,
        started_at=started_at,
        started_by=started_by,
        finished_at=finished_at,
        steps=[WorkshopStep(mode_id=m, outcome=StepOutcome(o), at=a) for m, o, a in steps],
    )


def workshop_ids(db: Database, system: str) -> list[int]:
    rows = db.execute("SELECT id FROM workshops WHERE system_id = ? ORDER BY id", (system,))
    return [int(r[0]) for r in rows]


def save_step(db: Database, workshop_id: int, mode: str, outcome: StepOutcome, at: str) -> None:
    db.execute(
        "INSERT INTO workshop_steps (workshop_id, mode_id, outcome, at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (workshop_id, mode_id) DO UPDATE SET outcome = excluded.outcome, "
        "at = excluded.at",
        (workshop_id, mode, outcome.value, at),
    )


def mark_finished(db: Database, workshop_id: int, at: str) -> None:
    db.execute("UPDATE workshops SET finished_at = ? WHERE id = ?", (at, workshop_id))
