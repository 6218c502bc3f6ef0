"""Linear models over n-grams: the features the domain gate and the intent classifier share,
and how they score without copying their weights.

scikit-learn scores `X @ coef_.T`. With `coef_` in its usual row-major order the
transpose is column-major, and scipy copies it into row-major order for every sparse
product: the whole weight matrix (every intent times every n-gram) for each message,
about half of an NLU parse (2026-12-01, profile of 257 held-out messages). Stored
column-major, its transpose is already row-major and nothing is copied. The scores are
the same; only the memory layout changes, after loading (a trained model is unchanged)."""
from __future__ import annotations

from typing import Any, Dict, Optional, Text

import joblib
import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline


def token_text(message: Message) -> str:
    """The normalised tokens (the normalizers rewrote them in place, the transliterator
    added Arabic-script twins to Arabizi), else the text."""
    tokens = message.get(TOKENS_NAMES[TEXT])
    return " ".join(t.text for t in tokens) if tokens else (message.get(TEXT) or "").lower()


def ngram_model(estimator: Any) -> Pipeline:
    """TF-IDF character and word n-grams of the normalised tokens, then `estimator` (a
    linear model: the gate's logistic regression, the intent classifier's SVM).

    Sublinear, length-normalised weights rather than raw counts: a long message (context,
    then the question) otherwise scores as the sum of every word of its context."""
    features = FeatureUnion(
        [
            # Spelling varies more than words in Darija: character n-grams carry it.
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True)),
            ("words", TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, token_pattern=r"\S+")),
        ]
    )
    return Pipeline([("features", features), ("model", estimator)])


def without_weight_copies(model: Any) -> Any:
    """The same fitted linear model (or a Pipeline ending in one), its weights laid out
    column-major; an unfitted model or None is returned as it is."""
    estimator = model.steps[-1][1] if isinstance(model, Pipeline) else model
    coefficients = getattr(estimator, "coef_", None)
    if coefficients is not None:
        estimator.coef_ = np.asfortranarray(coefficients)
    return model


class NgramClassifierComponent(GraphComponent):
    """A graph component around one fitted n-gram Pipeline, saved with the model
    (`_FILE`) and laid out for scoring when made; None when nothing was trained."""

    _FILE: str

    def __init__(
        self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource, classifier: Optional[Pipeline]
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage, self._resource = model_storage, resource
        self._classifier = without_weight_copies(classifier)

    @classmethod
    def create(
        cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource, execution_context: ExecutionContext
    ) -> "NgramClassifierComponent":
        return cls(config, model_storage, resource, None)

    def _save(self, classifier: Optional[Pipeline]) -> Resource:
        self._classifier = without_weight_copies(classifier)
        with self._model_storage.write_to(self._resource) as directory:
            joblib.dump(self._classifier, directory / self._FILE)
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "NgramClassifierComponent":
        try:
            with model_storage.read_from(resource) as directory:
                classifier = joblib.load(directory / cls._FILE)
        except ValueError:  # nothing was persisted for this component
            classifier = None
        return cls(config, model_storage, resource, classifier)
