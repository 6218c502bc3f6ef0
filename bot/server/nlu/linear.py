"""Linear models over n-grams: the features the domain gate and the intent classifier share,
and how they score a message without redoing work scikit-learn repeats on every call.

scikit-learn scores `X @ coef_.T`. With `coef_` in its usual row-major order the
transpose is column-major, and scipy copies it into row-major order for every sparse
product: the whole weight matrix (every intent times every n-gram) for each message,
about half of an NLU parse (2026-12-01, profile of 257 held-out messages). Stored
column-major, its transpose is already row-major and nothing is copied. The scores are
the same; only the memory layout changes, after loading (a trained model is unchanged).

scikit-learn 1.1 (the release Rasa 3.6 allows) derives a TF-IDF vectorizer's `idf_` from
its diagonal matrix each time it is read, and reads it on every transform to check that it
is fitted: a sum over the whole vocabulary for each message, 0.2-0.3 ms per vectorizer and
five vectorizers per parse (2026-12-02). Our models compute it once, when made or loaded
(`StoredIdfTransformer`); scikit-learn 1.3 stores it the same way."""
from __future__ import annotations

from typing import Any, Dict, Iterator, Optional, Text

import joblib
import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from sklearn.feature_extraction.text import TfidfTransformer, TfidfVectorizer
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


def ready_to_score(model: Any) -> Any:
    """The same fitted model (a Pipeline, or an estimator), laid out to score a message with
    less work: weights column-major, idf vectors stored. None is returned as it is."""
    for vectorizer in _tfidf_vectorizers(model):
        fitted = getattr(vectorizer, "_tfidf", None)
        if type(fitted) is TfidfTransformer and hasattr(fitted, "_idf_diag"):
            vectorizer._tfidf = StoredIdfTransformer.of(fitted)
    return without_weight_copies(model)


def _tfidf_vectorizers(model: Any) -> Iterator[TfidfVectorizer]:
    if isinstance(model, Pipeline):
        for _, step in model.steps:
            yield from _tfidf_vectorizers(step)
    elif isinstance(model, FeatureUnion):
        for _, transformer in model.transformer_list:
            yield from _tfidf_vectorizers(transformer)
    elif isinstance(model, TfidfVectorizer):
        yield model


class StoredIdfTransformer(TfidfTransformer):
    """A fitted TfidfTransformer whose `idf_` is computed once, when it is made from one
    (`of`); never fitted again. A copy of it (pickle, deepcopy) is the plain one."""

    @property
    def idf_(self) -> np.ndarray:
        return self._stored_idf

    @classmethod
    def of(cls, fitted: TfidfTransformer) -> "StoredIdfTransformer":
        stored = cls.__new__(cls)
        stored.__dict__.update(fitted.__dict__)
        stored._stored_idf = fitted.idf_
        return stored

    def __reduce_ex__(self, protocol: Any) -> Any:
        """Pickled as the plain TfidfTransformer it was made from: a saved model holds
        scikit-learn's own classes only, and is made ready again when loaded."""
        plain = TfidfTransformer.__new__(TfidfTransformer)
        plain.__dict__.update((key, value) for key, value in self.__dict__.items() if key != "_stored_idf")
        return TfidfTransformer, (), plain.__getstate__()


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
    (`_FILE`) and made ready to score (`ready_to_score`) when made; None when nothing was
    trained."""

    _FILE: str

    def __init__(
        self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource, classifier: Optional[Pipeline]
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage, self._resource = model_storage, resource
        self._classifier = ready_to_score(classifier)

    @classmethod
    def create(
        cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource, execution_context: ExecutionContext
    ) -> "NgramClassifierComponent":
        return cls(config, model_storage, resource, None)

    def _save(self, classifier: Optional[Pipeline]) -> Resource:
        self._classifier = ready_to_score(classifier)
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
