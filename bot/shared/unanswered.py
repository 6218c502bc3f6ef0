"""Member messages the assistant could not answer, recorded for the analysts' review
(`python -m bot.tools.review`). No Rasa import: the action server and the review tool share it.

Only the redacted text is stored (`bot.shared.redaction.redact`), and the conversation is known
by a salted hash of its sender id, never by the id itself (on WhatsApp or SMS it is a
phone number).

Storage is SQLAlchemy: `AMO_ANALYTICS_DB_URL` (default `sqlite:///var/analytics.db`,
relative to the working directory); a PostgreSQL URL
(`postgresql://user:password@host/db`) works unchanged.
`AMO_HASH_SALT` keys the conversation hash; the default below is public, so set a
secret one in production, or hashes of phone-number sender ids can be brute-forced.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import os
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.shared.languages import reply_language
from bot.shared.redaction import redact

logger = logging.getLogger(__name__)

DB_URL_ENV = "AMO_ANALYTICS_DB_URL"
DEFAULT_DB_URL = "sqlite:///var/analytics.db"
SALT_ENV = "AMO_HASH_SALT"
DEFAULT_SALT = "amo-assistant-public-default-salt"

FALLBACK = "fallback"
OUT_OF_SCOPE = "out_of_scope"
REPHRASE_FAILED = "rephrase_failed"
NOT_HELPFUL = "not_helpful"
REASONS = (FALLBACK, OUT_OF_SCOPE, REPHRASE_FAILED, NOT_HELPFUL)
IGNORED = "ignored"  # the label of reviewed noise; every other label is an intent

NOT_HELPFUL_INTENT = "feedback_not_helpful"  # the "did not help" button after an answer
# What the member saw after their message tells why it went unanswered; the
# utterances are those of data/rules.yml. Checked before the intent, because a
# second `nlu_fallback` in a row is the failed rephrase.
REASON_BY_ACTION = {
    "utter_still_not_understood": REPHRASE_FAILED,
    "utter_please_rephrase": FALLBACK,
    "utter_out_of_scope": OUT_OF_SCOPE,
}
REASON_BY_INTENT = {
    "nlu_fallback": FALLBACK,
    "out_of_scope": OUT_OF_SCOPE,
}
FALLBACK_INTENT = "nlu_fallback"
TOP_INTENTS = 3
# Bounds a pasted document; redaction runs on the whole text first, so no
# identifier is cut in half and left readable.
MAX_TEXT_CHARS = 2000

metadata = sa.MetaData()
unanswered_table = sa.Table(
    "unanswered",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("created_at", sa.DateTime, nullable=False, index=True),  # naive UTC
    sa.Column("text_redacted", sa.Text, nullable=False),
    # The language the member wrote in (fr, ar, dar, dar-latn; None when unclear) and
    # the one the assistant answered in (fr, ar, dar): two vocabularies, two columns.
    sa.Column("language", sa.String(16)),
    sa.Column("reply_language", sa.String(8)),
    sa.Column("reason", sa.String(32), nullable=False),
    sa.Column("top_intents", sa.JSON, nullable=False),  # [{"name", "confidence"}] x 3
    sa.Column("channel", sa.String(64)),
    sa.Column("conversation_hash", sa.String(64), nullable=False),
    sa.Column("reviewed_at", sa.DateTime),
    sa.Column("label", sa.String(128)),  # an intent name, or IGNORED
)


@dataclass(frozen=True)
class Question:
    """One unanswered member message, as read from the conversation (not yet redacted)."""

    text: str
    reason: str
    language: Optional[str] = None  # the input language, None when unclear
    reply_language: Optional[str] = None
    channel: Optional[str] = None
    top_intents: List[Dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Record:
    """One stored row."""

    id: int
    created_at: datetime
    text: str
    language: Optional[str]
    reason: str
    top_intents: List[Dict[str, Any]]
    channel: Optional[str]
    conversation_hash: str
    reviewed_at: Optional[datetime]
    label: Optional[str]
    reply_language: Optional[str] = None


@dataclass(frozen=True)
class Filters:
    """`until` is inclusive (the whole day); `reviewed` None means both."""

    since: Optional[date] = None
    until: Optional[date] = None
    language: Optional[str] = None
    channel: Optional[str] = None
    reason: Optional[str] = None
    reviewed: Optional[bool] = None


def unanswered_question(
    events: Sequence[Dict[str, Any]], language_slot: Optional[str] = None
) -> Optional[Question]:
    """The member message the latest turn left unanswered, or None if it was answered.

    `events` are tracker events as dicts (rasa_sdk's `tracker.events`). For a "this
    did not help" click, the message recorded is the member's question before the
    answer, not the click.
    """
    session = _current_session(events)
    users = [i for i, event in enumerate(session) if event.get("event") == "user"]
    if not users:
        return None
    latest = session[users[-1]]
    if _intent(latest) == NOT_HELPFUL_INTENT:
        if len(users) < 2:
            return None
        reason, latest = NOT_HELPFUL, session[users[-2]]
    else:
        actions = [e.get("name") for e in session[users[-1] + 1 :] if e.get("event") == "action"]
        reason = next((REASON_BY_ACTION[a] for a in reversed(actions) if a in REASON_BY_ACTION), None)
        reason = reason or REASON_BY_INTENT.get(_intent(latest))
        if reason is None:
            return None
    parse_data = latest.get("parse_data") or {}
    detected = (parse_data.get("language") or {}).get("name")
    return Question(
        text=str(latest.get("text") or ""),
        reason=reason,
        language=detected,
        reply_language=reply_language(language_slot or detected),
        channel=latest.get("input_channel") or (latest.get("metadata") or {}).get("channel"),
        top_intents=top_intents(parse_data.get("intent_ranking") or []),
    )


def _current_session(events: Sequence[Dict[str, Any]]) -> Sequence[Dict[str, Any]]:
    starts = [i for i, e in enumerate(events) if e.get("event") in ("session_started", "restart")]
    return events[starts[-1] + 1 :] if starts else events


def _intent(user_event: Dict[str, Any]) -> Optional[str]:
    return ((user_event.get("parse_data") or {}).get("intent") or {}).get("name")


def top_intents(ranking: Iterable[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The classifier's best 3 guesses; `nlu_fallback` says nothing about the question."""
    guesses = [r for r in ranking if r.get("name") and r.get("name") != FALLBACK_INTENT]
    return [
        {"name": str(r["name"]), "confidence": round(float(r.get("confidence") or 0.0), 4)}
        for r in guesses[:TOP_INTENTS]
    ]


def conversation_hash(sender_id: str, salt: Optional[str] = None) -> str:
    """HMAC-SHA256 of the sender id keyed by the salt: stable per conversation, not reversible."""
    key = (salt if salt is not None else os.environ.get(SALT_ENV, DEFAULT_SALT)).encode("utf-8")
    return hmac.new(key, str(sender_id).encode("utf-8"), hashlib.sha256).hexdigest()


def database_url() -> str:
    return os.environ.get(DB_URL_ENV) or DEFAULT_DB_URL


def create_engine(url: Optional[str] = None) -> Engine:
    """An engine for the URL (default from the environment); the SQLite file's directory
    is created. Raises `sqlalchemy.exc.ArgumentError` for a malformed URL."""
    url = sa.engine.make_url(url or database_url())
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    return sa.create_engine(url, future=True, pool_pre_ping=True)


def _utcnow() -> datetime:
    return datetime.utcnow().replace(microsecond=0)


class UnansweredStore:
    """The `unanswered` table. The table is created on first use, not at import."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._ready = False

    def _table(self) -> sa.Table:
        if not self._ready:
            metadata.create_all(self._engine)
            columns = {c["name"] for c in sa.inspect(self._engine).get_columns(unanswered_table.name)}
            if "reply_language" not in columns:  # a store created before the column existed
                with self._engine.begin() as connection:
                    connection.execute(sa.text("ALTER TABLE unanswered ADD COLUMN reply_language VARCHAR(8)"))
            self._ready = True
        return unanswered_table

    def record(self, question: Question, sender_id: str) -> bool:
        """Stores the question, redacted. Never raises: a failure is logged without the
        text (database errors quote their parameters, so only the error type is logged)."""
        try:
            row = {
                "created_at": _utcnow(),
                "text_redacted": redact(question.text)[:MAX_TEXT_CHARS],
                "language": question.language,
                "reply_language": question.reply_language,
                "reason": question.reason,
                "top_intents": question.top_intents,
                "channel": question.channel,
                "conversation_hash": conversation_hash(sender_id),
            }
            with self._engine.begin() as connection:
                connection.execute(self._table().insert().values(**row))
            return True
        except Exception as error:  # noqa: BLE001 - recording must never break a reply
            logger.warning(
                "Could not record an unanswered message (reason %s): %s",
                question.reason,
                type(error).__name__,
            )
            return False

    def select(self, filters: Filters = Filters(), ids: Optional[Iterable[int]] = None) -> List[Record]:
        table = self._table()
        query = sa.select(table).order_by(table.c.created_at, table.c.id)
        for condition in _conditions(table, filters):
            query = query.where(condition)
        if ids is not None:
            query = query.where(table.c.id.in_(list(ids)))
        with self._engine.connect() as connection:
            return [_record(row) for row in connection.execute(query).mappings()]

    def mark_reviewed(self, ids: Iterable[int], label: str) -> int:
        """Sets the label and the review time; returns how many rows changed."""
        ids = list(ids)
        table = self._table()
        changed = 0
        with self._engine.begin() as connection:
            # bounded IN lists: old SQLite builds accept 999 parameters per statement
            for start in range(0, len(ids), 500):
                result = connection.execute(
                    table.update()
                    .where(table.c.id.in_(ids[start : start + 500]))
                    .values(label=label, reviewed_at=_utcnow())
                )
                changed += result.rowcount
        return changed


def _conditions(table: sa.Table, filters: Filters) -> List[Any]:
    conditions = []
    if filters.since:
        conditions.append(table.c.created_at >= datetime.combine(filters.since, time()))
    if filters.until:
        conditions.append(table.c.created_at < datetime.combine(filters.until + timedelta(days=1), time()))
    for column in ("language", "channel", "reason"):
        value = getattr(filters, column)
        if value:
            conditions.append(table.c[column] == value)
    if filters.reviewed is not None:
        reviewed = table.c.reviewed_at.isnot(None)
        conditions.append(reviewed if filters.reviewed else sa.not_(reviewed))
    return conditions


def _record(row: Any) -> Record:
    return Record(
        id=row["id"],
        created_at=row["created_at"],
        text=row["text_redacted"],
        language=row["language"],
        reason=row["reason"],
        top_intents=row["top_intents"] or [],
        channel=row["channel"],
        conversation_hash=row["conversation_hash"],
        reviewed_at=row["reviewed_at"],
        label=row["label"],
        reply_language=row.get("reply_language"),
    )
