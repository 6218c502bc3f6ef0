import logging
from datetime import date

import pytest

from tests.helpers import LISTEN, RANKING, bot_action, user
from bot.shared.unanswered import (
    DEFAULT_SALT,
    MAX_TEXT_CHARS,
    Filters,
    Question,
    UnansweredStore,
    conversation_hash,
    create_engine,
    top_intents,
    unanswered_question,
)


@pytest.mark.parametrize(
    "events, expected_text, expected_reason",
    [
        ([user("chhal nkhalss", "nlu_fallback"), bot_action("utter_please_rephrase")],
         "chhal nkhalss", "fallback"),
        ([user("chhal", "nlu_fallback"), bot_action("utter_please_rephrase"), LISTEN,
          user("ch7al nkhles", "nlu_fallback"), bot_action("utter_still_not_understood")],
         "ch7al nkhles", "rephrase_failed"),
        # the policy's fallback after a confident but unpredictable intent
        ([user("chno daba", "ask_contact"), bot_action("utter_please_rephrase")],
         "chno daba", "fallback"),
        ([user("quel temps fait-il", "out_of_scope"), bot_action("utter_out_of_scope")],
         "quel temps fait-il", "out_of_scope"),
        # the message recorded is the question, not the "did not help" click
        ([user("wach mrati tqder tdkhol m3aya", "ask_beneficiaries_who"),
          bot_action("utter_ask_beneficiaries_who"), LISTEN,
          user("/feedback_not_helpful", "feedback_not_helpful"), bot_action("utter_sorry")],
         "wach mrati tqder tdkhol m3aya", "not_helpful"),
        # whatever the assistant says after the click
        ([user("combien je paie", "ask_contribution_amount"), bot_action("utter_ask_contribution_amount"),
          LISTEN, user("/feedback_not_helpful", "feedback_not_helpful"), bot_action("utter_please_rephrase")],
         "combien je paie", "not_helpful"),
        # answered: nothing to record
        ([user("chno hiya amo", "ask_what_is_amo"), bot_action("utter_ask_what_is_amo")], None, None),
        ([], None, None),
        # a click with no question before it in this session
        ([user("chhal", "ask_contribution_amount"), {"event": "session_started"},
          user("/feedback_not_helpful", "feedback_not_helpful")], None, None),
    ],
)
def test_unanswered_question_reason_and_text(events, expected_text, expected_reason):
    question = unanswered_question(events)
    if expected_text is None:
        assert question is None
    else:
        assert (question.text, question.reason) == (expected_text, expected_reason)


def test_question_keeps_language_channel_and_top_three_real_intents():
    events = [user("chhal nkhalss", "nlu_fallback", RANKING, language="dar-latn", channel="whatsapp"),
              bot_action("utter_please_rephrase")]
    question = unanswered_question(events, language_slot="dar")
    assert question.language == "dar-latn"
    assert question.channel == "whatsapp"
    assert question.top_intents == [
        {"name": "ask_contribution_amount", "confidence": 0.31},
        {"name": "ask_contribution_payment", "confidence": 0.22},
        {"name": "ask_unpaid_contributions", "confidence": 0.1},
    ]


def test_an_unclear_input_language_stays_unknown_the_reply_language_comes_from_the_slot():
    events = [user("ok ???", "nlu_fallback", channel=None, metadata={"channel": "webchat"}),
              bot_action("utter_please_rephrase")]
    question = unanswered_question(events, language_slot="fr")
    assert (question.language, question.reply_language, question.channel) == (None, "fr", "webchat")


def test_input_and_reply_language_are_two_fields():
    events = [user("ch7al nkhelles", "nlu_fallback", language="dar-latn"), bot_action("utter_please_rephrase")]
    question = unanswered_question(events, language_slot="dar")
    assert (question.language, question.reply_language) == ("dar-latn", "dar")


def test_a_store_made_before_the_reply_language_column_gets_it(tmp_path):
    import sqlalchemy as sa

    url = f"sqlite:///{tmp_path / 'old.db'}"
    with sa.create_engine(url).begin() as connection:
        connection.execute(sa.text(
            "CREATE TABLE unanswered (id INTEGER PRIMARY KEY, created_at DATETIME NOT NULL, text_redacted TEXT NOT NULL,"
            " language VARCHAR(16), reason VARCHAR(32) NOT NULL, top_intents JSON NOT NULL, channel VARCHAR(64),"
            " conversation_hash VARCHAR(64) NOT NULL, reviewed_at DATETIME, label VARCHAR(128))"))
    store = UnansweredStore(create_engine(url))
    assert store.record(Question("ch7al", "fallback", "dar-latn", "dar"), "member")
    assert [r.reply_language for r in store.select()] == ["dar"]


def test_not_helpful_records_the_questions_own_ranking():
    events = [user("combien je paie", "ask_contribution_amount", [("ask_contribution_amount", 0.7)]),
              bot_action("utter_ask_contribution_amount"),
              user("/feedback_not_helpful", "feedback_not_helpful", [("feedback_not_helpful", 1.0)])]
    question = unanswered_question(events)
    assert question.top_intents == [{"name": "ask_contribution_amount", "confidence": 0.7}]


def test_top_intents_tolerates_malformed_ranking():
    assert top_intents([{"confidence": 0.5}, {"name": "greet"}]) == [{"name": "greet", "confidence": 0.0}]


def test_conversation_hash_is_salted_and_stable(monkeypatch):
    monkeypatch.delenv("AMO_HASH_SALT", raising=False)
    default = conversation_hash("212612345678")
    assert default == conversation_hash("212612345678", DEFAULT_SALT)
    assert len(default) == 64 and "212612345678" not in default
    assert conversation_hash("212612345678", "other") != default
    assert conversation_hash("212612345679") != default
    monkeypatch.setenv("AMO_HASH_SALT", "secret")
    assert conversation_hash("212612345678") == conversation_hash("212612345678", "secret")


QUESTION = Question(text="ana CIN AB123456, tel 0612345678, wach nkhalss?", reason="fallback",
                    language="dar-latn", channel="whatsapp",
                    top_intents=[{"name": "ask_contribution_amount", "confidence": 0.31}])


def test_record_stores_the_redacted_text_and_the_hash(tmp_path):
    url = f"sqlite:///{tmp_path / 'new' / 'dir' / 'analytics.db'}"
    store = UnansweredStore(create_engine(url))
    assert store.record(QUESTION, "212612345678") is True
    assert (tmp_path / "new" / "dir" / "analytics.db").exists()
    [row] = store.select()
    assert row.text == "ana CIN <CIN>, tel <PHONE>, wach nkhalss?"
    assert (row.language, row.channel, row.reason) == ("dar-latn", "whatsapp", "fallback")
    assert row.top_intents == QUESTION.top_intents
    assert row.conversation_hash == conversation_hash("212612345678")
    assert row.reviewed_at is None and row.label is None


@pytest.mark.parametrize(
    "text, stored",
    [("", ""), ("😀😀", "😀😀"), ("\x00\x01binary", "\x00\x01binary"), ("x" * 10_000, "x" * MAX_TEXT_CHARS)],
)
def test_record_accepts_odd_texts(store, text, stored):
    assert store.record(Question(text=text, reason="fallback"), "member")
    assert store.select()[0].text == stored


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://amo:secret@127.0.0.1:1/analytics",  # nothing listens on port 1
        "sqlite:////proc/analytics.db",  # no table can be created there
    ],
)
def test_record_never_raises_and_never_logs_the_text(url, caplog):
    store = UnansweredStore(create_engine(url))
    with caplog.at_level(logging.WARNING, logger="bot.shared.unanswered"):
        assert store.record(QUESTION, "212612345678") is False
    assert "Could not record an unanswered message" in caplog.text
    for secret in ("AB123456", "<CIN>", "0612345678", "nkhalss", "212612345678", "secret"):
        assert secret not in caplog.text


def test_select_filters(store, week):
    def texts(**filters):
        return {r.text for r in store.select(Filters(**filters))}

    assert texts(since=date(2026, 11, 24)) == {
        "combien dois-je payer par mois", "كم يجب أن أدفع للتسجيل", "<script>alert(1)</script> chno hada"}
    assert texts(until=date(2026, 11, 18)) == {"chhal nkhalss", "wach mrati tqder tdkhol m3aya"}
    assert texts(language="fr", channel="rest") == {"combien je dois payer", "quel temps fait-il demain"}
    assert texts(reason="out_of_scope") == {"quel temps fait-il demain", "chkoun rb7 lmatch lbar7"}
    assert len(store.select(Filters(reviewed=False))) == len(week)
    assert store.select(Filters(reviewed=True)) == []


def test_mark_reviewed(store, week):
    ids = [week["chhal nkhalss"], week["ch7al nkhles"]]
    assert store.mark_reviewed(ids, "ask_contribution_amount") == 2
    reviewed = store.select(Filters(reviewed=True))
    assert {r.id for r in reviewed} == set(ids)
    assert {r.label for r in reviewed} == {"ask_contribution_amount"}
    assert all(r.reviewed_at is not None for r in reviewed)
    assert len(store.select(Filters(reviewed=False))) == len(week) - 2
