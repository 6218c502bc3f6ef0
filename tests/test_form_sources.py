"""'source ?' in the middle of a form (actions/sources.py, data/rules.yml): the pages behind
what the member was just told, then the form's question once more, like any side question."""
import asyncio

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import sources

FORMS = ("eligibility_form", "desk_form", "file_status_form")


def bot(response):
    return {"event": "bot", "text": "x", "metadata": {"utter_action": response}}


def started(form):
    return {"event": "active_loop", "name": form}


def source_reply(events, form):
    tracker = Tracker("t", {"language": "fr"}, {"intent": {"name": "ask_source"}, "entities": [], "text": "source ?"},
                      events, False, None, {"name": form}, "action_listen")
    dispatcher = CollectingDispatcher()
    asyncio.run(sources.ActionAnswerSource().run(dispatcher, tracker, {}))
    return dispatcher.messages


@pytest.mark.parametrize("form, topic", [("eligibility_form", "utter_check_eligibility"), ("desk_form", "utter_find_desk")])
def test_during_a_form_with_no_answer_since_it_started_the_forms_own_official_pages(form, topic):
    # The Tadamon answer came before the form: the member asks about the form's question.
    [message] = source_reply([bot("utter_ask_tadamon"), started(form), bot("utter_ask_city")], form)
    expected = sources.topics()[topic]
    assert message["response"] == "utter_answer_sources"
    assert message["topic"] == expected.title["fr"]
    listed = [line.removeprefix("• ") for line in message["pages"].splitlines()]
    assert listed == sources.pages(expected.sources, sources.register())
    assert listed and all(sources.is_official(url) for url in listed)


def test_during_the_look_up_the_official_sites_and_3939_not_the_press():
    # The file-status topic rests on press articles only (knowledge/check_file_status.yml).
    topic = sources.topics()["utter_check_file_status"]
    assert not any(sources.is_official(url) for url in sources.pages(topic.sources, sources.register()))
    messages = source_reply([bot("utter_ask_tadamon"), started("file_status_form")], "file_status_form")
    assert [m["response"] for m in messages] == [sources.GENERAL]


def test_during_a_form_a_side_answer_given_since_it_started_is_the_one_asked_about():
    events = [started("eligibility_form"), bot("utter_ask_profession"), bot("utter_ask_tadamon"),
              bot("utter_ask_profession")]
    [message] = source_reply(events, "eligibility_form")
    assert message["topic"] == sources.topics()["utter_ask_tadamon"].title["fr"]


def test_a_resumed_form_starts_again_what_counts():
    events = [started("desk_form"), bot("utter_ask_tadamon"), {"event": "active_loop", "name": None},
              started("desk_form")]
    [message] = source_reply(events, "desk_form")
    assert message["topic"] == sources.topics()["utter_find_desk"].title["fr"]


def test_every_form_has_its_topic():
    assert sorted(t.form for t in sources.topics().values() if t.form) == sorted(FORMS)


# The dialogue rules alone (tests/rule_dialogue.py, no model).

@pytest.mark.parametrize("form, start, requested", [("eligibility_form", "check_eligibility", "profession"),
                                                    ("desk_form", "find_desk", "city"),
                                                    ("file_status_form", "check_file_status", "member_identifier")])
def test_rules_source_during_a_form_then_the_question_once_then_a_second_side_turn_lets_go(form, start, requested):
    from tests.rule_dialogue import RuleDialogue

    dialogue = RuleDialogue()
    assert dialogue.say(start, requested=requested) == [form]
    assert dialogue.say("ask_source", requested=requested) == ["action_answer_source", "action_note_side_turn", form]
    assert dialogue.active_loop == form
    assert dialogue.say("ask_source") == [
        "action_answer_source", "action_note_side_turn", "action_deactivate_loop", f"utter_resume_{form}"]
    assert dialogue.active_loop is None
