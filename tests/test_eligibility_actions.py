"""The eligibility and desk actions, with rasa_sdk trackers (no server)."""
import asyncio

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.desk_form import ActionFindDesk, ValidateDeskForm
from actions.eligibility_form import ActionEligibilityResult, ValidateEligibilityForm


def tracker(slots=None, intent="inform", events=None) -> Tracker:
    return Tracker(
        sender_id="test",
        slots={"language": "dar", "requested_slot": None, **(slots or {})},
        latest_message={"intent": {"name": intent, "confidence": 0.9}, "entities": [], "text": "x"},
        events=events or [],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def run(coroutine):
    return asyncio.run(coroutine)


FORM_SLOTS = ["profession", "employment", "pays_cpu", "covered_as_dependant", "rsu_score"]


def required(slots):
    return run(ValidateEligibilityForm().required_slots(FORM_SLOTS, CollectingDispatcher(), tracker(slots), {}))


@pytest.mark.parametrize(
    "slots, expected",
    [
        ({"profession": "trader"}, ["profession", "pays_cpu"]),
        ({"profession": "student"}, ["profession", "covered_as_dependant"]),
        ({"profession": "no_activity"}, ["profession", "covered_as_dependant"]),
        ({"profession": "no_activity", "covered_as_dependant": "no"}, ["profession", "covered_as_dependant", "rsu_score"]),
        ({"profession": "maybe_driver"}, ["profession", "employment"]),
        ({"profession": "maybe_artisan", "employment": "self_employed"}, ["profession", "employment", "pays_cpu"]),
        ({"profession": "salaried"}, ["profession"]),
        ({"employment": "salaried"}, ["employment"]),
        ({}, ["profession"]),
        ({"profession": "astronaut"}, ["profession"]),
    ],
)
def test_the_form_asks_only_the_questions_the_rules_need(slots, expected):
    assert required(slots) == expected


def test_the_form_asks_the_missing_question_last():
    # Rasa asks the first required slot that is empty: the one the rules still need.
    slots = {"profession": "no_activity", "covered_as_dependant": "unknown"}
    listed = required(slots)
    assert [slot for slot in listed if slot not in slots] == ["rsu_score"]


def test_an_unknown_profession_is_refused_with_an_explanation():
    dispatcher = CollectingDispatcher()
    result = ValidateEligibilityForm().validate_profession("astronaut", dispatcher, tracker(), {})
    assert result == {"profession": None}
    assert [m["response"] for m in dispatcher.messages] == ["utter_profession_not_recognised"]


def test_a_known_profession_is_kept_silently():
    dispatcher = CollectingDispatcher()
    assert ValidateEligibilityForm().validate_profession("farmer", dispatcher, tracker(), {}) == {"profession": "farmer"}
    assert dispatcher.messages == []


def typed(text, requested="rsu_score", slots=None):
    t = Tracker(
        sender_id="test",
        slots={"language": "fr", "requested_slot": requested, **(slots or {})},
        latest_message={"intent": {"name": "inform", "confidence": 0.9}, "entities": [], "text": text},
        events=[], paused=False, followup_action=None,
        active_loop={"name": "eligibility_form"}, latest_action_name="action_listen",
    )
    return run(ValidateEligibilityForm().extract_rsu_score(CollectingDispatcher(), t, {}))


@pytest.mark.parametrize("text, expected", [("9,1", {"rsu_score": "at_or_below"}), ("mon score est 10.5", {"rsu_score": "above"}), ("aucune idée", {})])
def test_a_typed_score_fills_the_score_when_it_was_asked(text, expected):
    assert typed(text) == expected


def test_a_number_said_to_another_question_is_not_a_score():
    assert typed("9,1", requested="profession") == {}
    assert typed("10,1", slots={"rsu_score": "at_or_below"}) == {}


@pytest.mark.parametrize(
    "slots, response, outcome",
    [
        ({"profession": "trader", "pays_cpu": "yes"}, "utter_eligibility_tns_cpu", "tns_cpu"),
        ({"profession": "no_activity", "covered_as_dependant": "no", "rsu_score": "at_or_below"}, "utter_eligibility_tadamon", "tadamon"),
        ({"profession": "no_activity", "covered_as_dependant": "yes"}, "utter_eligibility_covered_as_dependant", "covered_as_dependant"),
        ({"profession": "retired", "employment": "public"}, "utter_eligibility_retired_public", "retired_public"),
        ({"profession": "retired"}, "utter_eligibility_retired", "retired"),
        ({"profession": None}, "utter_check_eligibility", None),
    ],
)
def test_the_result_names_the_scheme_and_clears_the_answers(slots, response, outcome):
    dispatcher = CollectingDispatcher()
    events = run(ActionEligibilityResult().run(dispatcher, tracker(slots), {}))
    assert [m["response"] for m in dispatcher.messages] == [response]
    assert events == [SlotSet(slot, None) for slot in FORM_SLOTS[1:]] + [SlotSet("eligibility_outcome", outcome)]


@pytest.mark.parametrize(
    "language, city, response, desk",
    [
        ("dar", "Berrechid", "utter_desk_nearest", "الملحقة ديال الغرفة ف سطات"),
        ("fr", "casablanca", "utter_desk_nearest", "le siège de la Chambre de commerce, à Casablanca"),
        ("ar", "Rabat", "utter_desk_outside_region", None),
    ],
)
def test_the_desk_answer_names_the_nearest_desk_in_the_members_language(language, city, response, desk):
    dispatcher = CollectingDispatcher()
    events = run(ActionFindDesk().run(dispatcher, tracker({"city": city, "language": language}), {}))
    assert dispatcher.messages[0]["response"] == response
    assert dispatcher.messages[0].get("desk") == desk
    assert events == []


def test_an_unlisted_city_gets_the_general_answer_and_is_not_remembered():
    dispatcher = CollectingDispatcher()
    events = run(ActionFindDesk().run(dispatcher, tracker({"city": "other"}), {}))
    assert dispatcher.messages[0]["response"] == "utter_find_desk"
    assert events == [SlotSet("city", None)]


@pytest.mark.parametrize("intent, expected", [("inform", {"city": "other"}), ("dont_know", {"city": "other"}), ("ask_tadamon", {})])
def test_an_answer_without_a_known_city_is_taken_as_another_city(intent, expected):
    form = ValidateDeskForm()
    result = run(form.extract_city(CollectingDispatcher(), tracker({"requested_slot": "city"}, intent=intent), {}))
    assert result == expected
