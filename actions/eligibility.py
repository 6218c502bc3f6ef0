"""Which AMO scheme applies to a member, and the one question still needed to decide.

Plain rules from knowledge/amo-facts.md section 2 (and 5 for dependants); no Rasa
import. A desk agent asks only what the facts need: whether the member is employed
when the job name does not say, whether a member with no activity (or a student) is
already covered as someone's dependant, and for the others with no activity the RSU
score of the household (threshold 9.3264284, section 2.7), never "can you pay?".

The facts are a mapping of slot name -> value (None while not known): `profession`
(a category below), `employment`, `pays_cpu`, `covered_as_dependant`, `rsu_score`.
`decide()` walks the tables and returns either the next question (a slot name) or
the outcome, the name of a file of knowledge/eligibility/ whose answer says what to do.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional, Tuple, Union

YES, NO, UNKNOWN = "yes", "no", "unknown"
SALARIED, SELF_EMPLOYED, PUBLIC = "salaried", "self_employed", "public"
AT_OR_BELOW, ABOVE = "at_or_below", "above"

# Section 2.7: "Tadamon requires a score at or below the threshold 9.3264284".
RSU_THRESHOLD = 9.3264284

PROFESSION = "profession"
EMPLOYMENT = "employment"
PAYS_CPU = "pays_cpu"
COVERED = "covered_as_dependant"
RSU = "rsu_score"


@dataclass(frozen=True)
class Then:
    """Not an outcome yet: decide further as this category."""

    category: str


Step = Union[str, Then]

# A category decided by its name alone (sections 2.1-2.6, 2.2 decree 2.22.207, overview of 2).
DIRECT_OUTCOME: Dict[str, str] = {
    "salaried": "salaried",
    "public_servant": "public_servant",
    "auto_entrepreneur": "tns_auto_entrepreneur",
    "liberal": "tns_liberal",
    "farmer": "tns_farmer",
    "driver": "tns_driver",
    # Working on one's own account in a trade the lists do not name
    # (journalist, athlete, social worker, company manager...): TNS, section 2.2.
    "own_account": "tns_other",
    # Groups the CNSS covers with no procedure in the facts (domestic workers,
    # share-paid fishermen, religious officials, voluntary insured): overview of 2.
    "other_group": "other_group",
    "retired": "retired",
}

# Words the member said that refine a category without a question being asked:
# (category, slot, value) -> outcome. "retraité de la fonction publique".
REFINED_BY_WORDS: Dict[Tuple[str, str, str], str] = {
    ("retired", EMPLOYMENT, PUBLIC): "retired_public",
    ("salaried", EMPLOYMENT, PUBLIC): "public_servant",
}

# What an employment answer makes of any job (section 2.1).
_BY_EMPLOYER = {SALARIED: Then("salaried"), PUBLIC: Then("public_servant")}

# category -> (the question that splits it, {answer: outcome or further category}).
FOLLOW_UP: Dict[str, Tuple[str, Dict[str, Step]]] = {
    # Job names that do not say whether the member is employed (review U3): a
    # "chauffeur", "coiffeur", "comptable", "vendeur" or "موظف" can be either.
    "maybe_trader": (EMPLOYMENT, {**_BY_EMPLOYER, SELF_EMPLOYED: Then("trader"), UNKNOWN: "employment_unsure"}),
    "maybe_artisan": (EMPLOYMENT, {**_BY_EMPLOYER, SELF_EMPLOYED: Then("artisan"), UNKNOWN: "employment_unsure"}),
    "maybe_liberal": (EMPLOYMENT, {**_BY_EMPLOYER, SELF_EMPLOYED: Then("liberal"), UNKNOWN: "employment_unsure"}),
    "maybe_driver": (EMPLOYMENT, {**_BY_EMPLOYER, SELF_EMPLOYED: Then("driver"), UNKNOWN: "employment_unsure"}),
    "worker": (EMPLOYMENT, {**_BY_EMPLOYER, SELF_EMPLOYED: Then("own_account"), UNKNOWN: "employment_unsure"}),
    # Sections 2.3 and 3.1: CPU payers are registered from the DGI lists and pay with the CPU.
    "trader": (PAYS_CPU, {YES: "tns_cpu", NO: "tns_trader", UNKNOWN: "tns_trader"}),
    "artisan": (PAYS_CPU, {YES: "tns_cpu", NO: "tns_trader", UNKNOWN: "tns_trader"}),
    # Sections 2.10 and 5: a student is first a dependant of an insured parent (or spouse).
    "student": (COVERED, {YES: "student_dependant", NO: "student_own", UNKNOWN: "student_unsure"}),
    # Section 5 and 2.8 ("must not be subject to another AMO regime"): a housewife whose
    # husband is insured is covered through him (review M1). If not, or not sure, the RSU.
    "no_activity": (COVERED, {YES: "covered_as_dependant", NO: Then("no_activity_own"), UNKNOWN: Then("no_activity_own")}),
    # Sections 2.7 and 2.8: the RSU score decides, not a self-declared ability to pay (review W3).
    "no_activity_own": (RSU, {AT_OR_BELOW: "tadamon", ABOVE: "achamil", UNKNOWN: "no_activity_rsu_unknown"}),
}

# With no job named, an employment answer alone can decide ("أعمل أجيرا في شركة خاصة").
WITHOUT_PROFESSION: Dict[str, Step] = dict(_BY_EMPLOYER)

# The values the profession slot takes: the categories a member can be in.
CATEGORIES = tuple(sorted((set(DIRECT_OUTCOME) | set(FOLLOW_UP)) - {"no_activity_own"}))
QUESTIONS = (PROFESSION, EMPLOYMENT, PAYS_CPU, COVERED, RSU)
FOLLOW_UP_SLOTS = QUESTIONS[1:]
ANSWERS: Dict[str, Tuple[str, ...]] = {
    EMPLOYMENT: (SALARIED, SELF_EMPLOYED, PUBLIC, UNKNOWN),
    PAYS_CPU: (YES, NO, UNKNOWN),
    COVERED: (YES, NO, UNKNOWN),
    RSU: (AT_OR_BELOW, ABOVE, UNKNOWN),
}


def _outcomes() -> Tuple[str, ...]:
    found = set(DIRECT_OUTCOME.values()) | set(REFINED_BY_WORDS.values())
    for _, answers in FOLLOW_UP.values():
        found |= {step for step in answers.values() if isinstance(step, str)}
    return tuple(sorted(found))


OUTCOMES = _outcomes()


@dataclass(frozen=True)
class Decision:
    """Either `question` (the slot to ask next) or `outcome` is set; `consulted` lists
    the slots the rules looked at, in order (the form's required slots)."""

    consulted: Tuple[str, ...]
    question: Optional[str] = None
    outcome: Optional[str] = None


def is_category(value: object) -> bool:
    return isinstance(value, str) and value in CATEGORIES


def _known(slot: str, value: object) -> Optional[str]:
    return value if isinstance(value, str) and value in ANSWERS[slot] else None


def decide(facts: Mapping[str, Optional[str]]) -> Decision:
    """The next question to ask, or the outcome, from what the member has said."""
    consulted: List[str] = []
    category = facts.get(PROFESSION)
    if not is_category(category):
        employment = _known(EMPLOYMENT, facts.get(EMPLOYMENT))
        if employment in WITHOUT_PROFESSION:
            consulted.append(EMPLOYMENT)
            category = WITHOUT_PROFESSION[employment].category
        else:
            return Decision(consulted=(PROFESSION,), question=PROFESSION)
    else:
        consulted.append(PROFESSION)
    for _ in range(len(FOLLOW_UP) + 1):  # a chain never revisits a category
        for (refined, slot, value), result in REFINED_BY_WORDS.items():
            if refined == category and facts.get(slot) == value:
                return Decision(consulted=tuple(consulted), outcome=result)
        if category in DIRECT_OUTCOME:
            return Decision(consulted=tuple(consulted), outcome=DIRECT_OUTCOME[category])
        slot, answers = FOLLOW_UP[category]
        if slot not in consulted:
            consulted.append(slot)
        answer = _known(slot, facts.get(slot))
        if answer is None or answer not in answers:
            return Decision(consulted=tuple(consulted), question=slot)
        step = answers[answer]
        if isinstance(step, str):
            return Decision(consulted=tuple(consulted), outcome=step)
        category = step.category
    raise RuntimeError(f"the eligibility tables loop on {category!r}")


def outcome(facts: Mapping[str, Optional[str]]) -> Optional[str]:
    """The scheme that applies, or None while an answer is still missing."""
    return decide(facts).outcome


def next_question(facts: Mapping[str, Optional[str]]) -> Optional[str]:
    return decide(facts).question


_NUMBER = re.compile(r"(?<![\d.,])(\d{1,2}(?:[.,]\d+)?)(?![\d.,]*\d)")
_EASTERN_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹٫", "01234567890123456789.")


def rsu_band(text: str) -> Optional[str]:
    """A score the member typed ("9,1", "mon score est 10.2", "٩٫٥") against the
    Tadamon threshold; None when the text holds no single plausible score (0-20)."""
    numbers = [float(n.replace(",", ".")) for n in _NUMBER.findall((text or "").translate(_EASTERN_DIGITS))]
    scores = [n for n in numbers if 0 < n <= 20]
    if len(scores) != 1:
        return None
    return AT_OR_BELOW if scores[0] <= RSU_THRESHOLD else ABOVE
