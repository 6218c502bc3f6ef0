"""bot/server/nlu/linear.py: the loaded linear models score sparse n-grams without
copying their weights, and score exactly as before."""
import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from bot.server.nlu.language import LanguageModel
from bot.server.nlu.linear import without_weight_copies

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
