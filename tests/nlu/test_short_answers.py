"""Bare answers to a form's question get the training data's label
(bot/server/nlu/short_answers.py)."""
import pytest
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.server.nlu.normalizers import ArabiziTransliterator
from bot.server.nlu.short_answers import ShortAnswerClassifier, only_entities

CITY = {"entity": "city", "start": 0, "end": 5, "value": "Rabat"}


def test_entities_must_cover_every_letter_and_digit():
    assert only_entities("Rabat", [CITY], ["city"])
    assert only_entities("Rabat !", [CITY], ["city"])
    assert not only_entities("Rabat wach kayn", [CITY], ["city"])
    assert not only_entities("Rabat", [CITY], ["cin"])  # not a type that answers a question
    assert not only_entities("la", [], ["city"])


@pytest.fixture
def classifier(tmp_path):
    storage = LocalModelStorage(tmp_path)
    resource = Resource("short_answers")
    context = ExecutionContext(graph_schema=None, node_name="short_answers")
    config = ShortAnswerClassifier.get_default_config()
    return lambda: ShortAnswerClassifier.create(config, storage, resource, context), \
        lambda: ShortAnswerClassifier.load(config, storage, resource, context)


def _message(text, intent=None, entities=(), ranking=None):
    message = Message.build(text=text, intent=intent)
    WhitespaceTokenizer(WhitespaceTokenizer.get_default_config()).process([message])
    message.set("entities", list(entities))
    if ranking:
        message.set("intent", ranking[0])
        message.set("intent_ranking", ranking)
    return message


def test_an_exact_training_example_gets_its_label_after_loading(classifier):
    create, load = classifier
    training = TrainingData([_message("la", "deny"), _message("la la", "deny"), _message("wakha", "affirm"),
                             _message("ok", "affirm"), _message("ok", "thanks")])
    WhitespaceTokenizer(WhitespaceTokenizer.get_default_config()).process_training_data(training)
    create().train(training)
    guessed = [{"name": "inform", "confidence": 0.48}, {"name": "deny", "confidence": 0.17}]

    [la, ok, longer] = load().process([_message("LA", ranking=guessed), _message("ok", ranking=guessed),
                                        _message("la machi daba", ranking=guessed)])

    assert la.get("intent") == {"name": "deny", "confidence": 1.0}
    assert [r["name"] for r in la.get("intent_ranking")] == ["deny", "inform"]
    assert la.get("short_answer") == "training example"
    assert ok.get("intent")["name"] == "inform"  # written under two intents: the classifiers decide
    assert longer.get("intent")["name"] == "inform"


def test_an_arabizi_example_is_found_without_the_twins_a_short_answer_does_not_get(classifier):
    """Training examples say they are Arabizi and get Arabic-script twins; a bare "la"
    at run time is too short for the language identifier, so it gets none."""
    create, _ = classifier
    example = _message("la", "deny")
    example.set("metadata", {"intent": {"language": "dar-latn"}})
    ArabiziTransliterator().process([example])
    component = create()
    component.train(TrainingData([example]))
    answer = _message("la", ranking=[{"name": "inform", "confidence": 0.48}])
    ArabiziTransliterator().process([answer])  # the identifier found it unclear: no twins

    [answer] = component.process([answer])

    assert answer.get("intent") == {"name": "deny", "confidence": 1.0}


def test_a_bare_city_is_an_answer(classifier):
    create, _ = classifier
    component = create()
    guessed = [{"name": "affirm", "confidence": 0.34}]

    [city, payload] = component.process([_message("Rabat", entities=[CITY], ranking=guessed),
                                         _message("/affirm", entities=[], ranking=guessed)])

    assert city.get("intent") == {"name": "inform", "confidence": 1.0}
    assert city.get("short_answer") == "entities only"
    assert payload.get("intent")["name"] == "affirm"


def test_a_lone_code_shaped_like_a_cin_is_an_answer_a_bare_number_is_not(classifier):
    """"AB12" matches no entity pattern (too short for a CIN); as an answer, the form
    explains what is wrong with it. "2" may pick the second option offered."""
    create, _ = classifier
    component = create()
    guessed = [{"name": "check_file_status", "confidence": 0.35}]

    [code, spaced, number, worded] = component.process(
        [_message(text, ranking=guessed) for text in ("AB12", "d 12", "2", "AB12 svp")])

    assert code.get("intent") == {"name": "inform", "confidence": 1.0}
    assert code.get("short_answer") == "identifier-shaped"
    assert spaced.get("intent")["name"] == "inform"
    assert number.get("intent")["name"] == "check_file_status"
    assert worded.get("intent")["name"] == "check_file_status"


@pytest.mark.parametrize("text, intent", [("la", "deny"), ("Rabat", "inform"), ("لا", "deny"), ("AB12", "inform")])
def test_the_trained_model_reads_bare_answers(parse, text, intent):
    assert parse(text)["intent"]["name"] == intent
