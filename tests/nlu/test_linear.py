"""bot/server/nlu/linear.py: the loaded linear models score sparse n-grams without
copying their weights or recomputing their idf vectors, and score exactly as before."""
import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfTransformer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline, make_union

from bot.server.nlu.language import LanguageModel
from bot.server.nlu.linear import StoredIdfTransformer, ready_to_score, without_weight_copies

TEXTS = ["kifach ntsjl", "comment m'inscrire", "كيفاش نتسجل", "كيف أسجل", "wach ana m3ni", "suis-je concerné",
         "واش أنا معني", "هل أنا معني"]
LABELS = ["dar-latn", "fr", "dar", "ar"] * 2


def fitted_pipeline():
    return make_pipeline(TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3)), LogisticRegression()).fit(TEXTS, LABELS)


def test_the_same_probabilities_with_weights_no_product_copies():
    model = fitted_pipeline()
    before = model.predict_proba(TEXTS)
    assert not model[-1].coef_.T.flags.c_contiguous  # scipy would copy it for every product
    assert without_weight_copies(model) is model
    assert model[-1].coef_.T.flags.c_contiguous
    np.testing.assert_array_equal(model.predict_proba(TEXTS), before)


@pytest.mark.parametrize("model", [None, LogisticRegression()], ids=["none", "unfitted"])
def test_nothing_to_lay_out_is_returned_as_it_is(model):
    assert without_weight_copies(model) is model


def test_the_language_model_is_laid_out_when_made():
    model = LanguageModel(fitted_pipeline(), unclear_below=0.6)
    assert model.classifier[-1].coef_.T.flags.c_contiguous


def test_ready_to_score_stores_every_idf_vector_and_scores_the_same():
    union = make_union(TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True),
                       TfidfVectorizer(token_pattern=r"\S+"))
    model = make_pipeline(union, LogisticRegression()).fit(TEXTS, LABELS)
    before = model.predict_proba(TEXTS)
    idf = [vectorizer.idf_ for _, vectorizer in union.transformer_list]

    assert ready_to_score(model) is model
    for (_, vectorizer), expected in zip(union.transformer_list, idf):
        assert type(vectorizer._tfidf) is StoredIdfTransformer
        np.testing.assert_array_equal(vectorizer.idf_, expected)
    np.testing.assert_array_equal(model.predict_proba(TEXTS), before)
    assert model[-1].coef_.T.flags.c_contiguous


def test_the_stored_idf_vector_is_not_derived_again_on_each_transform(monkeypatch):
    model = ready_to_score(fitted_pipeline())
    derived = []
    monkeypatch.setattr(TfidfTransformer, "idf_", property(lambda self: derived.append(1)))
    model.predict_proba(TEXTS)
    assert derived == []


def test_nothing_to_make_ready_is_returned_as_it_is():
    assert ready_to_score(None) is None
    unfitted = make_pipeline(TfidfVectorizer(), LogisticRegression())
    assert ready_to_score(unfitted) is unfitted
    assert not isinstance(getattr(unfitted[0], "_tfidf", None), StoredIdfTransformer)
    assert not hasattr(unfitted[0], "_tfidf")


def test_a_ready_model_pickles_as_scikit_learn_fitted_it_and_loads_ready_again():
    import pickle
    import warnings

    model = ready_to_score(fitted_pipeline())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no version mismatch warning from scikit-learn either
        copy = pickle.loads(pickle.dumps(model))
    assert type(copy[0]._tfidf) is TfidfTransformer and not hasattr(copy[0]._tfidf, "_stored_idf")
    np.testing.assert_array_equal(copy.predict_proba(TEXTS), model.predict_proba(TEXTS))
    assert type(LanguageModel(copy, unclear_below=0.6).classifier[0]._tfidf) is StoredIdfTransformer
