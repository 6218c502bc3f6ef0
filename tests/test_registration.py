"""Registration steps per group (actions/registration.py, knowledge/registration/)."""
import asyncio

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import eligibility, registration
from bot.tools import knowledge
from tests.helpers import DOMAIN, replied


@pytest.mark.parametrize("group", registration.GROUPS)
def test_every_group_has_its_steps_with_sources(group):
    answers = knowledge.load_topics(knowledge.KNOWLEDGE_DIR / "registration")
    assert f"registration_{group}" in answers
    assert f"utter_registration_{group}" in DOMAIN.responses


def test_no_steps_file_is_left_without_a_group():
    answers = knowledge.load_topics(knowledge.KNOWLEDGE_DIR / "registration")
    assert set(answers) == {f"registration_{group}" for group in registration.GROUPS}


@pytest.mark.parametrize("outcome", eligibility.OUTCOMES)
def test_every_eligibility_outcome_leads_to_steps_an_answer_or_the_question(outcome):
    response = registration.response_for([], outcome=outcome)
    assert response in DOMAIN.responses
    if outcome in registration.GROUP_OF_OUTCOME:
        assert response == f"utter_registration_{registration.GROUP_OF_OUTCOME[outcome]}"


@pytest.mark.parametrize(
    "said, outcome, profession, response",
    [
        ([("registration_group", "tadamon")], "achamil", None, "utter_registration_tadamon"),
        ([("profession", "trader")], None, None, "utter_registration_tns_listed"),
        ([("profession", "farmer")], None, None, "utter_registration_tns_unlisted"),
        ([("profession", "public_servant")], None, None, "utter_eligibility_public_servant"),
        ([("employment", "salaried")], None, None, "utter_registration_salaried"),
        ([("profession", "maybe_driver")], "tns_cpu", None, registration.ASK_GROUP),
        ([], "tns_cpu", "trader", "utter_registration_tns_listed"),
        ([], "covered_as_dependant", "no_activity", "utter_eligibility_covered_as_dependant"),
        ([], None, "student", "utter_registration_student"),
        ([], None, None, registration.ASK_GROUP),
        ([], "employment_unsure", "maybe_driver", registration.ASK_GROUP),
    ],
)
def test_the_group_said_now_wins_then_the_eligibility_outcome_then_the_profession(said, outcome, profession, response):
    assert registration.response_for(said, outcome, profession) == response


def test_the_action_reads_this_messages_entities_and_the_slots():
    tracker = Tracker("t", {"language": "dar", "eligibility_outcome": "tadamon", "profession": "no_activity"},
                      {"intent": {"name": "ask_registration_steps"}, "entities": [{"entity": "city", "value": "Settat"}], "text": "x"},
                      [], False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    asyncio.run(registration.ActionRegistrationSteps().run(dispatcher, tracker, {}))
    assert [m["response"] for m in dispatcher.messages] == ["utter_registration_tadamon"]


def test_the_group_question_fits_one_whatsapp_list():
    for variation in DOMAIN.responses[registration.ASK_GROUP]:
        assert len(variation["buttons"]) == len(registration.GROUPS) <= 10
        assert all(len(button["title"]) <= 20 for button in variation["buttons"])


# Through the trained model.
def test_how_to_register_after_the_eligibility_outcome_gives_that_groups_steps(conversation):
    conversation.say("ana mol hanout, wach ana m3ni b AMO?")
    conversation.say("/deny")
    assert replied(conversation.say("kifach ntsjjel?"), "utter_registration_tns_listed", "dar")


def test_how_to_register_for_tadamon_in_arabic(conversation):
    assert replied(conversation.say("كيف أسجل في أمو تضامن؟"), "utter_registration_tadamon", "ar") or \
        replied(conversation.say("ما هي خطوات التسجيل في تضامن؟"), "utter_registration_tadamon", "ar")


def test_how_to_register_with_no_group_gets_the_overview(conversation):
    assert replied(conversation.say("Comment s'inscrire à l'AMO ?"), "utter_ask_registration_steps", "fr")
