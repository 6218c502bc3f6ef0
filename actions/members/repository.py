"""The members database behind a small repository (SQLAlchemy 1.4 Core, engine injected)."""
from __future__ import annotations

import hashlib
import os
import secrets
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Dict, Iterator, List, NamedTuple, Optional, Tuple

from sqlalchemy import and_, bindparam, create_engine, delete, func, insert, inspect, select, text, update
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import Select

from actions.members import models
from bot.shared.identifiers import Identifier
from actions.members.status import Beneficiary, CorruptRecord, Member
from actions.members.verification import ATTEMPTS_KEPT, Attempt

DEFAULT_DB_PATH = Path(__file__).resolve().parents[2] / "var" / "members.db"
# A look-up must fail fast and say "service unavailable", not hang the action server:
# both bounds are under Rasa's own for the action (action_endpoint.timeout, 10 s).
CONNECT_TIMEOUT_SECONDS = 3
STATEMENT_TIMEOUT_MS = 5000
# The advisory-lock key that serialises schema creation (attempt locks use hashes).
SCHEMA_LOCK_KEY = 0x414D4F5F534348  # "AMO_SCH"


def members_url_from_env() -> str:
    """AMO_MEMBERS_DB_URL, or the SQLite file var/members.db."""
    url = os.environ.get("AMO_MEMBERS_DB_URL")
    if not url:
        DEFAULT_DB_PATH.parent.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{DEFAULT_DB_PATH}"
    return url


def repository_from_env() -> "MembersRepository":
    """The action server's repository: the members engine and the look-up's own."""
    url = members_url_from_env()
    return MembersRepository(engine_for(url), look_ups=look_up_engine_for(url))


def engine_for(url: str, **pool_options: int) -> Engine:
    """The members engine for a database URL, with the connect timeout and the pre-ping
    (after a database restart the next call reconnects instead of failing): the same
    for the action server and the benchmark."""
    if url.startswith("sqlite"):
        return create_engine(url, connect_args={"timeout": CONNECT_TIMEOUT_SECONDS})
    return create_engine(url, pool_pre_ping=True, connect_args=_postgres_connect_args(url), **pool_options)


def _postgres_connect_args(url: str) -> Dict[str, object]:
    """The connect and statement timeouts, after the `options` the URL may already give
    (a search_path): connect_args would replace them, not add to them."""
    options = make_url(url).query.get("options") or ""
    return {"connect_timeout": CONNECT_TIMEOUT_SECONDS,
            "options": f"{options} -c statement_timeout={STATEMENT_TIMEOUT_MS}".strip()}


def look_up_engine_for(url: str, **pool_options: int) -> Engine:
    """The engine of `find_member` alone: one round trip per look-up, where the engine
    above spends four (BEGIN, the pre-ping's SELECT 1, the query, ROLLBACK). One SELECT
    needs no transaction; without the pre-ping, a connection the database dropped fails
    once, and find_member retries on a new one. Under 8 concurrent look-ups on 2 cores
    (100,000 members, 2026-12-01): p95 11.3 and 10.3 ms -> 5.7 and 8.3 ms, alone p50
    1.02 -> 0.62 ms; each round trip is a wait for the GIL and for a core."""
    if url.startswith("sqlite"):
        return engine_for(url)
    return create_engine(url, isolation_level="AUTOCOMMIT", connect_args=_postgres_connect_args(url), **pool_options)


def _look_up_query(kind: str) -> Select:
    column = models.members.c.cin if kind == "cin" else models.members.c.immatriculation
    beneficiaries = models.beneficiaries.c
    return (
        select(models.members, beneficiaries.id.label("beneficiary_id"),
               beneficiaries.type.label("beneficiary_type"),
               beneficiaries.birth_date.label("beneficiary_birth_date"),
               beneficiaries.status.label("beneficiary_status"))
        .select_from(models.members.outerjoin(models.beneficiaries, beneficiaries.member_id == models.members.c.id))
        .where(column == bindparam("value"))
        .order_by(beneficiaries.id)
    )


# The member and its beneficiaries in one round trip (a row per beneficiary, one with
# NULLs when there is none), built once per identifier kind with the value as a bound
# parameter: under 8 concurrent look-ups the client's CPU per query, not PostgreSQL's
# (0.1 ms), is what the p95 is made of, and building the statement anew for every
# look-up took two thirds of it (0.96 -> 0.29 ms of CPU per look-up, bench/members.py).
LOOK_UP_QUERIES = {kind: _look_up_query(kind) for kind in ("cin", "immatriculation")}


def look_up_query(identifier: Identifier) -> Tuple[Select, Dict[str, str]]:
    """The look-up's statement and its parameters."""
    return LOOK_UP_QUERIES[identifier.kind], {"value": identifier.value}


class PendingLookup(NamedTuple):
    identifier: Identifier
    confirmed: bool
    verified: bool


class MembersRepository:
    """Reads members, stores verification attempts and pending look-ups."""

    def __init__(self, engine: Engine, look_ups: Optional[Engine] = None) -> None:
        self.engine = engine
        self.look_ups = look_ups or engine  # look_up_engine_for()
        self._salt: Optional[str] = None

    def create_schema(self) -> None:
        """Creates missing tables, adds the columns added since (`models.ADDED_COLUMNS`) to
        existing ones, and the version row; refuses another schema version.

        One transaction under the schema lock, so that servers starting together on
        one database do not both add a column or both write a version row."""
        with self.engine.connect() as connection, connection.begin():
            _serialise(connection, SCHEMA_LOCK_KEY)
            models.metadata.create_all(connection)
            for column in models.ADDED_COLUMNS:
                present = {c["name"] for c in inspect(connection).get_columns(column.table.name)}
                if column.name not in present:
                    column_type = column.type.compile(dialect=connection.dialect)
                    connection.execute(text(f"ALTER TABLE {column.table.name} ADD COLUMN {column.name} {column_type}"))
            row = connection.execute(select(models.schema_version)).first()
            if row is None:
                connection.execute(
                    insert(models.schema_version).values(
                        version=models.SCHEMA_VERSION, hash_salt=secrets.token_hex(32)
                    )
                )
            elif row.version != models.SCHEMA_VERSION:
                raise RuntimeError(
                    f"members database has schema version {row.version}, this code expects "
                    f"{models.SCHEMA_VERSION}"
                )

    def hash(self, value: str) -> str:
        """Salted SHA-256, so attempts can be counted without keeping the value."""
        if self._salt is None:
            with self.engine.connect() as connection:
                self._salt = connection.execute(select(models.schema_version.c.hash_salt)).scalar_one()
        return hashlib.sha256(f"{self._salt}:{value}".encode("utf-8")).hexdigest()

    # members

    def find_member(self, identifier: Identifier) -> Optional[Member]:
        query, parameters = look_up_query(identifier)
        try:
            rows = self._look_up(query, parameters)
        except DBAPIError as error:
            if not error.connection_invalidated:
                raise
            # A connection the database dropped (a restart): SQLAlchemy has invalidated
            # every connection opened before it, so one retry gets a fresh one.
            rows = self._look_up(query, parameters)
        if not rows:
            return None
        row = rows[0]
        if not isinstance(row.missing_documents, list):
            raise CorruptRecord("missing_documents is not a list")
        return Member(
            immatriculation=row.immatriculation,
            cin=row.cin,
            birth_date=row.birth_date,
            category=row.category,
            registration_status=row.registration_status,
            status_date=row.status_date,
            missing_documents=tuple(row.missing_documents),
            rights_open_since=row.rights_open_since,
            contributions_paid_until=row.contributions_paid_until,
            rejection_reason=row.rejection_reason,
            beneficiaries=tuple(
                Beneficiary(r.beneficiary_type, r.beneficiary_birth_date, r.beneficiary_status)
                for r in rows if r.beneficiary_id is not None
            ),
            payment_period=row.payment_period,
        )

    def _look_up(self, query: Select, parameters: Dict[str, str]) -> list:
        with self.look_ups.connect() as connection:
            return connection.execute(query, parameters).all()

    def save_member(self, member: Member) -> None:
        """Inserts or replaces the member with this immatriculation, beneficiaries included."""
        values = dict(
            immatriculation=member.immatriculation,
            cin=member.cin,
            birth_date=member.birth_date,
            category=member.category,
            registration_status=member.registration_status,
            status_date=member.status_date,
            missing_documents=list(member.missing_documents),
            rights_open_since=member.rights_open_since,
            contributions_paid_until=member.contributions_paid_until,
            rejection_reason=member.rejection_reason,
            payment_period=member.payment_period,
        )
        with self.engine.begin() as connection:
            old_id = connection.execute(
                select(models.members.c.id).where(models.members.c.immatriculation == member.immatriculation)
            ).scalar()
            if old_id is not None:
                # Explicit, because SQLite does not enforce ON DELETE CASCADE by default.
                connection.execute(delete(models.beneficiaries).where(models.beneficiaries.c.member_id == old_id))
                connection.execute(delete(models.members).where(models.members.c.id == old_id))
            member_id = connection.execute(insert(models.members).values(**values)).inserted_primary_key[0]
            if member.beneficiaries:
                connection.execute(
                    insert(models.beneficiaries),
                    [
                        dict(member_id=member_id, type=b.type, birth_date=b.birth_date, status=b.status)
                        for b in member.beneficiaries
                    ],
                )

    # verification attempts

    @contextmanager
    def attempts_guard(self, subject_hash: str) -> Iterator["AttemptsGuard"]:
        """One transaction in which the limits are read and the attempt is recorded,
        serialised with every other one for the same subject (member or identifier):
        `pg_advisory_xact_lock` on PostgreSQL, `BEGIN IMMEDIATE` (the database's write
        lock) on SQLite. So concurrent guesses cannot all see "not locked yet"."""
        with self.engine.connect() as connection:
            with connection.begin():
                _serialise(connection, _lock_key(subject_hash))
                yield AttemptsGuard(connection)

    def attempts_by_conversation(self, conversation_hash: str, since: datetime) -> List[Attempt]:
        with self.engine.connect() as connection:
            return AttemptsGuard(connection).attempts_by_conversation(conversation_hash, since)

    def attempts_by_subject(self, subject_hash: str, since: datetime) -> List[Attempt]:
        with self.engine.connect() as connection:
            return AttemptsGuard(connection).attempts_by_subject(subject_hash, since)

    # pending look-ups

    def put_pending(
        self, conversation_hash: str, identifier: Identifier, confirmed: bool, expires_at: datetime, now: datetime
    ) -> None:
        table = models.pending_lookups
        with self.engine.begin() as connection:
            # Expired rows of abandoned conversations go on every write.
            connection.execute(
                delete(table).where((table.c.conversation_hash == conversation_hash) | (table.c.expires_at <= now))
            )
            connection.execute(
                insert(table).values(
                    conversation_hash=conversation_hash,
                    kind=identifier.kind,
                    identifier=identifier.value,
                    confirmed=confirmed,
                    verified=False,
                    expires_at=expires_at,
                )
            )

    def pending(self, conversation_hash: str, now: datetime) -> Optional[PendingLookup]:
        """The identifier given in this conversation, unless expired."""
        table = models.pending_lookups
        with self.engine.connect() as connection:
            row = connection.execute(
                select(table).where(and_(table.c.conversation_hash == conversation_hash, table.c.expires_at > now))
            ).first()
        if row is None:
            return None
        return PendingLookup(Identifier(row.kind, row.identifier), bool(row.confirmed), bool(row.verified))

    def mark_verified(self, conversation_hash: str) -> None:
        table = models.pending_lookups
        with self.engine.begin() as connection:
            connection.execute(
                update(table).where(table.c.conversation_hash == conversation_hash).values(verified=True)
            )

    def delete_pending(self, conversation_hash: str) -> None:
        table = models.pending_lookups
        with self.engine.begin() as connection:
            connection.execute(delete(table).where(table.c.conversation_hash == conversation_hash))


def _serialise(connection: Connection, key: int) -> None:
    """Serialises the transaction under way with every other one taking `key`:
    `pg_advisory_xact_lock` on PostgreSQL, `BEGIN IMMEDIATE` (the database's write
    lock, whatever the key) on SQLite."""
    dialect = connection.dialect.name
    if dialect == "sqlite":
        # pysqlite starts its own transaction only before a write; this one takes the
        # write lock before the first read.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    elif dialect == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    else:  # pragma: no cover - only SQLite and PostgreSQL are deployed
        raise RuntimeError(f"no transaction lock for the {dialect} dialect")


def _lock_key(subject_hash: str) -> int:
    """A signed 64-bit advisory-lock key from a hex hash."""
    return int.from_bytes(bytes.fromhex(subject_hash)[:8], "big", signed=True)


class AttemptsGuard:
    """Reads and writes of verification attempts on one connection (see `attempts_guard`).

    `identifier_hash` holds the subject: the member's hash when the identifier
    belongs to a member (so all their identifiers share it), else the identifier's."""

    table = models.verification_attempts

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def attempts_by_conversation(self, conversation_hash: str, since: datetime) -> List[Attempt]:
        return self._attempts(self.table.c.conversation_hash == conversation_hash, since)

    def attempts_by_subject(self, subject_hash: str, since: datetime) -> List[Attempt]:
        return self._attempts(self.table.c.identifier_hash == subject_hash, since)

    def count_since(self, since: datetime, conversation_hash: Optional[str] = None, failures_only: bool = False) -> int:
        query = select(func.count()).select_from(self.table).where(self.table.c.attempted_at > since)
        if conversation_hash is not None:
            query = query.where(self.table.c.conversation_hash == conversation_hash)
        if failures_only:
            query = query.where(self.table.c.success == False)  # noqa: E712 - SQL, not Python
        return int(self.connection.execute(query).scalar_one())

    def add_attempt(self, conversation_hash: str, subject_hash: str, at: datetime, success: bool) -> None:
        """Records an attempt and deletes those no limit looks at any more."""
        self.connection.execute(delete(self.table).where(self.table.c.attempted_at < at - ATTEMPTS_KEPT))
        self.connection.execute(
            insert(self.table).values(
                conversation_hash=conversation_hash, identifier_hash=subject_hash, attempted_at=at, success=success
            )
        )

    def _attempts(self, condition, since: datetime) -> List[Attempt]:
        rows = self.connection.execute(
            select(self.table.c.attempted_at, self.table.c.success)
            .where(and_(condition, self.table.c.attempted_at >= since))
            .order_by(self.table.c.attempted_at)
        ).all()
        return [Attempt(at=row.attempted_at, success=bool(row.success)) for row in rows]
