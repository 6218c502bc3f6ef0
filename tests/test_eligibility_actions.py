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


@pytest.mark.parametrize(
    "profession, required",
    [
        ("trader", ["profession", "pays_cpu"]),
        ("student", ["profession", "parent_insured"]),
        ("no_activity", ["profession", "can_pay"]),
        ("salaried", ["profession"]),
        (None, ["profession"]),
        ("astronaut", ["profession"]),
    ],
)
def test_the_form_asks_only_the_question_the_category_needs(profession, required):
    form = ValidateEligibilityForm()
    slots = run(form.required_slots(["profession", "pays_cpu", "can_pay", "parent_insured"], CollectingDispatcher(), tracker({"profession": profession}), {}))
    assert slots == required


def test_an_unknown_profession_is_refused_with_an_explanation():
    dispatcher = CollectingDispatcher()
    result = ValidateEligibilityForm().validate_profession("astronaut", dispatcher, tracker(), {})
    assert result == {"profession": None}
    assert [m["response"] for m in dispatcher.messages] == ["utter_profession_not_recognised"]


def test_a_known_profession_is_kept_silently():
    dispatcher = CollectingDispatcher()
    assert ValidateEligibilityForm().validate_profession("farmer", dispatcher, tracker(), {}) == {"profession": "farmer"}
    assert dispatcher.messages == []


@pytest.mark.parametrize(
    "slots, response",
    [
        ({"profession": "trader", "pays_cpu": "yes"}, "utter_eligibility_tns_cpu"),
        ({"profession": "no_activity", "can_pay": "no"}, "utter_eligibility_tadamon"),
        ({"profession": "retired"}, "utter_eligibility_retired"),
        ({"profession": None}, "utter_check_eligibility"),
    ],
)
def test_the_result_names_the_scheme_and_clears_the_follow_up_answers(slots, response):
    dispatcher = CollectingDispatcher()
    events = run(ActionEligibilityResult().run(dispatcher, tracker(slots), {}))
    assert [m["response"] for m in dispatcher.messages] == [response]
    assert events == [SlotSet("can_pay", None), SlotSet("parent_insured", None), SlotSet("pays_cpu", None)]


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
