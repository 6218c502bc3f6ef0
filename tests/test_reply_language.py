import pytest
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.server.policies import ReplyLanguagePolicy, reply_language


@pytest.mark.parametrize(
    "current, chosen, detected, expected",
    [
        (None, None, None, "fr"),  # first message unclear: the default
        (None, None, "dar", "dar"),
        ("fr", None, "ar", "ar"),  # follows the latest message
        ("dar", None, None, "dar"),  # unclear message keeps the previous language
        ("fr", "ar", "fr", "ar"),  # an explicit choice sticks
        ("ar", "ar", "dar", "ar"),
        ("ar", "fr", None, "fr"),
    ],
)
def test_reply_language(current, chosen, detected, expected):
    assert reply_language(current, chosen, detected) == expected


DOMAIN = Domain.from_yaml(
    """
version: "3.1"
slots:
  language: {type: categorical, values: [fr, ar, dar], influence_conversation: false, mappings: [{type: custom}]}
  language_choice: {type: categorical, values: [fr, ar, dar], influence_conversation: false, mappings: [{type: custom}]}
"""
)


@pytest.fixture
def policy(tmp_path):
    return ReplyLanguagePolicy.create(
        ReplyLanguagePolicy.get_default_config(),
        LocalModelStorage(tmp_path),
        Resource("reply_language"),
        ExecutionContext(GraphSchema({})),
    )


def tracker(*events):
    return DialogueStateTracker.from_events("member", list(events), slots=DOMAIN.slots)


def said(text, language):
    return UserUttered(text, {"name": "greet", "confidence": 1.0}, parse_data={"language": {"reply": language}})


def test_policy_sets_the_slot_and_never_predicts_an_action(policy):
    prediction = policy.predict_action_probabilities(tracker(said("salam", "dar")), DOMAIN)
    assert prediction.events == [SlotSet("language", "dar")]
    assert prediction.max_confidence == 0.0


def test_policy_sets_nothing_when_the_slot_is_already_right(policy):
    events = [SlotSet("language", "dar"), said("salam", "dar")]
    assert policy.predict_action_probabilities(tracker(*events), DOMAIN).events == []


@pytest.mark.parametrize(
    "current, text, detected, expected",
    [
        ("dar", "لا", "ar", []),  # a bare answer both write keeps the Darija conversation in Darija
        ("ar", "إيه", "dar", []),
        ("dar", "لا، ماشي صحيح أخويا", "ar", [SlotSet("language", "ar")]),  # a sentence says its register
        ("fr", "لا", "ar", [SlotSet("language", "ar")]),  # a change of script is always followed
        (None, "لا", "ar", [SlotSet("language", "ar")]),
    ],
)
def test_one_arabic_script_word_keeps_the_register(policy, current, text, detected, expected):
    events = [SlotSet("language", current), said(text, detected)] if current else [said(text, detected)]
    assert policy.predict_action_probabilities(tracker(*events), DOMAIN).events == expected


def test_policy_follows_an_explicit_choice(policy):
    events = [SlotSet("language", "fr"), SlotSet("language_choice", "ar"), said("bonjour", "fr")]
    assert policy.predict_action_probabilities(tracker(*events), DOMAIN).events == [SlotSet("language", "ar")]
