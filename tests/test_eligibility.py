"""The eligibility rules (actions/eligibility.py): one table row per situation of the
facts file, from what the member said to the next question or the outcome."""
import pytest
import yaml

from actions import eligibility
from actions.eligibility import (ABOVE, AT_OR_BELOW, NO, PUBLIC, SALARIED, SELF_EMPLOYED, UNKNOWN, YES)
from bot.tools import knowledge
from tests.conftest import ROOT
from tests.helpers import DOMAIN

P, E, CPU, COV, RSU = "profession", "employment", "pays_cpu", "covered_as_dependant", "rsu_score"

# (what the member said, the next question or None, the outcome or None)
CASES = [
    ({}, P, None),
    ({P: "salaried"}, None, "salaried"),
    ({P: "public_servant"}, None, "public_servant"),
    ({P: "auto_entrepreneur"}, None, "tns_auto_entrepreneur"),
    ({P: "liberal"}, None, "tns_liberal"),
    ({P: "farmer"}, None, "tns_farmer"),
    ({P: "driver"}, None, "tns_driver"),
    ({P: "own_account"}, None, "tns_other"),
    ({P: "other_group"}, None, "other_group"),
    ({P: "retired"}, None, "retired"),
    ({P: "retired", E: PUBLIC}, None, "retired_public"),
    ({P: "retired", E: SALARIED}, None, "retired"),
    ({P: "salaried", E: PUBLIC}, None, "public_servant"),
    # "أعمل أجيرا في شركة خاصة" / "je travaille dans la fonction publique": no job named
    ({E: SALARIED}, None, "salaried"),
    ({E: PUBLIC}, None, "public_servant"),
    ({E: SELF_EMPLOYED}, P, None),
    ({E: UNKNOWN}, P, None),
    # traders and artisans: the CPU decides
    ({P: "trader"}, CPU, None),
    ({P: "trader", CPU: YES}, None, "tns_cpu"),
    ({P: "trader", CPU: NO}, None, "tns_trader"),
    ({P: "trader", CPU: UNKNOWN}, None, "tns_trader"),
    ({P: "artisan", CPU: YES}, None, "tns_cpu"),
    ({P: "artisan", CPU: NO}, None, "tns_trader"),
    # a job name that does not say whether the member is employed
    ({P: "maybe_driver"}, E, None),
    ({P: "maybe_driver", E: SELF_EMPLOYED}, None, "tns_driver"),
    ({P: "maybe_driver", E: SALARIED}, None, "salaried"),
    ({P: "maybe_driver", E: PUBLIC}, None, "public_servant"),
    ({P: "maybe_driver", E: UNKNOWN}, None, "employment_unsure"),
    ({P: "maybe_liberal", E: SELF_EMPLOYED}, None, "tns_liberal"),
    ({P: "maybe_liberal", E: SALARIED}, None, "salaried"),
    ({P: "maybe_artisan"}, E, None),
    ({P: "maybe_artisan", E: SELF_EMPLOYED}, CPU, None),
    ({P: "maybe_artisan", E: SELF_EMPLOYED, CPU: YES}, None, "tns_cpu"),
    ({P: "maybe_trader", E: SELF_EMPLOYED, CPU: NO}, None, "tns_trader"),
    ({P: "maybe_trader", E: SALARIED}, None, "salaried"),
    ({P: "worker"}, E, None),
    ({P: "worker", E: SELF_EMPLOYED}, None, "tns_other"),
    ({P: "worker", E: PUBLIC}, None, "public_servant"),
    ({P: "worker", E: SALARIED}, None, "salaried"),
    # students: first, are they a parent's (or spouse's) dependant?
    ({P: "student"}, COV, None),
    ({P: "student", COV: YES}, None, "student_dependant"),
    ({P: "student", COV: NO}, None, "student_own"),
    ({P: "student", COV: UNKNOWN}, None, "student_unsure"),
    # no activity: a dependant first, then the RSU score, never "can you pay?"
    ({P: "no_activity"}, COV, None),
    ({P: "no_activity", COV: YES}, None, "covered_as_dependant"),
    ({P: "no_activity", COV: NO}, RSU, None),
    ({P: "no_activity", COV: UNKNOWN}, RSU, None),
    ({P: "no_activity", COV: NO, RSU: AT_OR_BELOW}, None, "tadamon"),
    ({P: "no_activity", COV: NO, RSU: ABOVE}, None, "achamil"),
    ({P: "no_activity", COV: NO, RSU: UNKNOWN}, None, "no_activity_rsu_unknown"),
    ({P: "no_activity", COV: UNKNOWN, RSU: ABOVE}, None, "achamil"),
    # a score said before being asked does not skip the dependant question
    ({P: "no_activity", RSU: AT_OR_BELOW}, COV, None),
]


@pytest.mark.parametrize("facts, question, expected", CASES)
def test_the_table(facts, question, expected):
    decision = eligibility.decide(facts)
    assert (decision.question, decision.outcome) == (question, expected)
    assert eligibility.outcome(facts) == expected
    if question:
        assert decision.consulted[-1] == question


def test_the_form_asks_one_question_at_a_time_in_order():
    decision = eligibility.decide({P: "maybe_artisan", E: SELF_EMPLOYED})
    assert decision.consulted == (P, E, CPU)


@pytest.mark.parametrize("answer", [None, "maybe", "oui", 3])
def test_an_answer_outside_the_values_is_not_an_answer(answer):
    assert eligibility.decide({P: "no_activity", COV: answer}).question == COV


def test_an_answer_to_another_question_does_not_decide():
    assert eligibility.outcome({P: "trader", COV: YES}) is None
    assert eligibility.outcome({P: "student", CPU: YES}) is None


def test_an_unknown_category_asks_for_the_situation_again():
    assert not eligibility.is_category("astronaut")
    assert not eligibility.is_category(None)
    assert eligibility.decide({P: "astronaut"}).question == P


def test_every_category_and_outcome_is_covered_by_the_table():
    categories = {facts.get(P) for facts, _, _ in CASES} - {None}
    assert categories == set(eligibility.CATEGORIES)
    assert {expected for _, _, expected in CASES} - {None} == set(eligibility.OUTCOMES)


def test_nobody_is_asked_whether_they_can_pay():
    assert "can_pay" not in {slot.name for slot in DOMAIN.slots}
    assert "utter_ask_can_pay" not in DOMAIN.responses


@pytest.mark.parametrize(
    "text, band",
    [("9,1", AT_OR_BELOW), ("mon score est 10.2", ABOVE), ("9.3264284", AT_OR_BELOW), ("9.3264285", ABOVE),
     ("المؤشر ديالي ٩٫٥", ABOVE), ("score 8", AT_OR_BELOW), ("je ne sais pas", None), ("3939", None),
     ("entre 9 et 10", None), ("123", None), ("", None)],
)
def test_a_typed_rsu_score_is_compared_with_the_threshold(text, band):
    assert eligibility.rsu_band(text) == band


def test_categories_are_the_profession_slot_values_and_lookup_synonyms():
    slot = next(slot for slot in DOMAIN.slots if slot.name == "profession")
    assert set(slot.values) - {"__other__"} == set(eligibility.CATEGORIES)
    lookups = yaml.safe_load((ROOT / "data" / "lookups" / "profession.yml").read_text(encoding="utf-8"))
    synonyms = {item["synonym"] for item in lookups["nlu"] if "synonym" in item}
    assert synonyms == set(eligibility.CATEGORIES)


@pytest.mark.parametrize("slot", eligibility.FOLLOW_UP_SLOTS)
def test_every_answer_value_is_a_slot_value(slot):
    domain_slot = next(s for s in DOMAIN.slots if s.name == slot)
    assert set(eligibility.ANSWERS[slot]) <= set(domain_slot.values)


@pytest.mark.parametrize("question", eligibility.QUESTIONS)
def test_every_question_is_a_slot_the_form_can_ask(question):
    assert question in {slot.name for slot in DOMAIN.slots}
    assert question in DOMAIN.forms["eligibility_form"]["required_slots"]
    assert f"utter_ask_{question}" in DOMAIN.responses
    for variation in DOMAIN.responses[f"utter_ask_{question}"]:
        assert len(variation.get("buttons", [])) <= (10 if question == P else 3)


@pytest.mark.parametrize("outcome", eligibility.OUTCOMES)
def test_every_outcome_has_an_answer_with_sources(outcome):
    outcomes = knowledge.load_topics(knowledge.KNOWLEDGE_DIR / "eligibility")
    assert f"eligibility_{outcome}" in outcomes
    assert f"utter_eligibility_{outcome}" in DOMAIN.responses


def test_no_answer_file_is_left_without_an_outcome():
    files = knowledge.load_topics(knowledge.KNOWLEDGE_DIR / "eligibility")
    assert set(files) == {f"eligibility_{outcome}" for outcome in eligibility.OUTCOMES}
