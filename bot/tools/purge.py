"""`make purge ID=<conversation id or phone>`: deletes what the assistant keeps about one
member, on their request (law 09-08 lets them ask for it).

    python -m bot.tools.purge wa:212600000001
    python -m bot.tools.purge "06 00 00 00 01"        # every channel's conversation of that phone
    python -m bot.tools.purge web:Qk3v...  --tracker-db postgresql://amo:...@127.0.0.1/amo

Deleted:
* the conversations (every event of the tracker store, all sessions) of the conversation
  id, or, for a phone number, of its WhatsApp ("wa:212…"), Twilio ("tw:+212…") and
  older unprefixed ids ("212…", "whatsapp:+212…");
* the analytics records of those conversations (unanswered questions, keyed by the
  HMAC of the conversation id with AMO_HASH_SALT: the same salt as the action server's).

The tracker store is the one of the endpoints file (AMO_ENDPOINTS, default endpoints.yml,
${VARIABLES} filled in from the environment) unless --tracker-db gives a SQLAlchemy URL;
the analytics database is AMO_ANALYTICS_DB_URL unless --analytics-db. What it prints
names no identifier: counts only.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import sqlalchemy as sa
import yaml

from bot.shared import production
from bot.shared.identifiers import fold
from bot.shared.unanswered import conversation_hash, create_engine, database_url, unanswered_table

ROOT = Path(__file__).resolve().parents[2]
_PHONE = re.compile(r"(?:\+|00)?(?:212)?\(?0?\)?([5-7]\d{8})")


def conversation_ids(given: str) -> List[str]:
    """The conversation ids `given` names: itself, or every channel's id of a phone number."""
    given = given.strip()
    compact = re.sub(r"[\s.\-()]", "", fold(given))
    phone = _PHONE.fullmatch(compact)
    if not phone:
        return [given]
    national = phone.group(1)  # 9 digits after the trunk 0
    return [f"wa:212{national}", f"tw:+212{national}", f"212{national}", f"whatsapp:+212{national}"]


def tracker_url(endpoints: Path, environ: Dict[str, str] = os.environ) -> Optional[str]:
    """The SQLAlchemy URL of the endpoints file's SQL tracker store, if it has one."""
    config = yaml.safe_load(os.path.expandvars(endpoints.read_text(encoding="utf-8"))) or {}
    store = config.get("tracker_store") or {}
    if not store or "SQL" not in str(store.get("type", "")):
        return None
    dialect = store.get("dialect") or "sqlite"
    if dialect == "sqlite":
        database = Path(store.get("db") or "rasa.db")
        return f"sqlite:///{database if database.is_absolute() else ROOT / database}"
    return str(
        sa.engine.URL.create(
            "postgresql" if dialect.startswith("postgres") else dialect,
            username=store.get("username"), password=store.get("password") or None,
            host=store.get("url"), port=int(store["port"]) if store.get("port") else None, database=store.get("db"),
        )
    )


def purge_trackers(url: str, ids: Sequence[str]) -> int:
    engine = sa.create_engine(url)
    try:
        if not sa.inspect(engine).has_table("events"):
            return 0
        events = sa.Table("events", sa.MetaData(), autoload_with=engine)
        with engine.begin() as connection:
            return connection.execute(events.delete().where(events.c.sender_id.in_(list(ids)))).rowcount
    finally:
        engine.dispose()


def purge_analytics(url: str, ids: Sequence[str]) -> int:
    engine = create_engine(url)
    try:
        if not sa.inspect(engine).has_table(unanswered_table.name):
            return 0
        hashes = [conversation_hash(conversation) for conversation in ids]
        with engine.begin() as connection:
            return connection.execute(
                unanswered_table.delete().where(unanswered_table.c.conversation_hash.in_(hashes))
            ).rowcount
    finally:
        engine.dispose()


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.tools.purge", description=__doc__.split("\n")[0])
    parser.add_argument("id", help="a conversation id (wa:…, tw:…, web:…, rest:…) or a phone number")
    parser.add_argument("--tracker-db", help="SQLAlchemy URL of the tracker store (default: from the endpoints file)")
    parser.add_argument("--analytics-db", help="SQLAlchemy URL of the analytics store (default: AMO_ANALYTICS_DB_URL)")
    parser.add_argument("--endpoints", default=os.environ.get("AMO_ENDPOINTS", "endpoints.yml"))
    args = parser.parse_args(argv)
    production.enforce(os.environ, "tool")
    if not args.id.strip():
        parser.error("give a conversation id or a phone number")
    ids = conversation_ids(args.id)
    url = args.tracker_db or tracker_url(ROOT / args.endpoints if not Path(args.endpoints).is_absolute() else Path(args.endpoints))
    if url is None:
        print("The endpoints file has no SQL tracker store: give --tracker-db.", file=sys.stderr)
        return 2
    events = purge_trackers(url, ids)
    records = purge_analytics(args.analytics_db or database_url(), ids)
    print(f"Deleted {events} conversation events and {records} analytics records ({len(ids)} conversation ids looked up).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
