"""Tables of the members database (SQLAlchemy 1.4 Core), portable to SQLite and PostgreSQL.

No identifier is stored in clear outside `members` and the short-lived
`pending_lookups`: verification attempts are keyed by salted hashes.
"""
from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
)

# Bumped when a table changes in a way older rows cannot be read with;
# `MembersRepository.create_schema` refuses a database written by another version
# instead of reading it wrongly. A nullable column goes in ADDED_COLUMNS instead.
SCHEMA_VERSION = 1

metadata = MetaData()

members = Table(
    "members",
    metadata,
    Column("id", Integer, primary_key=True),
    # 9 digits normally; another length (facts §14) is kept as given.
    Column("immatriculation", String(12), nullable=False, unique=True),
    # Nullable: foreign residents identify with a residence card.
    Column("cin", String(10), unique=True),
    Column("birth_date", Date, nullable=False),
    Column("category", String(32), nullable=False),
    Column("registration_status", String(32), nullable=False),
    Column("status_date", Date, nullable=False),
    Column("missing_documents", JSON, nullable=False, default=list),  # codes, knowledge/labels/file_status.yml
    Column("rights_open_since", Date),
    # The last month paid, as its first day (2026-10-01 = paid up to October 2026).
    Column("contributions_paid_until", Date),
    Column("rejection_reason", String(32)),  # a code, knowledge/labels/file_status.yml
    # "monthly", "quarterly" or "yearly", as the member chose (CPU payers and
    # auto-entrepreneurs: quarterly or yearly, facts §6.2); NULL: not recorded.
    Column("payment_period", String(16)),
)

# Columns added after the first databases were written, all nullable (NULL reads as
# "not recorded"): `MembersRepository.create_schema` adds any that an existing
# database lacks, so it keeps working without a migration.
ADDED_COLUMNS = (members.c.payment_period,)

beneficiaries = Table(
    "beneficiaries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("member_id", Integer, ForeignKey("members.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("type", String(16), nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("status", String(16), nullable=False),
)

verification_attempts = Table(
    "verification_attempts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("conversation_hash", String(64), nullable=False),
    Column("identifier_hash", String(64), nullable=False),
    Column("attempted_at", DateTime, nullable=False),  # naive UTC
    Column("success", Boolean, nullable=False),
    Index("ix_attempts_conversation", "conversation_hash", "attempted_at"),
    Index("ix_attempts_identifier", "identifier_hash", "attempted_at"),
    # The per-minute look-up count and the spray alarm's failure count read all
    # conversations' recent attempts (bench/members.py: a scan without it).
    Index("ix_attempts_at", "attempted_at", "success"),
)

# The identifier given during the form, kept server-side so that the tracker only
# ever holds a masked value; deleted after the look-up, ignored once expired.
pending_lookups = Table(
    "pending_lookups",
    metadata,
    Column("conversation_hash", String(64), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("identifier", String(16), nullable=False),
    # False while an unusual-length number waits for the member to confirm it.
    Column("confirmed", Boolean, nullable=False),
    # True once the birth date matched: action_file_status may then read the file.
    Column("verified", Boolean, nullable=False, default=False),
    Column("expires_at", DateTime, nullable=False),
    # Every write deletes the expired rows of abandoned conversations.
    Index("ix_pending_expires", "expires_at"),
)

# One row: the schema version and the salt of the attempt hashes, which must
# survive restarts for the limits to survive them.
schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, nullable=False),
    Column("hash_salt", String(64), nullable=False),
)
