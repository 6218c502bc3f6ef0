"""A form that lets go (data/rules.yml; bot/tools/knowledge.py `rules()`).

`action_note_side_turn` runs after an answer given while a form waits for the answer
to its question. It says nothing; it sets `form_side_turn` to "first" or "second",
and the rules then either let the form ask its question once more ("first") or end
the form quietly with one button that resumes it ("second": the member's previous
message was already unrelated to the question).

The rules cannot tell these apart themselves: once a form accepts an answer, Rasa
drops that turn from the history the rules see (DialogueStateTracker.applied_events),
so "a side question, an answer, a side question" would look like two side questions
in a row. This action reads the whole event list instead.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

SIDE_TURN_SLOT = "form_side_turn"
ACTION_NAME = "action_note_side_turn"


def side_turn(events: List[Dict[Text, Any]]) -> str:
    """"second" when the turn before the latest user message was also a side turn."""
    users = [index for index, event in enumerate(events) if event.get("event") == "user"]
    if len(users) < 2:
        return "first"
    previous_turn = events[users[-2] + 1 : users[-1]]
    noted = any(e.get("event") == "action" and e.get("name") == ACTION_NAME for e in previous_turn)
    return "second" if noted else "first"


class ActionNoteSideTurn(Action):
    def name(self) -> Text:
        return ACTION_NAME

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        return [SlotSet(SIDE_TURN_SLOT, side_turn(tracker.events))]
