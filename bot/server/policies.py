"""Dialogue policies of our own."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from bot.shared.languages import (ARABIC_SCRIPT_INPUTS, DEFAULT_REPLY_LANGUAGE, LANGUAGE_CHOICE_SLOT, LANGUAGE_SLOT,
                                  PARSE_KEY, REPLY_FOR_INPUT)

ARABIC_SCRIPT_REPLIES = frozenset(REPLY_FOR_INPUT[code] for code in ARABIC_SCRIPT_INPUTS)


def reply_language(
    current: Optional[str], chosen: Optional[str], detected: Optional[str]
) -> str:
    """The language to answer in: the member's explicit choice sticks; otherwise
    the language of their latest message; an unclear message keeps the current one."""
    return chosen or detected or current or DEFAULT_REPLY_LANGUAGE


def detected_reply(current: Optional[str], detected: Optional[str], text: str) -> Optional[str]:
    """The reply language the latest message asks for, None when it says nothing.

    MSA and Darija share their bare answers: a Darija speaker answers "لا" as an MSA
    one does (the identifier gave it ar 0.94 mid-Darija). One word in Arabic script
    therefore keeps a conversation already in one of the two where it is."""
    if current in ARABIC_SCRIPT_REPLIES and detected in ARABIC_SCRIPT_REPLIES and len(text.split()) == 1:
        return None
    return detected


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class ReplyLanguagePolicy(Policy):
    """Keeps the `language` slot equal to the reply language.

    It never predicts an action (all probabilities are 0); Rasa applies the
    `events` of every policy's prediction, so the slot is set in-process, before
    the next response is generated, with no call to the action server.
    """

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # below every Rasa policy: it never predicts an action anyway
        return {"priority": 0}

    def train(
        self,
        training_trackers: List[TrackerWithCachedStates],
        domain: Domain,
        **kwargs: Any,
    ) -> Resource:
        with self._model_storage.write_to(self._resource):
            pass
        return self._resource

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[Text, Any]] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        parse_data = tracker.latest_message.parse_data if tracker.latest_message else {}
        current = tracker.get_slot(LANGUAGE_SLOT)
        text = (tracker.latest_message.text if tracker.latest_message else None) or ""
        detected = detected_reply(current, (parse_data.get(PARSE_KEY) or {}).get("reply"), text)
        language = reply_language(current, tracker.get_slot(LANGUAGE_CHOICE_SLOT), detected)
        events = [] if language == current else [SlotSet(LANGUAGE_SLOT, language)]
        return self._prediction(self._default_predictions(domain), events=events)

    def _metadata(self) -> Dict[Text, Any]:
        return {}

    @classmethod
    def _metadata_filename(cls) -> Text:
        return "reply_language_policy"
