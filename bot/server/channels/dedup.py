"""Message ids already handled, so that a provider's retried delivery (Meta
retries a webhook for days) is processed once, across restarts too.

A small SQL table (SQLite file by default) holding only the newest ids.
"""
from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError

DEFAULT_URL = "sqlite:///var/channels.db"
URL_VARIABLE = "AMO_CHANNEL_DB_URL"

_metadata = sa.MetaData()
_seen = sa.Table(
    "channel_message_ids",
    _metadata,
    # Insertion order: pruning keeps the highest sequence numbers.
    sa.Column("sequence", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("message_id", sa.String(255), nullable=False, unique=True),
)


class MessageIdStore:
    """Remembers the newest `keep` message ids (ids are provider-made, never
    personal data)."""

    def __init__(self, engine: Engine, keep: int = 10_000) -> None:
        if keep < 1:
            raise ValueError("keep must be positive")
        self._engine = engine
        self._keep = keep
        _metadata.create_all(engine)

    @classmethod
    def from_url(cls, url: str, keep: int = 10_000) -> "MessageIdStore":
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        return cls(sa.create_engine(url), keep)

    @classmethod
    def from_environment(cls) -> "MessageIdStore":
        return cls.from_url(os.environ.get(URL_VARIABLE) or DEFAULT_URL)

    def first_time(self, message_id: str) -> bool:
        """Records `message_id`; False when it was already recorded.

        Blocking (a database round trip): call it from a worker thread in async code.
        """
        try:
            with self._engine.begin() as connection:
                connection.execute(_seen.insert().values(message_id=message_id))
        except IntegrityError:
            return False
        self._prune()
        return True

    def _prune(self) -> None:
        newest = sa.select(sa.func.max(_seen.c.sequence)).scalar_subquery()
        with self._engine.begin() as connection:
            connection.execute(_seen.delete().where(_seen.c.sequence <= newest - self._keep))

    def __len__(self) -> int:
        with self._engine.connect() as connection:
            return connection.execute(sa.select(sa.func.count()).select_from(_seen)).scalar_one()
