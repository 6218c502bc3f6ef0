"""Whole turns through the trained model: the reply follows the member's language."""
import pytest

from tests.helpers import replied, variant



@pytest.mark.parametrize(
    "text, language",
    [
        ("bonjour", "fr"),
        ("Bonsoir, j'ai une question", "fr"),
        ("salam", "dar"),
        ("salam khoya labas 3lik", "dar"),
        ("سلام خويا، لاباس؟", "dar"),
        ("مرحبا، صباح الخير", "ar"),
    ],
)
def test_greeting_is_answered_in_the_members_language(conversation, text, language):
    assert replied(conversation.say(text), "utter_greet", language)
    assert conversation.slot("language") == language


def test_peace_be_upon_you_gets_an_arabic_script_reply(conversation):
    messages = conversation.say("السلام عليكم")
    assert replied(messages, "utter_greet", "ar") or replied(messages, "utter_greet", "dar")


def test_are_you_a_robot_in_arabizi_gets_darija(conversation):
    assert replied(conversation.say("wach nta robot?"), "utter_iamabot", "dar")


def test_the_reply_follows_the_latest_message(conversation):
    assert replied(conversation.say("bonjour"), "utter_greet", "fr")
    assert replied(conversation.say("wach nta robot?"), "utter_iamabot", "dar")
    assert replied(conversation.say("merci beaucoup"), "utter_you_are_welcome", "fr")


def test_a_chosen_language_sticks_until_changed(conversation):
    conversation.say("bonjour")
    assert replied(conversation.say("répondez-moi en arabe s'il vous plaît"), "utter_language_changed", "ar")
    assert replied(conversation.say("merci beaucoup"), "utter_you_are_welcome", "ar")
    assert replied(conversation.say("hder m3aya b darija 3afak"), "utter_language_changed", "dar")
    assert replied(conversation.say("je vous remercie"), "utter_you_are_welcome", "dar")


def test_a_language_button_sets_the_language(conversation):
    assert replied(conversation.say('/change_language{"language": "fr"}'), "utter_language_changed", "fr")


@pytest.mark.parametrize("unclear", ["👍", "ok", "BE123456", "3939", "   "])
def test_an_unclear_message_keeps_the_previous_language(conversation, unclear):
    conversation.say("salam khoya")
    conversation.say(unclear)
    assert conversation.slot("language") == "dar"


@pytest.mark.parametrize("text", ["", "🙂🙂🙂", "\x00\x01binary\xff", "؟؟؟", "x" * 10_000, "سلام " * 2000])
def test_odd_input_gets_an_answer_not_a_crash(conversation, text):
    messages = conversation.say(text)
    assert messages and all(m.get("text") for m in messages)
