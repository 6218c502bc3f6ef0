"""The domain gate: corpus sentences train it and nothing else; what it scores as not
an AMO question becomes out_of_scope, except button payloads and form answers."""
import pytest
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, METADATA, METADATA_INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.server.nlu.domain_gate import SCORE_KEY, DomainGate, OutOfDomainRefusal

TOKENIZER = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
AMO = ["kifach nsjl f amo", "ch7al nkhelles l cnss", "wach mrati tqder tdkhol m3aya", "fin wsal dossier dyali",
       "comment m'inscrire à l'amo", "combien coûte la cotisation amo", "mes enfants sont-ils couverts par l'amo",
       "salam", "choukran bzaf", "wakha"]
CORPUS = ["rah t9der xi nher nji lourzazat", "ntla9a m3ak z3ma nn dzl", "3tina b3da gha nmra afatima",
          "ghadi nmchi l bhar ghda", "chrit tomobil jdida", "lbare7 kan lmatch zwin", "ana f dar daba",
          "fin ghadi tsafer had sif", "je vais au cinéma ce soir", "le train part à huit heures"]
HAND_WRITTEN_OUT = ["chno ljaw ghda", "bghit n9ra football"]


def example(text, intent, gate_only=False):
    metadata = {METADATA_INTENT: {"language": "dar-latn", **({"gate_only": True} if gate_only else {})}}
    message = Message({TEXT: text, INTENT: intent, METADATA: metadata})
    TOKENIZER.process([message])
    return message


@pytest.fixture
def data():
    return TrainingData(
        [example(t, "ask_registration_steps") for t in AMO]
        + [example(t, "out_of_scope") for t in HAND_WRITTEN_OUT]
        + [example(t, "out_of_scope", gate_only=True) for t in CORPUS]
    )


@pytest.fixture
def gate(tmp_path, data):
    storage = LocalModelStorage(tmp_path)
    component = DomainGate.create(DomainGate.get_default_config(), storage, Resource("gate"), ExecutionContext(None, None))
    component.train(data)
    return component


def scored(gate, text, **extra):
    message = Message({TEXT: text, INTENT: {"name": "ask_contribution_payment", "confidence": 0.9},
                       INTENT_RANKING_KEY: [{"name": "ask_contribution_payment", "confidence": 0.9}], **extra})
    TOKENIZER.process([message])
    gate.process([message])
    return message


def test_corpus_sentences_train_the_gate_but_not_what_comes_after(gate, data):
    kept = gate.process_training_data(data)
    assert len(kept.training_examples) == len(AMO) + len(HAND_WRITTEN_OUT)
    assert not any(m.get(TEXT) in CORPUS for m in kept.training_examples)


def test_everyday_text_scores_higher_than_an_amo_question(gate):
    assert scored(gate, "ghadi nmchi l lbhar m3a sahbi").get(SCORE_KEY) > scored(gate, "kifach nsjl f amo").get(SCORE_KEY)


def test_a_high_score_becomes_out_of_scope_with_the_ranking_kept():
    refusal = OutOfDomainRefusal({"refuse_from": 0.5})
    message = Message({TEXT: "ghadi nmchi l bhar", SCORE_KEY: 0.8,
                       INTENT: {"name": "ask_contribution_payment", "confidence": 0.7},
                       INTENT_RANKING_KEY: [{"name": "ask_contribution_payment", "confidence": 0.7}]})
    refusal.process([message])
    assert message.get(INTENT) == {"name": "out_of_scope", "confidence": 0.8}
    assert [r["name"] for r in message.get(INTENT_RANKING_KEY)] == ["out_of_scope", "ask_contribution_payment"]


@pytest.mark.parametrize(
    "gate_score, confidence, refused",
    [(0.51, 0.93, False),  # an unsure gate yields to a sure classifier
     (0.51, 0.6, True),  # both unsure: refused
     (0.85, 0.93, True)],  # a sure gate refuses whatever the classifiers say
)
def test_an_unsure_gate_yields_to_sure_classifiers(gate_score, confidence, refused):
    message = Message({TEXT: "bghit nbdel lougha", SCORE_KEY: gate_score,
                       INTENT: {"name": "change_language", "confidence": confidence}})
    OutOfDomainRefusal({"refuse_from": 0.5, "unsure_below": 0.7, "trusted_from": 0.8}).process([message])
    assert (message.get(INTENT)["name"] == "out_of_scope") == refused


@pytest.mark.parametrize(
    "text, extra",
    [
        ("/ask_contribution_payment", {}),  # a button payload
        ("BE123456", {ENTITIES: [{"entity": "cin", "value": "BE123456"}]}),  # a form answer
        ("2", {}),
        ("👍", {}),
    ],
)
def test_payloads_form_answers_and_letterless_messages_are_never_refused(text, extra):
    message = Message({TEXT: text, SCORE_KEY: 0.99, INTENT: {"name": "inform", "confidence": 0.6}, **extra})
    OutOfDomainRefusal({"refuse_from": 0.5}).process([message])
    assert message.get(INTENT)["name"] == "inform"


def test_a_low_score_keeps_the_intent():
    message = Message({TEXT: "kifach nsjl", SCORE_KEY: 0.2, INTENT: {"name": "ask_registration_steps", "confidence": 0.9}})
    OutOfDomainRefusal({"refuse_from": 0.5}).process([message])
    assert message.get(INTENT)["name"] == "ask_registration_steps"


def test_without_out_of_scope_examples_nothing_is_scored(tmp_path):
    storage = LocalModelStorage(tmp_path)
    component = DomainGate.create(DomainGate.get_default_config(), storage, Resource("gate"), ExecutionContext(None, None))
    component.train(TrainingData([example(t, "greet") for t in AMO]))
    assert SCORE_KEY not in scored(component, "salam").data
