"""actions/file_status.py through rasa_sdk: CollectingDispatcher, Tracker, exact events."""
import asyncio
from datetime import datetime
from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import create_engine

from actions import file_status
from actions.file_status import ActionFileStatus, ActionResetFileStatus, ValidateFileStatusForm
from actions.members.demo import demo_members
from actions.members.repository import MembersRepository
from actions.members.service import FileStatusService, LookupUnavailable
from tests.members.conftest import Clock

DOMAIN = {
    "forms": {"file_status_form": {"required_slots": ["member_identifier", "member_birth_date"]}},
    "slots": {"member_identifier": {}, "member_birth_date": {}, "language": {}},
}
NOW = datetime(2026, 11, 25, 9, 0)


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def service(tmp_path, clock, monkeypatch) -> FileStatusService:
    repository = MembersRepository(create_engine(f"sqlite:///{tmp_path / 'members.db'}"))
    repository.create_schema()
    for member in demo_members(NOW.date()):
        repository.save_member(member)
    service = FileStatusService(repository, clock)
    monkeypatch.setattr(file_status, "_service", lambda: service)
    return service


def tracker(slots: Dict[str, Any], candidates: Optional[Dict[str, Any]] = None, sender: str = "member-1") -> Tracker:
    """A tracker in the form, with slot candidates extracted from the latest message."""
    events = [{"event": "user", "text": "..."}] + [
        {"event": "slot", "name": name, "value": value} for name, value in (candidates or {}).items()
    ]
    return Tracker(
        sender, {**slots, **(candidates or {})}, {"text": "..."}, events, False, None,
        {"name": "file_status_form"}, "action_listen",
    )


def run(action, tracker_: Tracker):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker_, DOMAIN))
    return events, dispatcher.messages


def responses(messages: List[Dict[str, Any]]) -> List[str]:
    return [message["response"] for message in messages]


def give_identifier(text: str, sender: str = "member-1"):
    return run(ValidateFileStatusForm(), tracker({"language": "fr"}, {"member_identifier": text}, sender))


def give_birth_date(text: str, sender: str = "member-1"):
    return run(
        ValidateFileStatusForm(),
        tracker({"language": "fr", "member_identifier": "••••03"}, {"member_birth_date": text}, sender),
    )


def test_valid_identifier_is_kept_server_side_and_masked_in_the_slot(service) -> None:
    events, messages = give_identifier("ZZ100003")
    assert events == [SlotSet("member_identifier", "••••03")]
    assert messages == []


@pytest.mark.parametrize(
    "text, response",
    [
        ("bonjour", "utter_invalid_identifier"),
        ("AB12", "utter_invalid_identifier"),
        ("🙂", "utter_invalid_identifier"),
        ("12345678", "utter_identifier_unusual_length"),
    ],
)
def test_bad_identifier_gets_an_explanation_and_an_empty_slot(service, text: str, response: str) -> None:
    events, messages = give_identifier(text)
    assert events == [SlotSet("member_identifier", None)]
    assert responses(messages) == [response]


def test_unusual_length_repeated_is_accepted(service) -> None:
    give_identifier("99990000")
    events, messages = give_identifier("9999 0000")
    assert events == [SlotSet("member_identifier", "••••00")]
    assert messages == []


def test_identifier_given_as_a_list_of_entities(service) -> None:
    events, _ = give_identifier(["ZZ100003", "ZZ100004"])
    assert events == [SlotSet("member_identifier", "••••03")]


def test_right_birth_date_then_the_status_in_the_members_language(service) -> None:
    give_identifier("ZZ100003")
    events, messages = give_birth_date("25 janvier 1990")
    assert events == [SlotSet("member_birth_date", "verified")]
    assert messages == []

    verified = tracker({"language": "dar", "member_identifier": "••••03", "member_birth_date": "verified"})
    events, messages = run(ActionFileStatus(), verified)
    assert events == [SlotSet("member_identifier", None), SlotSet("member_birth_date", None)]
    assert responses(messages) == [
        "utter_file_status_active",
        "utter_file_status_contributions_up_to_date_monthly",
        "utter_file_status_next_nothing_to_do_debit",  # ZZ100003 is an Achamil member
    ]
    assert messages[0]["rights_open_since"] == "01/06/2025"
    assert messages[0]["beneficiaries"] == "زوج(ة) واحد(ة)، جوج ولاد"
    assert messages[1]["paid_until"] == "11/2026"  # Achamil: November is owed from 1 November


@pytest.mark.parametrize(
    "cin, born, contributions, step",
    [
        # Demo members as of 25 November 2026 (actions/members/demo.py).
        ("ZZ100016", "23/04/1991", "up_to_date_quarterly", "nothing_to_do_tax"),  # July-September paid
        ("ZZ100017", "08/10/1986", "late_quarterly", "pay_with_tax"),
        ("ZZ100018", "17/01/1978", "up_to_date_yearly", "nothing_to_do_tax"),  # 2025 paid
        ("ZZ100021", "02/09/1968", "late_quarterly", "pay_with_cpu"),
        ("ZZ100023", "26/11/1977", "late_yearly", "pay_with_cpu"),
        ("ZZ100014", "12/12/1999", "depends_on_period", "pay_with_tax"),  # no period recorded
        ("ZZ100012", "19/08/1980", "late_monthly", "pay_contributions"),
        ("ZZ100011", "28/02/1987", "late_monthly", "check_direct_debit"),  # Achamil, paid up to August
        ("ZZ100013", "05/01/1976", "late_employer", "ask_employer"),
    ],
)
def test_the_contributions_line_names_the_period_the_file_records(service, cin, born, contributions, step) -> None:
    give_identifier(cin)
    give_birth_date(born)
    verified = tracker({"language": "fr", "member_identifier": "••••", "member_birth_date": "verified"})
    _, messages = run(ActionFileStatus(), verified)
    assert responses(messages) == [
        "utter_file_status_active", f"utter_file_status_contributions_{contributions}", f"utter_file_status_next_{step}"
    ]


def test_incomplete_file_lists_missing_documents_in_french(service) -> None:
    give_identifier("999900002")
    give_birth_date("01/07/1979")
    verified = tracker({"language": "fr", "member_identifier": "••••02", "member_birth_date": "verified"})
    _, messages = run(ActionFileStatus(), verified)
    assert responses(messages) == ["utter_file_status_incomplete", "utter_file_status_next_send_missing_documents"]
    assert messages[0]["missing_documents"] == "copie de la CIN (ou du titre de séjour), RIB (attestation bancaire)"
    assert messages[0]["status_date"] == "02/10/2026"


def test_rejected_file_gives_the_reason_in_arabic(service) -> None:
    give_identifier("ZZ100006")
    give_birth_date("15/09/1992")
    verified = tracker({"language": "ar", "member_identifier": "••••06", "member_birth_date": "verified"})
    _, messages = run(ActionFileStatus(), verified)
    assert responses(messages) == ["utter_file_status_rejected", "utter_file_status_next_contact_cnss"]
    assert messages[0]["rejection_reason"] == "أنت مغطى بالفعل بنظام إجباري آخر للتأمين عن المرض"


# A mismatch ends the form: the member is told what to check and restarts with a tap.
ENDED_ON_MISMATCH = [SlotSet("member_birth_date", None), SlotSet("member_identifier", None), SlotSet("requested_slot", None)]


def test_wrong_birth_date_is_one_neutral_message_and_the_form_ends(service) -> None:
    give_identifier("ZZ100003")
    events, messages = give_birth_date("26/01/1990")
    assert events == ENDED_ON_MISMATCH
    assert responses(messages) == ["utter_file_status_mismatch"]


def test_unknown_identifier_gets_the_same_message(service) -> None:
    give_identifier("ZZ999999")
    events, messages = give_birth_date("25/01/1990")
    assert events == ENDED_ON_MISMATCH
    assert responses(messages) == ["utter_file_status_mismatch"]


def test_invalid_birth_date_is_explained_and_not_counted(service) -> None:
    give_identifier("ZZ100003")
    events, messages = give_birth_date("31/02/1990")
    assert events == [SlotSet("member_birth_date", None)]
    assert responses(messages) == ["utter_invalid_birth_date"]
    assert service.conversation_locked_until("member-1") is None


def test_third_failure_locks_with_the_wait_in_minutes_and_ends_the_form(service, clock) -> None:
    for _ in range(2):
        give_identifier("ZZ100003")
        give_birth_date("26/01/1990")
    give_identifier("ZZ100003")
    events, messages = give_birth_date("26/01/1990")
    assert events == [SlotSet("member_birth_date", "locked"), SlotSet("member_identifier", "••••")]
    assert [(m["response"], m["minutes"]) for m in messages] == [("utter_file_status_locked_minutes", 30)]
    clock.advance(minutes=10)
    events, messages = give_identifier("ZZ100004")
    assert events == [SlotSet("member_identifier", "••••"), SlotSet("member_birth_date", "locked")]
    assert (messages[0]["response"], messages[0]["minutes"]) == ("utter_file_status_locked_minutes", 20)

    locked = tracker({"language": "fr", "member_identifier": "••••", "member_birth_date": "locked"})
    events, messages = run(ActionFileStatus(), locked)
    assert events == [SlotSet("member_identifier", None), SlotSet("member_birth_date", None)]
    assert messages == []


def test_a_members_delay_across_conversations_is_told_in_minutes(service, clock) -> None:
    for n in range(3):
        give_identifier("ZZ100003", sender=f"member-{n}")
        events, messages = give_birth_date("26/01/1990", sender=f"member-{n}")
    assert events == [SlotSet("member_birth_date", "locked"), SlotSet("member_identifier", "••••")]
    assert (messages[0]["response"], messages[0]["minutes"]) == ("utter_file_status_locked_minutes", 1)
    # The member's own conversation is delayed too, by no more than that.
    give_identifier("ZZ100003", sender="the-member")
    events, messages = give_birth_date("25/01/1990", sender="the-member")
    assert (messages[0]["response"], messages[0]["minutes"]) == ("utter_file_status_locked_minutes", 1)
    clock.advance(minutes=1)
    give_identifier("ZZ100003", sender="the-member")
    events, messages = give_birth_date("25/01/1990", sender="the-member")
    assert events == [SlotSet("member_birth_date", "verified")]


def test_database_down_says_unavailable_and_ends_the_form(monkeypatch) -> None:
    def down() -> FileStatusService:
        raise LookupUnavailable("OperationalError")

    monkeypatch.setattr(file_status, "_service", down)
    for events, messages in (give_identifier("ZZ100003"), give_birth_date("25/01/1990")):
        assert sorted(events, key=lambda e: e["name"]) == [
            SlotSet("member_birth_date", "unavailable"), SlotSet("member_identifier", "••••")
        ]
        assert responses(messages) == ["utter_file_status_unavailable"]
    verified = tracker({"language": "fr", "member_identifier": "••••03", "member_birth_date": "verified"})
    events, messages = run(ActionFileStatus(), verified)
    assert responses(messages) == ["utter_file_status_unavailable"]
    assert events == [SlotSet("member_identifier", None), SlotSet("member_birth_date", None)]


def test_expired_identifier_asks_to_start_again(service, clock) -> None:
    give_identifier("ZZ100003")
    clock.advance(minutes=16)
    events, messages = give_birth_date("25/01/1990")
    assert events == [SlotSet("member_birth_date", None), SlotSet("member_identifier", None)]
    assert responses(messages) == ["utter_file_status_start_again"]


def test_reset_after_stop_forgets_the_identifier(service) -> None:
    give_identifier("ZZ100003")
    events, messages = run(ActionResetFileStatus(), tracker({"member_identifier": "••••03"}))
    assert events == [SlotSet("member_identifier", None), SlotSet("member_birth_date", None)]
    assert messages == []
    _, messages = give_birth_date("25/01/1990")
    assert responses(messages) == ["utter_file_status_start_again"]


@pytest.mark.parametrize(
    "cin, born, expected",
    [
        # A late CPU payer: the DGI, never the TNS payment link.
        ("ZZ100007", "24/12/1969", ["utter_file_status_active", "utter_file_status_contributions_late",
                                    "utter_file_status_next_pay_with_cpu"]),
        # Salaried, the employer's declarations behind: see the employer.
        ("ZZ100013", "05/01/1976", ["utter_file_status_active", "utter_file_status_contributions_late_employer",
                                    "utter_file_status_next_ask_employer"]),
        # Tadamon: nothing to pay, no contributions line.
        ("ZZ100009", "02/10/1971", ["utter_file_status_active", "utter_file_status_next_nothing_to_do_tadamon"]),
        # Auto-entrepreneur paid up to the last quarter that ended: up to date mid-quarter.
        ("ZZ100010", "09/06/1994", ["utter_file_status_active", "utter_file_status_contributions_up_to_date",
                                    "utter_file_status_next_nothing_to_do_tax"]),
    ],
)
def test_the_next_step_follows_how_the_member_pays(service, cin, born, expected) -> None:
    give_identifier(cin)
    give_birth_date(born)
    verified = tracker({"language": "fr", "member_identifier": "••••", "member_birth_date": "verified"})
    _, messages = run(ActionFileStatus(), verified)
    assert responses(messages) == expected
