import asyncio
from concurrent.futures import ThreadPoolExecutor

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.unanswered import ActionRecordUnanswered
from bot.shared.unanswered import UnansweredStore, conversation_hash, create_engine
from tests.helpers import LISTEN, RANKING, bot_action, user


def run(action, events, slots=None, sender="212612345678"):
    latest = next((e["parse_data"] for e in reversed(events) if e["event"] == "user"), {})
    tracker = Tracker(sender, slots or {}, latest, events, False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    result = asyncio.run(action.run(dispatcher, tracker, {}))
    return result, dispatcher.messages


def recorded(events, tmp_path, slots=None):
    store = UnansweredStore(create_engine(f"sqlite:///{tmp_path / 'a.db'}"))
    writer = ThreadPoolExecutor(max_workers=1)
    result, messages = run(ActionRecordUnanswered(store, writer), events, slots)
    writer.shutdown(wait=True)
    assert (result, messages) == ([], [])  # never utters, never changes the conversation
    return store.select()


def test_name():
    assert ActionRecordUnanswered(UnansweredStore(create_engine("sqlite://"))).name() == "action_record_unanswered"


def test_records_a_fallback(tmp_path):
    events = [user("ch7al nkhalss, CIN AB123456", "nlu_fallback", RANKING, language="dar-latn",
                   channel="whatsapp"), bot_action("utter_please_rephrase")]
    [row] = recorded(events, tmp_path, {"language": "dar"})
    assert row.text == "ch7al nkhalss, CIN <CIN>"
    assert (row.reason, row.language, row.channel) == ("fallback", "dar-latn", "whatsapp")
    assert [i["name"] for i in row.top_intents] == [
        "ask_contribution_amount", "ask_contribution_payment", "ask_unpaid_contributions"]
    assert row.conversation_hash == conversation_hash("212612345678")


def test_records_the_question_behind_not_helpful(tmp_path):
    events = [user("wach mrati tqder tdkhol m3aya", "ask_beneficiaries_who", language="dar-latn"),
              bot_action("utter_ask_beneficiaries_who"), LISTEN,
              user("/feedback_not_helpful", "feedback_not_helpful")]
    [row] = recorded(events, tmp_path)
    assert (row.text, row.reason) == ("wach mrati tqder tdkhol m3aya", "not_helpful")


def test_records_nothing_for_an_answered_message(tmp_path):
    events = [user("chno hiya amo", "ask_what_is_amo"), bot_action("utter_ask_what_is_amo")]
    assert recorded(events, tmp_path) == []


def test_a_bad_database_url_never_breaks_the_turn(monkeypatch, caplog):
    monkeypatch.setenv("AMO_ANALYTICS_DB_URL", "not a url")
    action = ActionRecordUnanswered()
    events = [user("chhal", "nlu_fallback"), bot_action("utter_please_rephrase")]
    assert run(action, events) == ([], [])
    assert "Unanswered messages will not be recorded" in caplog.text


def test_an_unreachable_database_never_breaks_the_turn(monkeypatch, caplog):
    monkeypatch.setenv("AMO_ANALYTICS_DB_URL", "postgresql://amo@127.0.0.1:1/analytics")
    writer = ThreadPoolExecutor(max_workers=1)
    action = ActionRecordUnanswered(writer=writer)
    events = [user("chhal", "nlu_fallback"), bot_action("utter_please_rephrase")]
    assert run(action, events) == ([], [])
    writer.shutdown(wait=True)
    assert "Could not record an unanswered message (reason fallback)" in caplog.text
