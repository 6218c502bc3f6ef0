"""bot.server.tracker_store: what reaches the database has no identifier, birth date or phone."""
import asyncio
import json
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import create_engine, text

from bot.server.tracker_store import RedactingSQLTrackerStore

DOMAIN = Domain.from_dict(
    {
        "intents": ["check_file_status", "inform"],
        "entities": ["cin", "birth_date"],
        "slots": {
            name: {"type": "text", "influence_conversation": False, "mappings": [{"type": "custom"}]}
            for name in ("member_identifier", "member_birth_date")
        },
        "forms": {"file_status_form": {"required_slots": ["member_identifier", "member_birth_date"]}},
    }
)
SECRETS = ["AB123456", "ab 123 456", "123 456", "123456", "12 mars 1985", "1985", "0612345678", "06 12 34 56 78"]


def user(text_: str, intent: str, entities=()) -> UserUttered:
    return UserUttered(
        text_,
        intent={"name": intent, "confidence": 0.9},
        entities=list(entities),
        parse_data={"text": text_, "intent": {"name": intent, "confidence": 0.9}, "entities": list(entities)},
    )


def first_turns():
    return [
        ActionExecuted("action_listen"),
        user("fin wsal dossier dyali? ana f CPU 2021, 3ndi 25 ans, tel 06 12 34 56 78", "check_file_status"),
        ActiveLoop("file_status_form"),
        SlotSet("requested_slot", "member_identifier"),
        ActionExecuted("action_listen"),
        # A CIN in a shape the general redaction does not know: scrubbed as a form answer.
        user("ma cin ab 123 456", "inform", [{"entity": "cin", "value": "ab 123 456", "start": 7, "end": 17}]),
        SlotSet("member_identifier", "ab 123 456"),
        SlotSet("member_identifier", "••••56"),
        SlotSet("requested_slot", "member_birth_date"),
    ]


def second_turn():
    return [
        ActionExecuted("action_listen"),
        user("tzadt 12 mars 1985", "inform", [{"entity": "birth_date", "value": "12 mars 1985", "start": 6, "end": 18}]),
        SlotSet("member_birth_date", "12 mars 1985"),
        SlotSet("member_birth_date", "verified"),
        SlotSet("requested_slot", None),
        ActiveLoop(None),
        UserUttered("0612345678 AB123456", intent={"name": "inform", "confidence": 0.5}),
    ]


@pytest.fixture
def store(tmp_path: Path) -> RedactingSQLTrackerStore:
    return RedactingSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "trackers.db"))


def raw_rows(tmp_path: Path):
    engine = create_engine(f"sqlite:///{tmp_path / 'trackers.db'}")
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT type_name, intent_name, action_name, data FROM events ORDER BY id")).all()
    engine.dispose()
    return rows


def test_saved_events_hold_no_identifier_date_or_phone(store, tmp_path: Path) -> None:
    tracker = DialogueStateTracker.from_events("member-1", first_turns(), slots=DOMAIN.slots)
    asyncio.run(store.save(tracker))
    for event in second_turn():
        tracker.update(event)
    asyncio.run(store.save(tracker))

    rows = raw_rows(tmp_path)
    assert len(rows) == len(first_turns()) + len(second_turn())  # each event stored once
    stored = "\n".join(json.dumps(json.loads(row.data), ensure_ascii=False) + " ".join(map(str, row)) for row in rows)
    for secret in SECRETS:
        assert secret not in stored
    # Ordinary words and numbers stay readable; the form's safe values are kept.
    assert "CPU 2021, 3ndi 25 ans, tel <PHONE>" in stored
    assert "ma cin <CIN>" in stored
    assert "tzadt <DATE>" in stored
    assert "<PHONE> <CIN>" in stored
    values = [json.loads(row.data).get("value") for row in rows if row.type_name == "slot"]
    assert values == [
        "member_identifier", "<ID>", "••••56", "member_birth_date", "<DATE>", "verified", None,
    ]


def test_retrieved_tracker_keeps_the_form_going(store) -> None:
    tracker = DialogueStateTracker.from_events("member-1", first_turns(), slots=DOMAIN.slots)
    asyncio.run(store.save(tracker))
    retrieved = asyncio.run(store.retrieve("member-1"))
    assert retrieved.get_slot("member_identifier") == "••••56"
    assert retrieved.get_slot("requested_slot") == "member_birth_date"
    assert retrieved.active_loop_name == "file_status_form"
    # The tracker in memory is not changed by saving.
    assert tracker.latest_message.text == "ma cin ab 123 456"


def test_a_long_session_is_continued_in_a_new_one_with_slots_and_form(tmp_path: Path) -> None:
    store = RedactingSQLTrackerStore(
        domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "trackers.db"), session_events_limit=8
    )
    tracker = DialogueStateTracker.from_events("member-1", first_turns(), slots=DOMAIN.slots)
    tracker.update(ActionExecuted("action_listen"))
    asyncio.run(store.save(tracker))

    retrieved = asyncio.run(store.retrieve("member-1"))
    assert retrieved.events[0].type_name == "session_started"
    assert len(retrieved.events) < len(first_turns())
    assert retrieved.get_slot("member_identifier") == "••••56"
    assert retrieved.get_slot("requested_slot") == "member_birth_date"
    assert retrieved.active_loop_name == "file_status_form"

    # The next turn is stored after the carried-over events, nothing twice or lost.
    carried = len(retrieved.events)
    for event in [*second_turn()[1:3], ActionExecuted("action_listen")]:
        retrieved.update(event)
    asyncio.run(store.save(retrieved))
    again = asyncio.run(store.retrieve("member-1"))
    assert [e.type_name for e in again.events][-3:] == ["user", "slot", "action"]
    assert again.get_slot("member_birth_date") == "<DATE>"
    rows = raw_rows(tmp_path)
    assert len(rows) == len(first_turns()) + 1 + carried + 3
    assert "12 mars 1985" not in "".join(row.data for row in rows)


def test_without_a_limit_sessions_are_left_alone(store) -> None:
    tracker = DialogueStateTracker.from_events("member-1", first_turns() * 3, slots=DOMAIN.slots)
    tracker.update(ActionExecuted("action_listen"))
    asyncio.run(store.save(tracker))
    assert asyncio.run(store.retrieve("member-1")).events[0].type_name != "session_started"


# -- failing loudly, bounded, off the event loop ---------------------------------------


def test_a_database_down_at_start_is_logged_and_its_tables_are_created_once_it_is_there(tmp_path: Path, caplog) -> None:
    later = tmp_path / "not-yet"  # SQLite cannot open a file in a missing directory: "down"
    store = RedactingSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(later / "trackers.db"))
    assert "unreachable at start" in caplog.text
    tracker = DialogueStateTracker.from_events("wa:1", first_turns(), slots=DOMAIN.slots)
    with pytest.raises(Exception):
        asyncio.run(store.save(tracker))  # raised, not kept in memory

    later.mkdir()  # the database is back
    asyncio.run(store.save(tracker))
    assert asyncio.run(store.retrieve("wa:1")).get_slot("requested_slot") == "member_birth_date"
    store.check()


def test_a_hung_database_call_times_out_and_the_event_loop_keeps_running(store, monkeypatch) -> None:
    import threading
    import time as clock

    from rasa.core.tracker_store import SQLTrackerStore

    from bot.server.tracker_store import TrackerStoreUnavailable

    release = threading.Event()

    async def hung(self, sender_id):
        release.wait(10)  # blocking, as a psycopg2 call on a frozen server
        return None

    monkeypatch.setattr(SQLTrackerStore, "retrieve", hung)
    store.call_timeout = 0.5

    async def scenario():
        ticks = 0

        async def tick():
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        ticker = asyncio.ensure_future(tick())
        started = clock.monotonic()
        with pytest.raises(TrackerStoreUnavailable):
            await store.retrieve("wa:1")
        ticker.cancel()
        return clock.monotonic() - started, ticks

    seconds, ticks = asyncio.run(scenario())
    release.set()
    assert seconds < 2
    assert ticks > 20  # the loop served others meanwhile (0 ticks when the call blocks it)


def test_bot_answers_holding_the_file_and_the_client_metadata_are_redacted(store, tmp_path: Path) -> None:
    """Review finding 7: the bot's file-status replies and the client's metadata were stored in clear."""
    from rasa.shared.core.events import BotUttered

    status = "Vos droits sont suspendus depuis le 01/09/2025 (1 conjoint, 1 enfant étudiant), dernier mois payé 05/2025."
    events = [
        ActionExecuted("action_listen"),
        UserUttered("salam", intent={"name": "greet", "confidence": 0.9},
                    metadata={"channel": "webchat", "cin": "BK123456", "phone": "0612345678", "BK654321": "x"}),
        BotUttered(status, metadata={"utter_action": "utter_file_status_suspended"}),
        BotUttered("Dernier mois payé : 05/2025.", metadata={"utter_action": "utter_file_status_contributions_late"}),
        BotUttered("Réessayez dans 30 minutes.", metadata={"utter_action": "utter_file_status_locked_minutes"}),
        BotUttered("Votre numéro 0612345678 est noté.", metadata={"utter_action": "utter_other"}),
    ]
    asyncio.run(store.save(DialogueStateTracker.from_events("member-1", events, slots=DOMAIN.slots)))
    stored = "\n".join(json.dumps(json.loads(row.data), ensure_ascii=False) for row in raw_rows(tmp_path))
    for secret in ("01/09/2025", "05/2025", "conjoint", "BK123456", "BK654321", "0612345678", "suspendus"):
        assert secret not in stored, secret
    assert stored.count("<FILE STATUS>") == 2
    assert "Réessayez dans 30 minutes." in stored and "Votre numéro <PHONE> est noté." in stored
    assert '"channel": "webchat"' in stored
    retrieved = asyncio.run(store.retrieve("member-1"))
    assert [e.text for e in retrieved.events if isinstance(e, BotUttered)][:2] == ["<FILE STATUS>"] * 2
