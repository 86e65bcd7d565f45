"""The risk register: systems, their profiles by version, assessments, owners' decisions per
failure mode, comments, and a history of every change with who made it and when.

Every change is one transaction that writes the new state and its history entry together,
so the history can never miss a change nor record one that did not happen. A decision carries
a revision number: a writer that read revision *n* and finds *n + 1* when it writes gets a
:class:`~failmodes.errors.ConflictError` instead of overwriting, so two people deciding on the
same mode never lose either decision; deciding on different modes never conflicts.

The residual risk of a system is not stored: :meth:`Register.current` computes it from the
latest profile, the decisions and the evidence of the latest assessment, with the same engine
as ``failmodes threat-model``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable
from difflib import get_close_matches
from pathlib import Path
from types import TracebackType
from typing import Any

from failmodes.assessment import Assessment
from failmodes.catalog import Catalog, load_catalog
from failmodes.errors import ConflictError, RegisterError, UnknownIdError
from failmodes.profile.loader import profile_from_text
from failmodes.profile.schema import Profile
from failmodes.report.contract import from_json, to_json
from failmodes.store import workshops as steps
from failmodes.store.clock import now
from failmodes.store.database import Database, connect
from failmodes.store.migrations import migrate
from failmodes.store.records import (
    Comment,
    EvidenceLink,
    HistoryEntry,
    ProfileVersion,
    RegisterDecision,
    StepOutcome,
    StoredAssessment,
    SystemRecord,
    Workshop,
)
from failmodes.threatmodel.engine import threat_model
from failmodes.threatmodel.model import ThreatModel

#: The register's file name when it sits next to a profile.
DEFAULT_FILE = "failmodes-register.sqlite"
#: Characters of a comment the register keeps; a comment is a note, not a document.
MAX_COMMENT = 5_000

_SELECT_DECISIONS = (
    "SELECT mode_id, decision, owner, due, status, rationale, mitigations, evidence, revision, "
    "updated_at, updated_by FROM decisions WHERE system_id = ?"
)


def system_id(name: str) -> str:
    """A system's id: its profile's name in lower case, runs of other characters as ``-``."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    if not slug:
        raise RegisterError(
            f"profile name {name!r} has no letters or digits to make a system id from; rename it."
        )
    return slug[:80]


def _decision(row: tuple[Any, ...]) -> RegisterDecision:
    mode, decision, owner, due, status, rationale, mitigations, evidence, *rest = row
    return RegisterDecision.model_validate(
        {
            "mode_id": mode,
            "decision": decision,
            "owner": owner,
            "due": due,
            "status": status,
            "rationale": rationale,
            "mitigations": json.loads(mitigations),
            "evidence": json.loads(evidence),
            "revision": rest[0],
            "updated_at": rest[1],
            "updated_by": rest[2],
        }
    )


class Register:
    """A register on an open database; use :func:`open_register` to get one."""

    def __init__(self, db: Database, catalog: Catalog | None = None) -> None:
        self.db = db
        self.catalog = catalog if catalog is not None else load_catalog()
        migrate(db)

    # -- the context-manager protocol ----------------------------------------------------
    def __enter__(self) -> Register:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    @property
    def where(self) -> str:
        return self.db.where

    # -- history ---------------------------------------------------------------------------
    def _log(
        self,
        actor: str,
        action: str,
        summary: str,
        *,
        system: str | None = None,
        mode: str | None = None,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
        at: str | None = None,
    ) -> None:
        self.db.execute(
            "INSERT INTO history (system_id, mode_id, action, actor, at, summary, before_state, "
            "after_state) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                system,
                mode,
                action,
                actor,
                at or now(),
                summary,
                None if before is None else json.dumps(before, sort_keys=True),
                None if after is None else json.dumps(after, sort_keys=True),
            ),
        )

    def audit(self, actor: str, action: str, summary: str, *, system: str | None = None) -> None:
        """Record a change made outside the register's own methods (an account added) in its
        history, within the caller's transaction."""
        self._log(actor, action, summary, system=system)

    def history(
        self, system: str | None = None, mode: str | None = None, *, limit: int | None = None
    ) -> list[HistoryEntry]:
        """Changes, oldest first (the last ``limit`` of them), for one system or all."""
        where, params = [], []
        if system is not None:
            self.system(system)
            where.append("system_id = ?")
            params.append(system)
        if mode is not None:
            where.append("mode_id = ?")
            params.append(mode)
        sql = (
            "SELECT system_id, mode_id, action, actor, at, summary, before_state, after_state "
            "FROM history" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id"
        )
        entries = [
            HistoryEntry(
                system_id=r[0],
                mode_id=r[1],
                action=r[2],
                actor=r[3],
                at=r[4],
                summary=r[5],
                before=json.loads(r[6]) if r[6] is not None else None,
                after=json.loads(r[7]) if r[7] is not None else None,
            )
            for r in self.db.execute(sql, params)
        ]
        return entries[-limit:] if limit else entries

    # -- systems and profiles ----------------------------------------------------------------
    def systems(self) -> list[SystemRecord]:
        rows = self.db.execute(
            "SELECT s.id, s.name, s.created_at, s.created_by, MAX(p.version) FROM systems s "
            "JOIN profiles p ON p.system_id = s.id "
            "GROUP BY s.id, s.name, s.created_at, s.created_by ORDER BY s.id"
        )
        return [
            SystemRecord(id=r[0], name=r[1], created_at=r[2], created_by=r[3], profile_version=r[4])
            for r in rows
        ]

    def system(self, system: str) -> SystemRecord:
        """The system ``system``; an unknown id suggests near ones."""
        for record in self.systems():
            if record.id == system:
                return record
        ids = [s.id for s in self.systems()]
        near = get_close_matches(system, ids, n=3)
        hint = (
            f" Did you mean {', '.join(near)}?"
            if near
            else " Run `failmodes register list` for the systems."
        )
        raise RegisterError(f"{self.where}: no system {system!r} in the register.{hint}")

    def add_profile(self, text: str, *, actor: str, source: str = "profile") -> ProfileVersion:
        """Record a profile's text; a new version when it differs from the latest one.

        The system is the profile's ``name`` (as :func:`system_id`); the first profile of a
        name adds the system. ``source`` names the text in error messages.
        """
        profile = profile_from_text(text, source=source)
        sid = system_id(profile.name)
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        with self.db.transaction():
            if not self.db.execute("SELECT 1 FROM systems WHERE id = ?", (sid,)):
                at = now()
                self.db.execute(
                    "INSERT INTO systems (id, name, created_at, created_by) VALUES (?, ?, ?, ?)",
                    (sid, profile.name, at, actor),
                )
                self._log(actor, "add_system", f"added system {profile.name}", system=sid, at=at)
            latest = self.db.execute(
                "SELECT version, digest FROM profiles WHERE system_id = ? "
                "ORDER BY version DESC LIMIT 1",
                (sid,),
            )
            if latest and latest[0][1] == digest:
                return self._profile_version(sid, latest[0][0])
            version = latest[0][0] + 1 if latest else 1
            at = now()
            self.db.execute(
                "INSERT INTO profiles (system_id, version, content, digest, created_at, "
                "created_by) VALUES (?, ?, ?, ?, ?, ?)",
                (sid, version, text, digest, at, actor),
            )
            self._log(
                actor,
                "profile",
                f"profile version {version}",
                system=sid,
                after={"version": version, "digest": digest},
                at=at,
            )
        return self._profile_version(sid, version)

    def _profile_version(self, system: str, version: int) -> ProfileVersion:
        r = self.db.execute(
            "SELECT digest, created_at, created_by FROM profiles "
            "WHERE system_id = ? AND version = ?",
            (system, version),
        )[0]
        return ProfileVersion(
            system_id=system, version=version, digest=r[0], created_at=r[1], created_by=r[2]
        )

    def profile_versions(self, system: str) -> list[ProfileVersion]:
        self.system(system)
        rows = self.db.execute(
            "SELECT version FROM profiles WHERE system_id = ? ORDER BY version", (system,)
        )
        return [self._profile_version(system, r[0]) for r in rows]

    def profile_text(self, system: str, version: int | None = None) -> str:
        record = self.system(system)
        wanted = version if version is not None else record.profile_version
        rows = self.db.execute(
            "SELECT content FROM profiles WHERE system_id = ? AND version = ?", (system, wanted)
        )
        if not rows:
            raise RegisterError(f"system {system!r} has no profile version {wanted}.")
        return str(rows[0][0])

    def profile(self, system: str, version: int | None = None) -> Profile:
        return profile_from_text(self.profile_text(system, version), source=f"register:{system}")

    # -- assessments -------------------------------------------------------------------------
    def add_assessment(self, model: ThreatModel, *, actor: str) -> StoredAssessment:
        """Record a threat model or an assessment of a system already in the register, under
        the id of its content (the same file twice is one assessment)."""
        sid = system_id(model.profile.name)
        self.system(sid)
        text = to_json(model)
        aid = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
        kind = "assessment" if isinstance(model, Assessment) else "threat_model"
        with self.db.transaction():
            if not self.db.execute("SELECT 1 FROM assessments WHERE id = ?", (aid,)):
                version = self.system(sid).profile_version
                at = now()
                self.db.execute(
                    "INSERT INTO assessments (id, system_id, profile_version, kind, content, "
                    "created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (aid, sid, version, kind, text, at, actor),
                )
                self._log(actor, "assess", f"recorded {kind} {aid}", system=sid, at=at)
        return self._stored(aid)

    def _stored(self, aid: str) -> StoredAssessment:
        rows = self.db.execute(
            "SELECT id, system_id, profile_version, kind, created_at, created_by "
            "FROM assessments WHERE id = ?",
            (aid,),
        )
        if not rows:
            raise RegisterError(f"no assessment {aid!r} in the register.")
        r = rows[0]
        return StoredAssessment(
            id=r[0],
            system_id=r[1],
            profile_version=r[2],
            kind=r[3],
            created_at=r[4],
            created_by=r[5],
        )

    def assessments(self, system: str) -> list[StoredAssessment]:
        self.system(system)
        rows = self.db.execute(
            "SELECT id FROM assessments WHERE system_id = ? ORDER BY created_at, id", (system,)
        )
        return [self._stored(r[0]) for r in rows]

    def latest_assessment(self, system: str) -> StoredAssessment | None:
        """The latest assessment with findings (not a threat model on paper), if any: the
        evidence the register's risk rests on."""
        stored = [a for a in self.assessments(system) if a.kind == "assessment"]
        return stored[-1] if stored else None

    def assessment(self, aid: str) -> ThreatModel:
        self._stored(aid)
        text = self.db.execute("SELECT content FROM assessments WHERE id = ?", (aid,))[0][0]
        return from_json(str(text), source=f"register assessment {aid}")

    # -- decisions ---------------------------------------------------------------------------
    def decisions(self, system: str) -> dict[str, RegisterDecision]:
        self.system(system)
        rows = self.db.execute(
            _SELECT_DECISIONS + " ORDER BY mode_id",
            (system,),
        )
        return {row[0]: _decision(row) for row in rows}

    def decide(
        self,
        system: str,
        decision: RegisterDecision,
        *,
        actor: str,
        expected_revision: int | None = None,
    ) -> RegisterDecision:
        """Record ``decision``; with ``expected_revision`` (the revision the decider saw, 0
        for none), refuse when someone changed the mode since."""
        self.system(system)
        try:
            self.catalog.get(decision.mode_id)
        except UnknownIdError as exc:
            raise RegisterError(str(exc)) from None
        self._check_evidence(system, decision.evidence)
        with self.db.transaction():
            rows = self.db.execute(
                _SELECT_DECISIONS + " AND mode_id = ?",
                (system, decision.mode_id),
            )
            before = _decision(rows[0]) if rows else None
            revision = before.revision if before else 0
            if expected_revision is not None and expected_revision != revision:
                raise ConflictError(_conflict(decision.mode_id, before))
            at = now()
            saved = decision.model_copy(
                update={"revision": revision + 1, "updated_at": at, "updated_by": actor}
            )
            values = (
                saved.decision.value,
                saved.owner,
                saved.due.isoformat() if saved.due else None,
                saved.status.value,
                saved.rationale,
                json.dumps(saved.mitigations),
                json.dumps([e.model_dump() for e in saved.evidence]),
                saved.revision,
                at,
                actor,
            )
            if before is None:
                self.db.execute(
                    "INSERT INTO decisions (system_id, mode_id, decision, owner, due, status, "
                    "rationale, mitigations, evidence, revision, updated_at, updated_by) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (system, saved.mode_id, *values),
                )
            else:
                self.db.execute(
                    "UPDATE decisions SET decision = ?, owner = ?, due = ?, status = ?, "
                    "rationale = ?, mitigations = ?, evidence = ?, revision = ?, updated_at = ?, "
                    "updated_by = ? WHERE system_id = ? AND mode_id = ?",
                    (*values, system, saved.mode_id),
                )
            self._log(
                actor,
                "decide",
                f"{saved.decision.value} {saved.mode_id} (owner {saved.owner}, "
                f"{saved.status.value})",
                system=system,
                mode=saved.mode_id,
                before=before.content() if before else None,
                after=saved.content(),
                at=at,
            )
        return saved

    def reopen(
        self, system: str, mode: str, *, actor: str, expected_revision: int | None = None
    ) -> None:
        """Withdraw the decision on ``mode``: it is open again, and the history keeps it."""
        current = self.decisions(system).get(mode)
        if current is None:
            raise RegisterError(f"{mode} of {system} has no decision to withdraw.")
        with self.db.transaction():
            rows = self.db.execute(
                "SELECT revision FROM decisions WHERE system_id = ? AND mode_id = ?",
                (system, mode),
            )
            if not rows or (expected_revision is not None and rows[0][0] != expected_revision):
                raise ConflictError(_conflict(mode, self.decisions(system).get(mode)))
            self.db.execute(
                "DELETE FROM decisions WHERE system_id = ? AND mode_id = ?", (system, mode)
            )
            self._log(
                actor,
                "reopen",
                f"withdrew the decision on {mode}",
                system=system,
                mode=mode,
                before=current.content(),
            )

    def _check_evidence(self, system: str, links: Iterable[EvidenceLink]) -> None:
        for link in links:
            link.check()
            aid = link.assessment_id
            if aid is None:
                continue
            rows = self.db.execute("SELECT system_id FROM assessments WHERE id = ?", (aid,))
            if not rows or rows[0][0] != system:
                raise RegisterError(
                    f"evidence {link}: no assessment {aid} of {system} in the register; "
                    "record it with `failmodes register add --assessment`."
                )

    # -- comments ------------------------------------------------------------------------------
    def comment(self, system: str, mode: str | None, body: str, *, actor: str) -> Comment:
        self.system(system)
        body = body.strip()
        if not body:
            raise RegisterError("a comment needs some text.")
        if len(body) > MAX_COMMENT:
            raise RegisterError(f"a comment holds at most {MAX_COMMENT:,} characters.")
        with self.db.transaction():
            at = now()
            self.db.execute(
                "INSERT INTO comments (system_id, mode_id, author, body, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (system, mode, actor, body, at),
            )
            self._log(actor, "comment", "commented", system=system, mode=mode, after={"body": body})
        return self.comments(system, mode)[-1]

    def comments(self, system: str, mode: str | None = None) -> list[Comment]:
        sql = "SELECT id, system_id, mode_id, author, body, created_at FROM comments "
        sql += "WHERE system_id = ?" + (" AND mode_id = ?" if mode is not None else "")
        params = (system, mode) if mode is not None else (system,)
        return [
            Comment(id=r[0], system_id=r[1], mode_id=r[2], author=r[3], body=r[4], created_at=r[5])
            for r in self.db.execute(sql + " ORDER BY id", params)
        ]

    # -- workshops -------------------------------------------------------------------------
    def start_workshop(self, system: str, *, actor: str) -> Workshop:
        """The system's unfinished workshop, or a new one: a session stopped in the terminal
        or the browser is resumed where it stopped, by whoever opens it next."""
        self.system(system)
        with self.db.transaction():
            steps.lock_system(self.db, system)
            existing = steps.open_workshop_id(self.db, system)
            if existing is not None:
                return steps.load_workshop(self.db, existing)
            at = now()
            wid = steps.create_workshop(self.db, system, actor, at)
            self._log(
                actor,
                "workshop_start",
                f"started workshop {wid}",
                system=system,
                after={"workshop": wid},
                at=at,
            )
        return steps.load_workshop(self.db, wid)

    def workshop(self, workshop_id: int) -> Workshop:
        return steps.load_workshop(self.db, workshop_id)

    def workshops(self, system: str) -> list[Workshop]:
        """The system's workshops, oldest first."""
        self.system(system)
        return [steps.load_workshop(self.db, wid) for wid in steps.workshop_ids(self.db, system)]

    def record_step(
        self,
        workshop_id: int,
        mode: str,
        outcome: StepOutcome,
        *,
        actor: str,
        decision: RegisterDecision | None = None,
        expected_revision: int | None = None,
        comment: str | None = None,
    ) -> Workshop:
        """Record what the workshop did with ``mode``: the decision (through :meth:`decide`,
        with its revision check), the comment and the step, in one transaction, so that a
        resumed session never finds a decision without its step or a step without its
        decision. A mode is one step: going back to one this workshop decided and keeping or
        skipping it leaves it decided."""
        workshop = steps.load_workshop(self.db, workshop_id)
        if workshop.finished:
            raise RegisterError(
                f"workshop {workshop_id} finished at {workshop.finished_at}; start a new one."
            )
        system = workshop.system_id
        if (decision is not None) != (outcome == StepOutcome.DECIDED):
            needs = "needs a" if decision is None else "takes no"
            raise RegisterError(f"a {outcome.value} step {needs} decision.")
        if decision is not None and decision.mode_id != mode:
            raise RegisterError(f"the decision is on {decision.mode_id}, the step on {mode}.")
        try:
            self.catalog.get(mode)
        except UnknownIdError as exc:
            raise RegisterError(str(exc)) from None
        prior = workshop.step(mode)
        decided = prior is not None and prior.outcome == StepOutcome.DECIDED
        recorded = StepOutcome.DECIDED if decided else outcome
        with self.db.transaction():
            if decision is not None:
                self.decide(system, decision, actor=actor, expected_revision=expected_revision)
            elif outcome == StepOutcome.KEPT:
                kept = self.decisions(system).get(mode)
                if kept is None and not expected_revision:
                    raise RegisterError(f"{mode} has no decision to keep; decide or skip it.")
                if kept is None or (
                    expected_revision is not None and kept.revision != expected_revision
                ):
                    raise ConflictError(_conflict(mode, kept))
            if comment and comment.strip():
                self.comment(system, mode, comment, actor=actor)
            at = now()
            steps.save_step(self.db, workshop_id, mode, recorded, at)
            self._log(
                actor,
                "workshop_step",
                f"workshop {workshop_id}: {outcome.value} {mode}",
                system=system,
                mode=mode,
                after={"workshop": workshop_id, "outcome": recorded.value},
                at=at,
            )
        return steps.load_workshop(self.db, workshop_id)

    def finish_workshop(self, workshop_id: int, *, actor: str) -> Workshop:
        """Close the workshop; the next one on the system starts afresh."""
        workshop = steps.load_workshop(self.db, workshop_id)
        if workshop.finished:
            return workshop
        counts = {o: sum(1 for s in workshop.steps if s.outcome == o) for o in StepOutcome}
        with self.db.transaction():
            at = now()
            steps.mark_finished(self.db, workshop_id, at)
            self._log(
                actor,
                "workshop_finish",
                f"finished workshop {workshop_id}: "
                + ", ".join(f"{n} {o.value}" for o, n in counts.items()),
                system=workshop.system_id,
                after={"workshop": workshop_id, **{o.value: n for o, n in counts.items()}},
                at=at,
            )
        return steps.load_workshop(self.db, workshop_id)

    # -- the risk as it stands -----------------------------------------------------------------
    def current(self, system: str) -> ThreatModel:
        """The system's threat model now: latest profile, the register's decisions over the
        profile's own, and the findings of its latest assessment (an Assessment when it has
        one, with that assessment's probe runs)."""
        profile = self.profile(system)
        decided = {m: d.record() for m, d in self.decisions(system).items()}
        profile = profile.model_copy(update={"decisions": {**profile.decisions, **decided}})
        stored = self.latest_assessment(system)
        latest = self.assessment(stored.id) if stored else None
        if not isinstance(latest, Assessment):
            return threat_model(profile, self.catalog)
        findings = [f for m in latest.modes for f in m.findings]
        measured = threat_model(profile, self.catalog, findings=findings)
        reasons = {m.id: m.untested_reason for m in latest.modes}
        modes = [
            m.model_copy(update={"untested_reason": reasons.get(m.id)})
            if m.applicable and not m.tested
            else m
            for m in measured.modes
        ]
        return Assessment(
            **{**dict(measured), "modes": modes},
            probe_runs=latest.probe_runs,
            seed=latest.seed,
            target=latest.target,
        )


def _conflict(mode: str, now_there: RegisterDecision | None) -> str:
    if now_there is None:
        return (
            f"{mode}: the decision was withdrawn since you read it; nothing was written. "
            "Reload and decide again."
        )
    return (
        f"{mode}: {now_there.updated_by} changed the decision at {now_there.updated_at} "
        f"(to {now_there.decision.value}, owner {now_there.owner}) since you read it; nothing "
        "was written. Reload and decide again."
    )


def register_location(explicit: str | None, profile: Path | None = None) -> str:
    """Where the register is: ``explicit`` (a path or URL), else $FAILMODES_REGISTER, else
    :data:`DEFAULT_FILE` next to ``profile`` or in the working folder."""
    if explicit:
        return explicit
    if os.environ.get("FAILMODES_REGISTER"):
        return os.environ["FAILMODES_REGISTER"]
    folder = profile.resolve().parent if profile is not None else Path.cwd()
    return str(folder / DEFAULT_FILE)


def open_register(location: str | Path, catalog: Catalog | None = None) -> Register:
    """The register at ``location`` (a SQLite path or a ``postgresql://`` URL), migrated to
    the current schema; a new SQLite file is created."""
    return Register(connect(location), catalog)
