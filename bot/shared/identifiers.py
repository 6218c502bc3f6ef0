"""Parsing of the identifiers and birth dates members type (pure, no Rasa import).

Formats come from amo-facts.md section 14: a CIN is one or two letters followed by
digits; the CNSS immatriculation is most likely 9 digits (not confirmed), so another
all-digit length is not rejected outright: the member is asked to check it.

One grammar for both readings, and for `bot.shared.redaction`, which reuses the patterns
below so that what we can parse we also redact: a message that is an identifier as a
whole (`IDENTIFIER_FORM`: letters, digits, any separators), and an identifier inside a
sentence (`CIN_IN_TEXT`, `DIGIT_RUN`), where a year, an amount or a decimal reads as
what it is (`ORDINARY_NUMBER`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Dict, Optional, Tuple, Union

# One character for one character, so offsets in the folded text are offsets in the
# raw text: Arabic-Indic and Persian digits to ASCII, hamza alef forms to bare alef.
_FOLD = str.maketrans(
    {
        **{chr(0x0660 + i): str(i) for i in range(10)},
        **{chr(0x06F0 + i): str(i) for i in range(10)},
        "أ": "ا", "إ": "ا", "آ": "ا",
    }
)


def fold(text: str) -> str:
    """ASCII digits and bare alef; same length as `text`."""
    return text.translate(_FOLD)


# Month names in folded spelling (see `fold`). French and English (also used in
# Darija written in Latin letters), Moroccan, Maghreb and Mashriq Arabic.
MONTHS: Dict[str, int] = {
    **{name: i + 1 for i, name in enumerate(
        "janvier fevrier mars avril mai juin juillet aout septembre octobre novembre decembre".split()
    )},
    "février": 2, "août": 8, "décembre": 12, "janv": 1, "fev": 2, "fév": 2, "avr": 4,
    "juil": 7, "sept": 9, "oct": 10, "nov": 11, "dec": 12, "déc": 12,
    **{name: i + 1 for i, name in enumerate(
        "january february march april may june july august september october november december".split()
    )},
    # Moroccan usage.
    **{name: i + 1 for i, name in enumerate(
        "يناير فبراير مارس ابريل ماي يونيو يوليوز غشت شتنبر اكتوبر نونبر دجنبر".split()
    )},
    # Algerian / Tunisian and Egyptian / Gulf usage.
    "جانفي": 1, "فيفري": 2, "افريل": 4, "جوان": 6, "جويلية": 7, "اوت": 8,
    "مايو": 5, "يوليو": 7, "اغسطس": 8, "سبتمبر": 9, "نوفمبر": 11, "ديسمبر": 12,
    # Mashriq (Syro-Aramaic) names.
    "كانون الثاني": 1, "شباط": 2, "اذار": 3, "نيسان": 4, "ايار": 5, "حزيران": 6,
    "تموز": 7, "اب": 8, "ايلول": 9, "تشرين الاول": 10, "تشرين الثاني": 11, "كانون الاول": 12,
}
_MONTH_ALTERNATION = "|".join(
    re.escape(name).replace(r"\ ", r"\s+") for name in sorted(MONTHS, key=len, reverse=True)
)

CIN_DIGITS = range(4, 9)  # validators disagree (facts §14); the TNS form has 8 boxes
IMMATRICULATION_DIGITS = 9
PLAUSIBLE_REGISTRATION_DIGITS = range(7, 13)  # other lengths seen in public code (facts §14)

# Patterns over folded text. They use digit/letter look-arounds rather than \b so
# that a number glued to an Arabic word ("رقمي123456789") is still found.


def date_pattern(tag: str = "") -> str:
    """A date as members write it: numeric ("12/03/1985", "12 03 1985"), ISO, or in words
    with or without the year ("1er mars 1985", "12 مارس"). `tag` ends the group names,
    so that the pattern can be used twice in one expression."""
    return (
        rf"(?<!\d)(?P<d{tag}>\d{{1,2}})\s?(?P<sep{tag}>[/.\-])\s?(?P<m{tag}>\d{{1,2}})\s?(?P=sep{tag})\s?"
        rf"(?P<y{tag}>\d{{4}}|\d{{2}})(?!\d)"
        rf"|(?<!\d)(?P<d2{tag}>\d{{1,2}}) (?P<m2{tag}>\d{{1,2}}) (?P<y2{tag}>(?:19|20)\d{{2}})(?!\d)"
        rf"|(?<!\d)(?P<iyear{tag}>(?:19|20)\d{{2}})(?P<isep{tag}>[/.\-])(?P<imonth{tag}>\d{{1,2}})(?P=isep{tag})"
        rf"(?P<iday{tag}>\d{{1,2}})(?!\d)"
        rf"|(?<![\w])(?P<wd{tag}>\d{{1,2}})(?:er|st|nd|rd|th)?\s+(?:de\s+)?"
        rf"(?P<wm{tag}>{_MONTH_ALTERNATION})\.?(?![^\W\d_])"
        rf"(?:,?\s+(?P<wy{tag}>\d{{4}}|\d{{2}})(?!\d))?"
    )


DATE = date_pattern()

# What members put between the parts of a number: spaces, dashes, dots, slashes and
# underscores, as many as they like ("Q/472 - 940", "123  456  789").
SEPARATOR = r"[\s\-_./]"
# The next digit belongs to the same number: glued, or after separators, unless it is
# one digit glued to a word, Arabizi ("ab123456 3afak" stops before the "3").
_CONTINUED = rf"(?:{SEPARATOR}+(?!\d[^\W\d_]))?\d"


def grouped_digits(least: int, most: Optional[int] = None) -> str:
    """From `least` to `most` digits as members group them ("123 456 789", "12-34/56"),
    not followed by another digit of the same number."""
    return rf"\d(?:{_CONTINUED}){{{least - 1},{'' if most is None else most - 1}}}(?!{_CONTINUED})"


# The whole of a message that is one identifier, separators anywhere (the first reading
# `parse_identifier` tries): "d 123456", "B K-123 456", "-123/456/789-".
_LETTERS = r"[A-Za-z]"
IDENTIFIER_FORM = (
    rf"{SEPARATOR}*(?:(?P<letters>{_LETTERS}(?:{SEPARATOR}*{_LETTERS})?){SEPARATOR}*)?"
    rf"(?P<number>{grouped_digits(1)}){SEPARATOR}*"
)

# Numbers that say what they are, even after letters: a year or years ("en 2021", "in
# 2005-2006", "2022 2023"), an amount ("de 150000 dh", "1 500 000 DH"), a decimal
# ("9,3264284", the RSU threshold). Never read as an identifier inside a sentence.
_YEAR = r"(?:19|20)\d\d"
_CURRENCY = r"(?:dhs?|mad|dirhams?|درهما?|دراهم)(?![^\W\d_])"
ORDINARY_NUMBER = (
    rf"(?<!\d)(?:{_YEAR}(?:{SEPARATOR}+{_YEAR})*(?!{_CONTINUED})"
    rf"|\d(?:[\s.,]?\d)*\s?{_CURRENCY}"
    rf"|\d{{1,2}}[.,]\d+(?!{_CONTINUED}))"
)
# Short words, in lower case or capitalised, that come before a four-digit number in a
# sentence: "appelez le 3939", "de 1500", "to 3939". Capitals ("D 1234") stay a CIN, and
# so does a longer number ("la 123456"). Case-sensitive even where the pattern is not.
COMMON_WORDS = tuple("a b d f l o w y de du le la en et un au ou fi el al li ma mn in to at of on is by".split())
_CAPITALISED = tuple(word.capitalize() for word in COMMON_WORDS if len(word) > 1)
_COMMON_WORD = "(?-i:{})".format("|".join(COMMON_WORDS + _CAPITALISED))
# A CIN inside a sentence: one or two letters ("B.K", "B K" too) that start a word, glued or
# separated to 4 to 8 digits, grouped: "ab123456", "AB-123456", "bk 123 456", "Q/472 - 940".
# Separated, the number is not one that says what it is (above) nor a date ("le
# 12/03/1985"), and after a common word it has more than four digits.
_GLUED = r"[\-_./]?(?=\d)"  # "ab123456", "A-654321", "Q/472"
_APART = rf"(?!{_GLUED}){SEPARATOR}+"  # "bk 123 456", "Q / 472", "de  -  1500"
CIN_IN_TEXT = (
    rf"(?<![^\W_])(?!{_COMMON_WORD}{_APART}{grouped_digits(4, 4)})"
    rf"(?P<letters>{_LETTERS}(?:{SEPARATOR}{{0,3}}{_LETTERS})?)"
    rf"(?:{_GLUED}|{_APART}(?!{ORDINARY_NUMBER}|{date_pattern('_in_cin')}))"
    rf"(?P<digits>{grouped_digits(CIN_DIGITS.start, CIN_DIGITS.stop - 1)})"
)
# A registration number inside a sentence: seven digits or more, grouped.
DIGIT_RUN = rf"(?<!\d){grouped_digits(PLAUSIBLE_REGISTRATION_DIGITS.start)}"

MAX_AGE_YEARS = 120
_MAX_INPUT = 200  # an identifier or a date is short; longer text is not parsed


# What replaces an identifier wherever it could be shown or stored: "••••56".
MASK = "••••"
_SHOWN_CHARACTERS = 2


def is_masked(value: str) -> bool:
    return value.startswith(MASK) and len(value) <= len(MASK) + _SHOWN_CHARACTERS


@dataclass(frozen=True)
class Identifier:
    kind: str  # "cin" | "immatriculation"
    value: str  # normalised: upper-case letters and ASCII digits, no separators

    @property
    def masked(self) -> str:
        """What may be shown back to the member: only the last two characters."""
        return MASK + self.value[-_SHOWN_CHARACTERS:]


@dataclass(frozen=True)
class IdentifierProblem:
    code: str  # "empty" | "not_an_identifier" | "too_short" | "too_long" | "unusual_length"
    # For "unusual_length": the normalised digits, so that a member who repeats
    # the same number can have it accepted after checking it.
    candidate: Optional[str] = None


@dataclass(frozen=True)
class BirthDateProblem:
    code: str  # "empty" | "not_a_date" | "impossible_date" | "future_date" | "too_old"


_WHOLE_FORM = re.compile(IDENTIFIER_FORM)
_CIN_IN_TEXT = re.compile(CIN_IN_TEXT, re.IGNORECASE)
_NUMBER_IN_TEXT = re.compile(rf"(?<!\d){grouped_digits(1)}")
_SEPARATORS = re.compile(SEPARATOR + "+")


def _whole_form(text: str) -> Optional[Tuple[str, str]]:
    """(letters, digits), separators removed, when the whole of `text` is one
    identifier's form (`IDENTIFIER_FORM`); letters is "" for a number alone."""
    form = _WHOLE_FORM.fullmatch(text)
    if form is None:
        return None
    return _SEPARATORS.sub("", form.group("letters") or "").upper(), _SEPARATORS.sub("", form.group("number"))


def cin_shaped(text: str) -> bool:
    """True when the whole of `text` is letters then digits, as a CIN is written ("AB12",
    "d 123456"), whatever its length checks say. A number alone is not: a bare "2" picks
    a numbered option."""
    form = _whole_form(fold(text or "").strip())
    return bool(form and form[0])


def whole_identifier_kind(text: str) -> Optional[str]:
    """"cin" or "immatriculation" when the whole of `text` is one (the first thing
    `parse_identifier` tries: "d 123456", "b.k-123-456", "123/456/789"), whatever its
    length checks say; else None."""
    form = _whole_form(fold(text or "").strip())
    if form is None:
        return None
    letters, digits = form
    if letters:
        return "cin" if len(digits) >= CIN_DIGITS.start else None
    return "immatriculation" if len(digits) >= PLAUSIBLE_REGISTRATION_DIGITS.start else None


def parse_identifier(text: str) -> Union[Identifier, IdentifierProblem]:
    """A CIN or an immatriculation number found in what the member wrote."""
    text = fold(text or "").strip()
    if not text:
        return IdentifierProblem("empty")
    if len(text) > _MAX_INPUT:
        return IdentifierProblem("not_an_identifier")
    form = _whole_form(text)
    if form:
        letters, digits = form
        return _cin(letters, digits) if letters else _registration_number(digits)
    # The identifier inside a sentence: "ma CIN c'est AB123456".
    found = _CIN_IN_TEXT.search(text)
    if found:
        return _cin(_SEPARATORS.sub("", found.group("letters")).upper(), _SEPARATORS.sub("", found.group("digits")))
    numbers = [_SEPARATORS.sub("", m.group()) for m in _NUMBER_IN_TEXT.finditer(text)]
    if numbers:
        return _registration_number(max(numbers, key=len))
    return IdentifierProblem("not_an_identifier")


def _cin(letters: str, digits: str) -> Union[Identifier, IdentifierProblem]:
    if len(digits) < CIN_DIGITS.start:
        return IdentifierProblem("too_short")
    if len(digits) >= CIN_DIGITS.stop:
        return IdentifierProblem("too_long")
    return Identifier("cin", letters + digits)


def _registration_number(digits: str) -> Union[Identifier, IdentifierProblem]:
    if len(digits) == IMMATRICULATION_DIGITS:
        return Identifier("immatriculation", digits)
    if len(digits) in PLAUSIBLE_REGISTRATION_DIGITS:
        return IdentifierProblem("unusual_length", candidate=digits)
    return IdentifierProblem("too_short" if len(digits) < IMMATRICULATION_DIGITS else "too_long")


_DATE_IN_TEXT = re.compile(DATE, re.IGNORECASE)


def parse_birth_date(text: str, today: date) -> Union[date, BirthDateProblem]:
    """A birth date in one of the usual written forms, checked to be plausible."""
    text = fold(text or "").strip()
    if not text:
        return BirthDateProblem("empty")
    if len(text) > _MAX_INPUT:
        return BirthDateProblem("not_a_date")
    found = _DATE_IN_TEXT.search(text)
    if not found or (found.group("wd") and not found.group("wy")):
        return BirthDateProblem("not_a_date")
    day, month, year = _date_parts(found)
    if year < 100:
        # Two-digit year: the most recent such year that is not in the future.
        year += 2000 if 2000 + year <= today.year else 1900
    try:
        born = date(year, month, day)
    except ValueError:
        return BirthDateProblem("impossible_date")
    if born > today:
        return BirthDateProblem("future_date")
    if _years_between(born, today) > MAX_AGE_YEARS:
        return BirthDateProblem("too_old")
    return born


def _date_parts(found: "re.Match[str]") -> tuple:
    g = found.group
    if g("d"):
        return int(g("d")), int(g("m")), int(g("y"))
    if g("d2"):
        return int(g("d2")), int(g("m2")), int(g("y2"))
    if g("iyear"):
        return int(g("iday")), int(g("imonth")), int(g("iyear"))
    month_name = re.sub(r"\s+", " ", g("wm").lower())
    return int(g("wd")), MONTHS[month_name], int(g("wy"))


def _years_between(earlier: date, later: date) -> int:
    return later.year - earlier.year - ((later.month, later.day) < (earlier.month, earlier.day))
