"""Short answers to a form's question get the intent the training data gives them.

The classifiers learn from whole sentences; a bare one-word answer carries too little
for them: "la" (Arabizi "no") came out `inform` 0.48 against `deny` 0.17, a bare
"Rabat" `affirm` 0.34, though both are written, with their label, in the training data.
Three cases are decided here instead, after every other classifier:
- the message, once normalised like the training examples, *is* a training example
  with one label: that label;
- the message is nothing but entities of the configured types (a city, an identifier, a
  date, a score): `inform`, as every such example in the training data is labelled;
- the message is one code shaped like a CIN that no entity pattern accepts ("AB12", too
  short): `inform` too, so that the form explains what is wrong with it rather than the
  classifiers guessing a topic from two letters.
Anything else keeps the classifiers' verdict.
"""
from __future__ import annotations

import json
import re
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.shared.identifiers import cin_shaped

ANSWER_INTENT = "inform"
_LEFT_OVER = re.compile(r"\w", re.UNICODE)


def example_key(message: Message) -> Optional[str]:
    """The message's normalised words (normalizers.py rewrote them in place).

    The Arabic-script twins that ArabiziTransliterator adds (same span as their word)
    are left out: a training example labelled Arabizi gets them, but a bare "la" is too
    short for the language identifier to call Arabizi at run time, so it gets none."""
    words, spans = [], set()
    for token in message.get(TOKENS_NAMES[TEXT]) or []:
        if (token.start, token.end) not in spans:
            spans.add((token.start, token.end))
            words.append(token.text.lower())
    return " ".join(words) or None


def only_entities(text: str, entities: List[Dict[str, Any]], types: List[str]) -> bool:
    """True when the entities of `types` cover every letter and digit of `text`."""
    spans = [(e["start"], e["end"]) for e in entities if e.get("entity") in types]
    if not spans:
        return False
    rest = list(text)
    for start, end in spans:
        rest[start:end] = " " * (end - start)
    return not _LEFT_OVER.search("".join(rest))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class ShortAnswerClassifier(GraphComponent):
    """Exact training examples and entity-only messages (see the module docstring)."""

    _FILE = "examples.json"

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"answer_entities": ["cin", "immatriculation", "birth_date", "profession", "city", "rsu_score"]}

    def __init__(
        self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource, labels: Dict[str, str]
    ) -> None:
        self._config, self._model_storage, self._resource, self._labels = config, model_storage, resource, labels

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "ShortAnswerClassifier":
        return cls(config, model_storage, resource, {})

    def train(self, training_data: TrainingData) -> Resource:
        seen: Dict[str, set] = {}
        for message in training_data.intent_examples:
            key = example_key(message)
            if key:
                seen.setdefault(key, set()).add(message.get(INTENT))
        # A text written under two intents decides nothing.
        self._labels = {key: next(iter(intents)) for key, intents in seen.items() if len(intents) == 1}
        with self._model_storage.write_to(self._resource) as directory:
            (directory / self._FILE).write_text(json.dumps(self._labels, ensure_ascii=False), encoding="utf-8")
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "ShortAnswerClassifier":
        with model_storage.read_from(resource) as directory:
            labels = json.loads((directory / cls._FILE).read_text(encoding="utf-8"))
        return cls(config, model_storage, resource, labels)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if text.startswith("/"):
                continue  # a button payload names its intent
            intent = self._labels.get(example_key(message) or "")
            how = "training example"
            if intent is None and only_entities(text, message.get(ENTITIES) or [], self._config["answer_entities"]):
                intent, how = ANSWER_INTENT, "entities only"
            if intent is None and cin_shaped(text):
                intent, how = ANSWER_INTENT, "identifier-shaped"
            if intent is None:
                continue
            ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != intent]
            message.set(INTENT, {"name": intent, "confidence": 1.0}, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [message.get(INTENT), *ranking], add_to_output=True)
            # In the parse output: analysts and tests see why the classifiers were overruled.
            message.set("short_answer", how, add_to_output=True)
        return messages
