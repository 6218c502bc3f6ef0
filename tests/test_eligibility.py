"""The eligibility rules (actions/eligibility.py) for every category of the facts file."""
import pytest
import yaml

from actions import eligibility
from actions.eligibility import NO, UNKNOWN, YES
from bot.tools import knowledge
from tests.conftest import ROOT
from tests.helpers import DOMAIN

# (category, answer to its follow-up question or None, expected outcome)
CASES = [
    ("salaried", None, "salaried"),
    ("public_servant", None, "public_servant"),
    ("auto_entrepreneur", None, "tns_auto_entrepreneur"),
    ("liberal", None, "tns_liberal"),
    ("farmer", None, "tns_farmer"),
    ("driver", None, "tns_driver"),
    ("retired", None, "retired"),
    ("trader", YES, "tns_cpu"),
    ("trader", NO, "tns_trader"),
    ("trader", UNKNOWN, "tns_trader"),
    ("artisan", YES, "tns_cpu"),
    ("artisan", NO, "tns_trader"),
    ("artisan", UNKNOWN, "tns_trader"),
    ("no_activity", YES, "achamil"),
    ("no_activity", NO, "tadamon"),
    ("no_activity", UNKNOWN, "no_activity_rsu"),
    ("student", YES, "student_dependant"),
    ("student", NO, "student_own"),
    ("student", UNKNOWN, "student_unsure"),
]


@pytest.mark.parametrize("category, answer, expected", CASES)
def test_outcome(category, answer, expected):
    question = eligibility.question_for(category)
    assert (question is None) == (answer is None)
    answers = {question: answer} if question else {}
    assert eligibility.outcome(category, answers) == expected


@pytest.mark.parametrize("category", ["trader", "artisan", "no_activity", "student"])
def test_no_outcome_while_the_question_is_unanswered(category):
    assert eligibility.outcome(category, {}) is None
    assert eligibility.outcome(category, {eligibility.question_for(category): "maybe"}) is None


def test_an_answer_to_another_question_does_not_decide():
    assert eligibility.outcome("trader", {"can_pay": YES}) is None


def test_unknown_category_is_an_error_not_a_guess():
    assert not eligibility.is_category("astronaut")
    assert not eligibility.is_category(None)
    with pytest.raises(ValueError):
        eligibility.outcome("astronaut", {})


def test_every_category_and_outcome_is_covered_by_the_table():
    assert {case[0] for case in CASES} == set(eligibility.CATEGORIES)
    assert {case[2] for case in CASES} == set(eligibility.OUTCOMES)


def test_categories_are_the_profession_slot_values_and_lookup_synonyms():
    slot = next(slot for slot in DOMAIN.slots if slot.name == "profession")
    assert set(slot.values) - {"__other__"} == set(eligibility.CATEGORIES)
    lookups = yaml.safe_load((ROOT / "data" / "lookups" / "profession.yml").read_text(encoding="utf-8"))
    synonyms = {item["synonym"] for item in lookups["nlu"] if "synonym" in item}
    assert synonyms == set(eligibility.CATEGORIES)


@pytest.mark.parametrize("question", sorted(set(eligibility.QUESTION_FOR.values())))
def test_every_question_is_a_slot_the_form_can_ask(question):
    assert question in {slot.name for slot in DOMAIN.slots}
    assert f"utter_ask_{question}" in DOMAIN.responses


@pytest.mark.parametrize("outcome", eligibility.OUTCOMES)
def test_every_outcome_has_an_answer_with_sources(outcome):
    outcomes = knowledge.load_topics(knowledge.KNOWLEDGE_DIR / "eligibility")
    assert f"eligibility_{outcome}" in outcomes
    assert f"utter_eligibility_{outcome}" in DOMAIN.responses
