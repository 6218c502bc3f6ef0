"""Language identification: fr, ar, dar (Darija in Arabic script), dar-latn (Arabizi).

The script (Arabic or Latin letters) decides between two pairs of languages; a
character n-gram classifier trained on the labelled NLU data (intent-level
`metadata: {language: ...}`) decides within the pair. Identifiers, dates and
numbers are left out: "BE123456" says nothing about the member's language.
"""
from __future__ import annotations

import json
import logging
import re
from dataclasses import asdict, dataclass
from typing import Any, Dict, FrozenSet, Iterable, List, Optional, Sequence, Text

import joblib
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import METADATA, METADATA_EXAMPLE, METADATA_INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.shared.languages import ARABIC_SCRIPT_INPUTS as ARABIC_SCRIPT
from bot.shared.languages import INPUT_LANGUAGES as LANGUAGES
from bot.shared.languages import PARSE_KEY, REPLY_FOR_INPUT
from bot.shared.identifiers import MONTHS
from bot.shared.text import has_arabic, normalize_arabic, normalize_latin, script_words
from bot.server.nlu.linear import ready_to_score

logger = logging.getLogger(__name__)

LATIN_SCRIPT = tuple(code for code in LANGUAGES if code not in ARABIC_SCRIPT)
# "ok", "cv", "wah": members of every language write them.
MIN_LATIN_LETTERS = 4

_NOT_LANGUAGE = re.compile(r"^(?:[a-z]{0,2}\d{3,}|[\d/.\-:]+)$", re.IGNORECASE)


@dataclass(frozen=True)
class LanguageGuess:
    """`name` is None when the message says nothing clear about its language."""

    name: Optional[str]
    confidence: float
    mixed: bool

    @property
    def reply(self) -> Optional[str]:
        return REPLY_FOR_INPUT.get(self.name) if self.name else None

    def as_dict(self) -> Dict[str, Any]:
        return {**asdict(self), "reply": self.reply}


UNCLEAR = LanguageGuess(None, 0.0, False)
ONE_WORD_UNCLEAR_BELOW = 0.9
# A date, a number or an identifier with at most this many words around it answers a
# form's question ("تزاديت 3 مارس 1979", "CIN dyali BE123456"): it never switches the
# reply language, whatever those words look like.
SHORT_REPLY_WORDS = 2


def language_text(tokens: Sequence[str]) -> str:
    """The words of a message that can tell its language."""
    return " ".join(t for t in tokens if not _NOT_LANGUAGE.match(t))


def is_short_data_reply(tokens: Sequence[str]) -> bool:
    words = [t for t in tokens if not _NOT_LANGUAGE.match(t) and t.lower() not in MONTHS]
    return len(words) < len(tokens) and len(words) <= SHORT_REPLY_WORDS


# The lookup table whose names ("Rabat", "الدار البيضاء") answer the desk form's question.
PLACES_LOOKUP = "city"


def normalised(text: str) -> str:
    """A name as the normalizers leave its words."""
    return " ".join(normalize_arabic(w) if has_arabic(w) else normalize_latin(w) for w in text.split())


def place_names(lookup_tables: Iterable[Dict[str, Any]]) -> FrozenSet[str]:
    """The city names of the lookup tables, normalised: a message that is only a place
    says nothing of its writer's language, whatever words the training data put near it."""
    names = set()
    for table in lookup_tables:
        if table.get("name") == PLACES_LOOKUP and isinstance(table.get("elements"), list):
            names.update(normalised(name) for name in table["elements"])
    return frozenset(names)


class LanguageModel:
    """Script rule plus a char n-gram classifier within each script."""

    def __init__(self, classifier: Optional[Pipeline], unclear_below: float) -> None:
        self.classifier = ready_to_score(classifier)
        self.unclear_below = unclear_below

    @classmethod
    def fit(
        cls, texts: Sequence[str], labels: Sequence[str], unclear_below: float
    ) -> "LanguageModel":
        if len(set(labels)) < 2:
            logger.warning(
                "Fewer than two labelled languages in the NLU data "
                "(intent metadata 'language'): only the script will be identified."
            )
            return cls(None, unclear_below)
        classifier = make_pipeline(
            TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True),
            LogisticRegression(C=10.0, max_iter=2000),
        )
        classifier.fit(list(texts), list(labels))
        return cls(classifier, unclear_below)

    def identify(self, text: str) -> LanguageGuess:
        arabic, latin = script_words(text)
        if arabic + latin == 0:
            return UNCLEAR
        # Members writing Darija in Arabic script slip in French nouns
        # ("كيفاش ندير l'inscription"): Arabic-script words weigh double.
        pair = ARABIC_SCRIPT if 2 * arabic >= latin else LATIN_SCRIPT
        mixed_scripts = arabic > 0 and latin > 0
        if self.classifier is None:
            return LanguageGuess(pair[0], 0.5, mixed_scripts)
        scores = dict(zip(self.classifier.classes_, self.classifier.predict_proba([text])[0]))
        in_pair = [scores.get(lang, 0.0) for lang in pair]
        total = sum(in_pair) or 1.0
        # plain floats: numpy scalars would make the tracker unserialisable
        ranked = sorted(zip((float(p) / total for p in in_pair), pair), reverse=True)
        (best_p, best), (second_p, _) = ranked
        mixed = bool(mixed_scripts or second_p >= 0.3)
        # Within Arabic script both answers are readable; a Latin message that
        # could be French or Arabizi ("ok", "AMO") keeps the previous language.
        too_short = sum(c.isalpha() for c in text) < MIN_LATIN_LETTERS
        # One Latin word is often a name ("Rabat", "Settat") answering a question:
        # it changes the language only when it is a word the classifier is sure of.
        threshold = ONE_WORD_UNCLEAR_BELOW if len(text.split()) == 1 else self.unclear_below
        if pair == LATIN_SCRIPT and (best_p < threshold or too_short):
            return LanguageGuess(None, round(best_p, 3), mixed)
        return LanguageGuess(best, round(best_p, 3), mixed)


def _label(message: Message) -> Optional[str]:
    metadata = message.get(METADATA) or {}
    for level in (METADATA_EXAMPLE, METADATA_INTENT):
        language = (metadata.get(level) or {}).get("language")
        if language in LANGUAGES:
            return language
    return None


def _tokens(message: Message) -> List[str]:
    tokens = message.get(TOKENS_NAMES[TEXT])
    return [t.text for t in tokens] if tokens else (message.get(TEXT) or "").split()


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class LanguageIdentifier(GraphComponent):
    """Labels every message fr, ar, dar or dar-latn (or unclear), and notes a mix.

    The label goes to `parse_data["language"]`; ReplyLanguagePolicy carries it
    into the `language` slot.
    """

    _FILE = "language_model.joblib"
    _PLACES_FILE = "place_names.json"

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"unclear_below": 0.6}

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: Optional[LanguageModel] = None,
        places: FrozenSet[str] = frozenset(),
    ) -> None:
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self._model = model or LanguageModel(None, config["unclear_below"])
        self._places = places

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "LanguageIdentifier":
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        texts, labels = [], []
        for message in training_data.intent_examples:
            label = _label(message)
            if label:
                texts.append(language_text(_tokens(message)))
                labels.append(label)
        self._model = LanguageModel.fit(texts, labels, self._config["unclear_below"])
        self._places = place_names(training_data.lookup_tables)
        with self._model_storage.write_to(self._resource) as directory:
            joblib.dump(self._model.classifier, directory / self._FILE)
            (directory / self._PLACES_FILE).write_text(json.dumps(sorted(self._places)), encoding="utf-8")
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "LanguageIdentifier":
        with model_storage.read_from(resource) as directory:
            classifier = joblib.load(directory / cls._FILE)
            places = frozenset(json.loads((directory / cls._PLACES_FILE).read_text(encoding="utf-8")))
        return cls(
            config, model_storage, resource, LanguageModel(classifier, config["unclear_below"]), places
        )

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            tokens = _tokens(message)
            place = " ".join(tokens) in self._places
            guess = UNCLEAR if place or is_short_data_reply(tokens) else self._model.identify(language_text(tokens))
            message.set(PARSE_KEY, guess.as_dict(), add_to_output=True)
        return messages
