"""Graph components that normalise token texts in place.

They run right after the tokenizer and rewrite only `Token.text`; token offsets
keep pointing into the raw message, so entity spans stay correct.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.constants import METADATA, METADATA_INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.shared.languages import PARSE_KEY
from bot.shared.text import arabizi_to_arabic, has_arabic, normalize_arabic, normalize_latin


class _TokenNormalizer(GraphComponent):
    """Applies `normalize` to the tokens for which `applies_to` holds."""

    applies_to: Callable[[str], bool]
    normalize: Callable[[str], str]

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> GraphComponent:
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            tokens = message.get(TOKENS_NAMES[TEXT])
            if not tokens:
                continue
            for token in tokens:
                if type(self).applies_to(token.text):
                    token.text = type(self).normalize(token.text)
            kept = [token for token in tokens if token.text]
            # A message made only of invisible marks keeps its tokens: featurizers
            # and the classifiers expect at least one.
            if kept:
                message.set(TOKENS_NAMES[TEXT], kept)
        return messages


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False
)
class ArabicNormalizer(_TokenNormalizer):
    """Diacritics, tatweel, alef/hamza forms, alef maqsura, taa marbuta, digits."""

    applies_to = staticmethod(has_arabic)
    normalize = staticmethod(normalize_arabic)


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False
)
class LatinNormalizer(_TokenNormalizer):
    """Case, French accents, squeezed repeats, SMS forms; Arabizi digits kept."""

    applies_to = staticmethod(lambda token: not has_arabic(token))
    normalize = staticmethod(normalize_latin)


ARABIZI = "dar-latn"


def _written_in_arabizi(message: Message) -> bool:
    """Training examples say their language; at run time the identifier guessed it."""
    label = ((message.get(METADATA) or {}).get(METADATA_INTENT) or {}).get("language")
    guess = (message.get(PARSE_KEY) or {}).get("name")
    return (label or guess) == ARABIZI


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False
)
class ArabiziTransliterator(_TokenNormalizer):
    """Gives every word of an Arabizi message an Arabic-script twin token.

    Darija is one language in two scripts: "kifach nkhelless" and "كيفاش نخلص" are
    the same question. The twins (same offsets as their word, so entities are
    untouched) let what the model learns from either script serve the other. Placed
    after the LanguageIdentifier, whose guess says which messages are Arabizi."""

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            tokens = message.get(TOKENS_NAMES[TEXT])
            if not tokens or not _written_in_arabizi(message):
                continue
            twins = [Token(twin, t.start, t.end) for t in tokens if (twin := arabizi_to_arabic(t.text))]
            message.set(TOKENS_NAMES[TEXT], [*tokens, *twins])
        return messages
