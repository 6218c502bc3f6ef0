"""`make purge ID=...` (bot/tools/purge.py): a member's conversations and analytics
records go, on request (law 09-08); nobody else's."""
from __future__ import annotations

import asyncio
import subprocess
import sys

import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.server.tracker_store import RedactingSQLTrackerStore
from bot.shared.unanswered import Question, UnansweredStore, conversation_hash, create_engine
from bot.tools import purge
from tests.helpers import ROOT

MEMBER = ["wa:212600000001", "tw:+212600000001", "212600000001"]
OTHERS = ["wa:212600000002", "web:abcdefghijklmnopqrstuv", "rest:212600000001"]


def _fill(tmp_path, monkeypatch):
    monkeypatch.setenv("AMO_HASH_SALT", "a test salt that is long enough, 123456")
    store = RedactingSQLTrackerStore(domain=Domain.empty(), dialect="sqlite", db=str(tmp_path / "trackers.db"))
    analytics = UnansweredStore(create_engine(f"sqlite:///{tmp_path / 'analytics.db'}"))
    for sender in MEMBER + OTHERS:
        tracker = DialogueStateTracker.from_events(
            sender, [ActionExecuted("action_listen"), UserUttered("chno hiya AMO?"), BotUttered("AMO est...")]
        )
        asyncio.run(store.save(tracker))
        analytics.record(Question(text="blabla", reason="fallback"), sender)
    return f"sqlite:///{tmp_path / 'trackers.db'}", f"sqlite:///{tmp_path / 'analytics.db'}"


def _senders(url):
    with sa.create_engine(url).connect() as connection:
        return {row[0] for row in connection.execute(sa.text("SELECT DISTINCT sender_id FROM events"))}


def _hashes(url):
    with sa.create_engine(url).connect() as connection:
        return {row[0] for row in connection.execute(sa.text("SELECT conversation_hash FROM unanswered"))}


def test_a_phone_number_purges_that_members_conversations_on_every_channel(tmp_path, monkeypatch, capsys):
    trackers, analytics = _fill(tmp_path, monkeypatch)
    assert purge.main(["+212 6 00 00 00 01", "--tracker-db", trackers, "--analytics-db", analytics]) == 0
    assert _senders(trackers) == set(OTHERS)
    assert _hashes(analytics) == {conversation_hash(sender) for sender in OTHERS}
    printed = capsys.readouterr().out
    assert "Deleted 9 conversation events and 3 analytics records" in printed
    assert "600000001" not in printed


def test_a_conversation_id_purges_that_conversation_only(tmp_path, monkeypatch):
    trackers, analytics = _fill(tmp_path, monkeypatch)
    assert purge.main(["web:abcdefghijklmnopqrstuv", "--tracker-db", trackers, "--analytics-db", analytics]) == 0
    assert "web:abcdefghijklmnopqrstuv" not in _senders(trackers)
    assert len(_senders(trackers)) == len(MEMBER + OTHERS) - 1
    assert conversation_hash("web:abcdefghijklmnopqrstuv") not in _hashes(analytics)


def test_phone_numbers_in_every_format_name_the_same_conversations():
    expected = purge.conversation_ids("0600000001")
    for written in ("06 00 00 00 01", "+212600000001", "00212 6 00 00 00 01", "212600000001", "٠٦٠٠٠٠٠٠٠١",
                    "+212 (0)6 00 00 00 01"):
        assert purge.conversation_ids(written) == expected
    assert "wa:212600000001" in expected and "tw:+212600000001" in expected
    assert purge.conversation_ids("wa:212600000001") == ["wa:212600000001"]


def test_the_tracker_store_is_read_from_the_endpoints_file(tmp_path, monkeypatch):
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(
        "tracker_store:\n  type: bot.server.tracker_store.RedactingSQLTrackerStore\n  dialect: postgresql\n"
        "  url: ${PGHOST_X}\n  port: 5432\n  db: amo\n  username: amo\n  password: ${PGPW_X}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("PGHOST_X", "db.local")
    monkeypatch.setenv("PGPW_X", "s3cret")
    assert purge.tracker_url(endpoints) == "postgresql://amo:s3cret@db.local:5432/amo"
    assert purge.tracker_url(ROOT / "endpoints.yml") == f"sqlite:///{ROOT / 'var/trackers.db'}"


def test_make_purge_runs_the_tool(tmp_path, monkeypatch):
    trackers, analytics = _fill(tmp_path, monkeypatch)
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "purge:" in makefile and "bot.tools.purge" in makefile
    done = subprocess.run(
        ["make", "-s", "purge", "ID=wa:212600000002", f"ARGS=--tracker-db {trackers} --analytics-db {analytics}"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "wa:212600000002" not in _senders(trackers)
