"""The dialogue as the rules decide it, without a trained model: Rasa's RulePolicy
(the only dialogue policy in config.yml) trained in-process on data/ and domain/, and
a small loop that plays turns from intents.

It plays what the real dialogue manager does around the rules: a form predicted right
after a message it cannot use is rejected (ActionExecutionRejected), so the rules
decide; a form that runs sets its requested slot (or ends when told to);
action_deactivate_loop ends the loop; action_note_side_turn runs its real code
(actions/form_turns.py). Everything else is only recorded. Training takes a minute or
two on this machine, once per test session.
"""
from __future__ import annotations

import functools
import tempfile
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np
from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.events import ActionExecuted, ActionExecutionRejected, ActiveLoop, SlotSet, UserUttered
from rasa.shared.core.generator import TrainingDataGenerator
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.importers.importer import TrainingDataImporter

from actions.form_turns import ACTION_NAME as SIDE_TURN, SIDE_TURN_SLOT, side_turn
from tests.helpers import ROOT

# Intents a form takes as an answer to its question (the slot mappings of domain/core.yml).
ANSWERS = {"inform", "affirm", "deny", "dont_know"}


@functools.lru_cache(maxsize=1)
def trained():
    importer = TrainingDataImporter.load_from_config(
        str(ROOT / "config.yml"), str(ROOT / "domain"), [str(ROOT / "data")]
    )
    domain = importer.get_domain()
    trackers = TrainingDataGenerator(
        importer.get_stories(), domain, augmentation_factor=0, use_story_concatenation=False
    ).generate()
    storage = LocalModelStorage(Path(tempfile.mkdtemp(prefix="rules-")))
    config = {**RulePolicy.get_default_config(), "core_fallback_threshold": 0.3,
              "core_fallback_action_name": "utter_please_rephrase"}
    policy = RulePolicy.create(config, storage, Resource("rules"), ExecutionContext(GraphSchema({}), "rules"))
    policy.train(trackers, domain)
    return policy, domain


class RuleDialogue:
    """One conversation; `say(intent)` returns the actions the rules run for it."""

    def __init__(self) -> None:
        self.policy, self.domain = trained()
        self.tracker = DialogueStateTracker("rules", self.domain.slots)
        self.tracker.update(ActionExecuted("action_listen"))

    def say(self, intent: str, form_done: bool = False, requested: Optional[str] = None,
            entities: Optional[Dict[str, str]] = None) -> List[str]:
        """`form_done`: the form's validation fills its last slot with this message;
        `entities`: entity name -> value found in the message."""
        found = [{"entity": name, "value": value, "start": 0, "end": 1} for name, value in (entities or {}).items()]
        self.tracker.update(UserUttered(intent, {"name": intent, "confidence": 1.0}, found))
        actions: List[str] = []
        for _ in range(12):
            prediction = self.policy.predict_action_probabilities(self.tracker, self.domain)
            action = self.domain.action_names_or_texts[int(np.argmax(prediction.probabilities))]
            if action == "action_listen":
                self.tracker.update(ActionExecuted("action_listen"))
                return actions
            forms = self.domain.form_names
            if (action in forms and self.tracker.active_loop_name == action
                    and self.tracker.latest_action_name == "action_listen" and intent not in ANSWERS):
                self.tracker.update(ActionExecutionRejected(action))
                continue
            actions.append(action)
            self.tracker.update(ActionExecuted(action))
            if action in forms:
                if self.tracker.active_loop_name != action:
                    self.tracker.update(ActiveLoop(action))
                if form_done:
                    self.tracker.update(SlotSet("requested_slot", None))
                    self.tracker.update(ActiveLoop(None))
                else:
                    self.tracker.update(SlotSet("requested_slot", requested))
            elif action == "action_deactivate_loop":
                self.tracker.update(ActiveLoop(None))
                self.tracker.update(SlotSet("requested_slot", None))
            elif action == SIDE_TURN:
                events = [event.as_dict() for event in self.tracker.events]
                self.tracker.update(SlotSet(SIDE_TURN_SLOT, side_turn(events)))
        raise AssertionError(f"no action_listen after {actions}")

    @property
    def active_loop(self) -> Optional[str]:
        return self.tracker.active_loop_name
