"""bot/server/nlu/intent_classifier.py: a linear SVM trained on the normalised
tokens, saved with the model, ranking every intent."""
import pytest
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.server.nlu.intent_classifier import RANKING_LENGTH, NgramIntentClassifier

EXAMPLES = {
    "greet": ["salam", "bonjour", "salam 3likom", "bonjour madame", "السلام عليكم", "السلام"],
    "goodbye": ["bslama", "au revoir", "bslama w chokran", "au revoir et merci", "مع السلامة", "السلامة"],
}


def training_data(examples=EXAMPLES):
    return TrainingData([Message(data={"text": t, "intent": i}) for i, texts in examples.items() for t in texts])


def trained(tmp_path, examples=EXAMPLES):
    storage, resource = LocalModelStorage(tmp_path), Resource("intents")
    component = NgramIntentClassifier.create({}, storage, resource, None)
    component.train(training_data(examples))
    return component, storage, resource


def ranking(component, message):
    [out] = component.process([message])
    return out.get("intent"), {item["name"]: item["confidence"] for item in out.get("intent_ranking")}


def test_it_learnt_the_examples_in_each_script(tmp_path):
    component, _, _ = trained(tmp_path)
    for text, expected in (("salam 3likom", "greet"), ("au revoir", "goodbye"), ("السلامة", "goodbye")):
        intent, probabilities = ranking(component, Message(data={"text": text}))
        assert intent["name"] == expected == max(probabilities, key=probabilities.get)
        assert sum(probabilities.values()) == pytest.approx(1.0)


def test_it_reads_the_normalised_tokens_not_the_raw_text(tmp_path):
    component, _, _ = trained(tmp_path)
    # What the normalizers made of the message is what counts, whatever the raw text.
    message = Message(data={"text": "salam"})
    message.set("text_tokens", [Token("au", 0), Token("revoir", 3)])
    intent, _ = ranking(component, message)
    assert intent["name"] == "goodbye"


def test_the_ranking_is_cut_at_its_length(tmp_path):
    examples = {f"intent_{i}": [f"mot{i} texte{i}", f"mot{i} phrase{i}"] for i in range(RANKING_LENGTH + 3)}
    component, _, _ = trained(tmp_path, examples)
    [out] = component.process([Message(data={"text": "mot3 texte3"})])
    assert len(out.get("intent_ranking")) == RANKING_LENGTH
    assert out.get("intent")["name"] == "intent_3"


def test_the_loaded_model_scores_as_the_trained_one_its_weights_laid_out(tmp_path):
    component, storage, resource = trained(tmp_path)
    loaded = NgramIntentClassifier.load({}, storage, resource, None)
    assert loaded._classifier[-1].coef_.T.flags.c_contiguous  # bot/server/nlu/linear.py
    for text in ("salam", "au revoir", "مع السلامة"):
        assert ranking(loaded, Message(data={"text": text}))[1] == pytest.approx(
            ranking(component, Message(data={"text": text}))[1]
        )


def test_the_saved_model_holds_scikit_learns_own_classes(tmp_path):
    import joblib
    from sklearn.feature_extraction.text import TfidfTransformer

    component, storage, resource = trained(tmp_path)
    with storage.read_from(resource) as directory:
        saved = joblib.load(directory / NgramIntentClassifier._FILE)
    assert {type(vectorizer._tfidf) for _, vectorizer in saved[0].transformer_list} == {TfidfTransformer}


def test_with_a_single_intent_nothing_is_trained_and_messages_pass_unchanged(tmp_path):
    component, storage, resource = trained(tmp_path, {"greet": ["salam", "bonjour"]})
    loaded = NgramIntentClassifier.load({}, storage, resource, None)
    message = Message(data={"text": "salam"})
    message.set("intent_ranking", [{"name": "greet", "confidence": 0.7}])
    [out] = loaded.process([message])
    assert out.get("intent_ranking") == [{"name": "greet", "confidence": 0.7}]
