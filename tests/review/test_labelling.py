from pathlib import Path

import pytest
from rasa.shared.nlu.training_data.loading import load_data

from bot.tools.review.labelling import check_intent_name, domain_intents, example_text, write_examples

EXISTING = """version: "3.1"
nlu:
- intent: ask_contribution_payment
  metadata:
    language: fr
  examples: |
    - comment payer mes cotisations
    - ou payer la cotisation
"""


@pytest.fixture
def nlu_dir(tmp_path) -> Path:
    (tmp_path / "fr").mkdir()
    (tmp_path / "fr" / "contributions.yml").write_text(EXISTING, encoding="utf-8")
    return tmp_path


def examples(path):
    """(text, intent, language) as Rasa's own loader reads them."""
    data = load_data(str(path))
    return [(m.get("text"), m.get("intent"), (m.get("metadata") or {}).get("intent", {}).get("language"))
            for m in data.intent_examples]


def test_written_examples_load_in_rasa_with_intent_and_language(nlu_dir):
    result = write_examples(nlu_dir, "ask_contribution_amount",
                            [("chhal nkhalss", "dar-latn"), ("شحال نخلص", "dar"), ("ch7al nkhles", "dar-latn"),
                             ("combien je paie <CIN>", "fr")])
    assert result.path == nlu_dir / "reviewed" / "ask_contribution_amount.yml"
    assert sorted(examples(result.path)) == sorted([
        ("chhal nkhalss", "ask_contribution_amount", "dar-latn"),
        ("ch7al nkhles", "ask_contribution_amount", "dar-latn"),
        ("شحال نخلص", "ask_contribution_amount", "dar"),
        ("combien je paie <CIN>", "ask_contribution_amount", "fr"),
    ])


def test_appending_keeps_earlier_examples_and_adds_no_duplicates(nlu_dir):
    write_examples(nlu_dir, "ask_contribution_amount", [("chhal nkhalss", "dar-latn")])
    result = write_examples(nlu_dir, "ask_contribution_amount",
                            [("chhal nkhalss", "dar-latn"), ("  ch7al   nkhles ", "dar-latn"), ("ch7al nkhles", "dar-latn")])
    assert result.added == ["ch7al nkhles"]
    assert result.present == ["chhal nkhalss", "ch7al nkhles"]
    assert [text for text, _, _ in examples(result.path)] == ["chhal nkhalss", "ch7al nkhles"]


def test_an_example_of_another_intent_is_not_written(nlu_dir):
    result = write_examples(nlu_dir, "ask_contribution_amount", [("comment payer mes cotisations", "fr")])
    assert result.conflicts == {"comment payer mes cotisations": "ask_contribution_payment"}
    assert result.added == [] and not result.path.exists()


@pytest.mark.parametrize(
    "text, expected",
    [
        ("chhal\nnkhalss\t f cnss", "chhal nkhalss f cnss"),  # one example per line
        ("[mrati](beneficiary_type) chhal", "(mrati)(beneficiary_type) chhal"),  # not an entity annotation
        ("a\x00b\u2028c\ufeff", "ab c"),
        ("/feedback_not_helpful", None),  # a button payload
        ("   ", None),
        ("😀", "😀"),
    ],
)
def test_example_text(text, expected):
    assert example_text(text) == expected


def test_odd_texts_still_make_valid_yaml(nlu_dir):
    texts = ["key: value # not a comment", "- dash first", '"quoted" \'and\' |pipe', "&anchor *alias !tag",
             "%percent @at `tick`", "[x](y) {z}", "<script>alert(1)</script>"]
    result = write_examples(nlu_dir, "out_of_scope", [(t, "fr") for t in texts])
    assert [text for text, _, _ in examples(result.path)] == [example_text(t) for t in texts]


@pytest.mark.parametrize(
    "intent, problem",
    [("ask_contribution_amount", False), ("ask_new_topic2", False), ("ignored", True), ("nlu_fallback", True),
     ("Ask", True), ("ask-topic", True), ("2ask", True), ("", True), ("a" * 200, True)],
)
def test_check_intent_name(intent, problem):
    assert (check_intent_name(intent) is not None) == problem


def test_domain_intents_reads_the_project_domain():
    intents = domain_intents(Path(__file__).resolve().parents[2] / "domain")
    assert {"ask_contribution_amount", "out_of_scope", "greet"} <= intents
