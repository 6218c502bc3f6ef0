"""Which AMO scheme applies to a member, and what must be asked to decide.

Plain rules from knowledge/amo-facts.md section 2; no Rasa import. The
outcome names are the files of knowledge/eligibility/, whose answers say what
to do next.
"""
from __future__ import annotations

from typing import Mapping, Optional

YES, NO, UNKNOWN = "yes", "no", "unknown"
ANSWERS = (YES, NO, UNKNOWN)

# The follow-up question (a slot name) that splits a category into schemes.
QUESTION_FOR = {
    "trader": "pays_cpu",
    "artisan": "pays_cpu",
    "no_activity": "can_pay",
    "student": "parent_insured",
}

# Categories that need no further question: one scheme each (sections 2.1-2.9).
DIRECT_OUTCOME = {
    "salaried": "salaried",
    "public_servant": "public_servant",
    "auto_entrepreneur": "tns_auto_entrepreneur",
    "liberal": "tns_liberal",
    "farmer": "tns_farmer",
    "driver": "tns_driver",
    "retired": "retired",
}

# (category, answer to its question) -> outcome.
ANSWERED_OUTCOME = {
    ("trader", YES): "tns_cpu",
    ("trader", NO): "tns_trader",
    ("trader", UNKNOWN): "tns_trader",
    ("artisan", YES): "tns_cpu",
    ("artisan", NO): "tns_trader",
    ("artisan", UNKNOWN): "tns_trader",
    ("no_activity", YES): "achamil",
    ("no_activity", NO): "tadamon",
    ("no_activity", UNKNOWN): "no_activity_rsu",
    ("student", YES): "student_dependant",
    ("student", NO): "student_own",
    ("student", UNKNOWN): "student_unsure",
}

CATEGORIES = tuple(sorted(set(DIRECT_OUTCOME) | set(QUESTION_FOR)))
OUTCOMES = tuple(sorted(set(DIRECT_OUTCOME.values()) | set(ANSWERED_OUTCOME.values())))


def is_category(value: object) -> bool:
    return isinstance(value, str) and value in CATEGORIES


def question_for(category: str) -> Optional[str]:
    """The slot still to ask for this category, if its scheme depends on one."""
    return QUESTION_FOR.get(category)


def outcome(category: str, answers: Mapping[str, Optional[str]]) -> Optional[str]:
    """The scheme that applies, or None while an answer is still missing."""
    if category in DIRECT_OUTCOME:
        return DIRECT_OUTCOME[category]
    question = QUESTION_FOR.get(category)
    if question is None:
        raise ValueError(f"unknown category: {category!r}")
    answer = answers.get(question)
    return ANSWERED_OUTCOME.get((category, answer)) if answer in ANSWERS else None
