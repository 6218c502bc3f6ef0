"""The messaging channels' state that every Rasa instance shares, in one SQL database
(AMO_CHANNEL_DB_URL: the shared PostgreSQL in production, deploy/production.env):

- `MessageIdStore`: the provider message ids (WhatsApp message id, Twilio MessageSid)
  being processed or done, so that a provider's redelivery of a done message is
  dropped, by whichever instance it reaches, across restarts too;
- `SQLOptionMemory`: the numbered options last sent to each conversation, so that a
  "2" picks the second option on whichever instance it reaches.

At-least-once with an exactly-once effect: a message id is *claimed* ("processing")
before its turn, marked *done* only after the turn succeeded, and *released*
(deleted) when the turn failed, so that the provider's redelivery runs it again. A
claim older than `stale_after` seconds (an instance killed in the middle of a turn)
may be taken over.

Every method is blocking (a database round trip): async code calls it through
`webhook.state_call` (the channel database's own threads, bounded in time). Ids are provider-made; option payloads are intents
and entities the bot offered: no personal data is stored here.
"""
from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import Callable, Optional, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError

from bot.server.channels.outgoing import Option, OptionMemory, picked_option

logger = logging.getLogger(__name__)

URL_VARIABLE = "AMO_CHANNEL_DB_URL"
# Without AMO_CHANNEL_DB_URL (a laptop, tests): a SQLite file under AMO_VAR_DIR
# (writable, unlike a read-only /app), else var/ in the working directory.
VAR_DIR_VARIABLE = "AMO_VAR_DIR"
PROCESSING, DONE = "processing", "done"
# PostgreSQL: bounded connect and statement times, so that a hung database holds a
# worker thread for seconds, not forever.
POSTGRES_CONNECT_ARGS = {"connect_timeout": 3, "options": "-c statement_timeout=5000"}

_metadata = sa.MetaData()
_seen = sa.Table(
    "channel_message_ids",
    _metadata,
    # Insertion order: pruning keeps the highest sequence numbers.
    sa.Column("sequence", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("message_id", sa.String(255), nullable=False, unique=True),
    sa.Column("status", sa.String(16), nullable=False, server_default=DONE),
    sa.Column("claimed_at", sa.Float, nullable=False, server_default="0"),
)
_options = sa.Table(
    "channel_options",
    _metadata,
    sa.Column("conversation_id", sa.String(255), primary_key=True),
    sa.Column("remembered_at", sa.Float, nullable=False, index=True),
    sa.Column("payloads", sa.Text, nullable=False),  # JSON list of payloads, in order
)


def default_url() -> str:
    directory = os.environ.get(VAR_DIR_VARIABLE) or "var"
    return f"sqlite:///{Path(directory) / 'channels.db'}"


def channel_engine(url: Optional[str] = None) -> Engine:
    """The engine of the channels' database (AMO_CHANNEL_DB_URL by default); its
    tables are created if missing."""
    url = url or os.environ.get(URL_VARIABLE) or default_url()
    parsed = make_url(url)
    kwargs = {}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database not in (None, "", ":memory:"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 5}
    elif parsed.get_backend_name() == "postgresql":
        kwargs = {"connect_args": dict(POSTGRES_CONNECT_ARGS), "pool_pre_ping": True, "pool_timeout": 5}
    engine = sa.create_engine(url, **kwargs)
    try:
        _metadata.create_all(engine)
    except sa.exc.OperationalError as error:  # created on first use instead
        logger.error("Channel database unreachable at start (tables created later): %s", type(error).__name__)
    return engine


class MessageIdStore:
    """Claims, completes and releases message ids; keeps the newest `keep` of them."""

    def __init__(self, engine: Engine, keep: int = 10_000, stale_after: float = 600.0,
                 clock: Callable[[], float] = time.time) -> None:
        if keep < 1:
            raise ValueError("keep must be positive")
        self._engine = engine
        self._keep = keep
        self._stale_after = stale_after
        self._clock = clock
        self._tables_ready = False

    @classmethod
    def from_url(cls, url: str, keep: int = 10_000) -> "MessageIdStore":
        return cls(channel_engine(url), keep)

    @classmethod
    def from_environment(cls) -> "MessageIdStore":
        return cls(channel_engine())

    def _ready(self) -> None:
        if not self._tables_ready:  # the database may have come up after us
            _metadata.create_all(self._engine)
            self._tables_ready = True

    def claim(self, message_id: str) -> bool:
        """True when this caller may process `message_id` now: never seen, released
        after a failure, or claimed so long ago that its instance must have died.
        False when it is done, or being processed elsewhere."""
        self._ready()
        now = self._clock()
        try:
            with self._engine.begin() as connection:
                connection.execute(_seen.insert().values(message_id=message_id, status=PROCESSING, claimed_at=now))
        except IntegrityError:
            with self._engine.begin() as connection:
                taken = connection.execute(
                    _seen.update()
                    .where(_seen.c.message_id == message_id)
                    .where(_seen.c.status == PROCESSING)
                    .where(_seen.c.claimed_at < now - self._stale_after)
                    .values(claimed_at=now)
                ).rowcount
            return taken == 1
        return True

    def done(self, message_id: str) -> None:
        """The turn of `message_id` succeeded: every later delivery is dropped."""
        self._ready()
        with self._engine.begin() as connection:
            connection.execute(_seen.update().where(_seen.c.message_id == message_id).values(status=DONE))
        self._prune()

    def release(self, message_id: str) -> None:
        """The turn of `message_id` failed: its next delivery is processed."""
        self._ready()
        with self._engine.begin() as connection:
            connection.execute(_seen.delete().where(_seen.c.message_id == message_id)
                               .where(_seen.c.status == PROCESSING))

    def first_time(self, message_id: str) -> bool:
        """Claims and completes at once (at-most-once; kept for simple callers)."""
        if not self.claim(message_id):
            return False
        self.done(message_id)
        return True

    def status(self, message_id: str) -> Optional[str]:
        self._ready()
        with self._engine.connect() as connection:
            return connection.execute(sa.select(_seen.c.status).where(_seen.c.message_id == message_id)).scalar()

    def _prune(self) -> None:
        newest = sa.select(sa.func.max(_seen.c.sequence)).scalar_subquery()
        with self._engine.begin() as connection:
            connection.execute(_seen.delete().where(_seen.c.sequence <= newest - self._keep))

    def __len__(self) -> int:
        self._ready()
        with self._engine.connect() as connection:
            return connection.execute(sa.select(sa.func.count()).select_from(_seen)).scalar_one()


class SQLOptionMemory(OptionMemory):
    """OptionMemory kept in the shared database: the same rule ("2" is the second
    option offered, within `ttl_seconds`), readable by every instance and after a
    restart. Blocking: call it from a worker thread."""

    def __init__(self, engine: Engine, ttl_seconds: float = 3600.0, clock: Callable[[], float] = time.time) -> None:
        super().__init__(ttl_seconds=ttl_seconds, clock=clock)
        self._engine = engine
        self._tables_ready = False

    @classmethod
    def from_environment(cls) -> "SQLOptionMemory":
        return cls(channel_engine())

    def _ready(self) -> None:
        if not self._tables_ready:
            _metadata.create_all(self._engine)
            self._tables_ready = True

    def remember(self, member: str, options: Sequence[Option]) -> None:
        self._ready()
        now = self._clock()
        payloads = json.dumps([option.payload for option in options], ensure_ascii=False)
        with self._engine.begin() as connection:
            updated = connection.execute(
                _options.update().where(_options.c.conversation_id == member)
                .values(remembered_at=now, payloads=payloads)
            ).rowcount
            if not updated:
                try:
                    with connection.begin_nested():
                        connection.execute(_options.insert().values(
                            conversation_id=member, remembered_at=now, payloads=payloads))
                except IntegrityError:  # another instance inserted it meanwhile: ours is newer
                    connection.execute(_options.update().where(_options.c.conversation_id == member)
                                       .values(remembered_at=now, payloads=payloads))
            connection.execute(_options.delete().where(_options.c.remembered_at < now - self._ttl))

    def resolve(self, member: str, text: str) -> str:
        if not self.looks_like_a_number(text):
            return text  # no database round trip for ordinary messages
        self._ready()
        with self._engine.connect() as connection:
            row = connection.execute(
                sa.select(_options.c.remembered_at, _options.c.payloads).where(_options.c.conversation_id == member)
            ).first()
        if row is None or self._clock() - row.remembered_at > self._ttl:
            return text
        return picked_option(json.loads(row.payloads), text) or text
