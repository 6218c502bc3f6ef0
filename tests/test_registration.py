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
    assert replied(conversation.say("ما هي خطوات التسجيل في أمو تضامن؟"), "utter_registration_tadamon", "ar")


def test_how_to_register_with_no_group_gets_the_overview(conversation):
    assert replied(conversation.say("Comment s'inscrire à l'AMO ?"), "utter_ask_registration_steps", "fr")


# The dialogue rules alone (RulePolicy trained on data/rules.yml and the generated
# knowledge rules, no NLU model): which action follows which turn.
@pytest.fixture(scope="module")
def next_action():
    import pathlib
    import tempfile

    import numpy as np
    from rasa.core.policies.rule_policy import RulePolicy
    from rasa.engine.graph import ExecutionContext
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.core.events import ActionExecuted
    from rasa.shared.core.generator import TrainingDataGenerator
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.shared.importers.importer import TrainingDataImporter
    from tests.conftest import ROOT

    importer = TrainingDataImporter.load_from_dict(
        domain_path=str(ROOT / "domain"),
        training_data_paths=[str(ROOT / "data" / "rules.yml"), str(ROOT / "data" / "knowledge_rules.yml")],
    )
    domain = importer.get_domain()
    trackers = TrainingDataGenerator(importer.get_stories(), domain, augmentation_factor=0,
                                     use_story_concatenation=False).generate()
    policy = RulePolicy.create(RulePolicy.get_default_config(), LocalModelStorage(pathlib.Path(tempfile.mkdtemp())),
                               Resource("rules"), ExecutionContext(None))
    policy.train(trackers, domain)  # fails on contradicting rules

    def predict(events):
        start = [ActionExecuted("action_session_start"), ActionExecuted("action_listen")]
        tracker = DialogueStateTracker.from_events("t", start + events, domain.slots)
        probabilities = policy.predict_action_probabilities(tracker, domain).probabilities
        return domain.action_names_or_texts[int(np.argmax(probabilities))]

    return predict


def said(intent, **entities):
    from rasa.shared.core.events import UserUttered

    return UserUttered("x", {"name": intent, "confidence": 1.0},
                       [{"entity": e, "value": v, "start": 0, "end": 1} for e, v in entities.items()])


def test_how_to_register_right_after_the_outcome_runs_the_group_action(next_action):
    from rasa.shared.core.events import ActionExecuted, ActiveLoop, SlotSet

    events = [said("check_eligibility", profession="salaried"), ActionExecuted("eligibility_form"),
              ActiveLoop("eligibility_form"), SlotSet("requested_slot", None), ActiveLoop(None),
              ActionExecuted("action_eligibility_result"), ActionExecuted("action_listen"), said("ask_registration_steps")]
    assert next_action(events) == "action_registration_steps"


@pytest.mark.parametrize(
    "entities, action",
    [({"registration_group": "tadamon"}, "action_registration_steps"), ({"profession": "student"}, "action_registration_steps"),
     ({}, "utter_ask_registration_steps")],
)
def test_a_group_named_in_the_question_runs_the_group_action_else_the_overview(next_action, entities, action):
    assert next_action([said("ask_registration_steps", **entities)]) == action


def test_source_after_an_answer_and_during_the_check(next_action):
    from rasa.shared.core.events import ActionExecuted, ActionExecutionRejected, ActiveLoop, SlotSet

    answered = [said("ask_tadamon"), ActionExecuted("utter_ask_tadamon"), ActionExecuted("utter_ask_helpful"),
                ActionExecuted("action_listen"), said("ask_source")]
    assert next_action(answered) == "action_answer_source"
    in_form = [said("check_eligibility"), ActionExecuted("eligibility_form"), ActiveLoop("eligibility_form"),
               SlotSet("requested_slot", "profession"), ActionExecuted("action_listen"), said("ask_source"),
               ActionExecutionRejected("eligibility_form")]
    assert next_action(in_form) == "action_answer_source"
    # A side turn like the others (data/rules.yml): noted, then the question once more.
    answered_in_form = in_form + [ActionExecuted("action_answer_source")]
    assert next_action(answered_in_form) == "action_note_side_turn"
    noted = [ActionExecuted("action_note_side_turn"), SlotSet("form_side_turn", "first")]
    assert next_action(answered_in_form + noted) == "eligibility_form"


def test_an_employment_said_with_no_question_starts_the_check(next_action):
    assert next_action([said("inform", employment="self_employed")]) == "eligibility_form"
