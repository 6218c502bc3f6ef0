"""Parsing of the identifiers and birth dates members type (pure, no Rasa import).

Formats come from amo-facts.md section 14: a CIN is one or two letters followed by
digits; the CNSS immatriculation is most likely 9 digits (not confirmed), so another
all-digit length is not rejected outright: the member is asked to check it.

`bot.shared.redaction` reuses the patterns below, so what we can parse we also redact.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Dict, Optional, Union

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

# Patterns over folded text. They use digit/letter look-arounds rather than \b so
# that a number glued to an Arabic word ("رقمي123456789") is still found.
NUMERIC_DATE = (
    r"(?<!\d)(?P<d>\d{1,2})\s?(?P<sep>[/.\-])\s?(?P<m>\d{1,2})\s?(?P=sep)\s?(?P<y>\d{4}|\d{2})(?!\d)"
    r"|(?<!\d)(?P<d2>\d{1,2}) (?P<m2>\d{1,2}) (?P<y2>(?:19|20)\d{2})(?!\d)"
)
ISO_DATE = r"(?<!\d)(?P<iyear>(?:19|20)\d{2})(?P<isep>[/.\-])(?P<imonth>\d{1,2})(?P=isep)(?P<iday>\d{1,2})(?!\d)"
WRITTEN_DATE = (
    r"(?<![\w])(?P<wd>\d{1,2})(?:er|st|nd|rd|th)?\s+(?:de\s+)?"
    rf"(?P<wm>{_MONTH_ALTERNATION})\.?(?![^\W\d_])"
    r"(?:,?\s+(?P<wy>\d{4}|\d{2})(?!\d))?"
)
# What members put between the parts of a number: spaces, dashes, dots, slashes, underscores.
SEPARATOR = r"[\s\-_./]"
# Short words, in lower case or capitalised, that come before a number in a sentence
# and are no CIN letters: "revenu de 150000", "appelez le 3939", "f 2021". Capitals
# ("D 123456") stay a CIN. Case-sensitive even where the pattern is not.
_WORDS = "de du le la en et un au ou fi el al f l d w y".split()
NOT_CIN_LETTERS = "(?-i:{})".format("|".join(_WORDS + [word.capitalize() for word in _WORDS if len(word) > 1]))
# One or two letters (any case; "B.K" too) glued, dashed or spaced to 4 to 8 digits,
# the digits possibly grouped: "ab123456", "AB-123456", "bk 123 456", "BK/123/456".
# A group after a separator has 2 digits or more and is not glued to a word, so that
# "ab123456 3afak" stops before the "3".
_CIN_DIGITS = r"(?=(?:[\s\-_./]{0,2}\d){4})\d{1,8}(?:[\s\-_./]{1,2}\d{2,8}(?![^\W\d_]))*"
_CIN_LETTERS = r"[A-Za-z](?:[.\-]?[A-Za-z])?"
CIN = (
    rf"(?<![^\W\d_])(?:(?P<letters>{_CIN_LETTERS})[\-_./]?(?P<cdigits>{_CIN_DIGITS})"
    rf"|(?!{NOT_CIN_LETTERS}\s)(?P<sep_letters>{_CIN_LETTERS}){SEPARATOR}{{1,3}}(?P<sep_digits>{_CIN_DIGITS}))(?!\d)"
)
# Seven digits or more, possibly grouped ("123 456 789", "123/456/789", "123  456  789").
DIGIT_RUN = r"(?<!\d)\d(?:[\s\-_./]{0,3}\d){6,}(?!\d)"

CIN_DIGITS = range(4, 9)  # validators disagree (facts §14); the TNS form has 8 boxes
IMMATRICULATION_DIGITS = 9
PLAUSIBLE_REGISTRATION_DIGITS = range(7, 13)  # other lengths seen in public code (facts §14)
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


_COMPACT_CIN = re.compile(r"([A-Z]{1,2})(\d+)")
_CIN_IN_TEXT = re.compile(CIN, re.IGNORECASE)
_DIGITS_IN_TEXT = re.compile(r"(?<!\d)\d(?:[\s.\-]?\d)*(?!\d)")
_SEPARATORS = re.compile(r"[\s.\-_/]+")


def whole_identifier_kind(text: str) -> Optional[str]:
    """"cin" or "immatriculation" when the whole of `text`, separators removed, is
    one (the first thing `parse_identifier` tries: "d 123456", "b.k-123-456",
    "123/456/789"), whatever its length checks say; else None."""
    compact = _SEPARATORS.sub("", fold(text or "").strip()).upper()
    if compact.isdigit() and len(compact) >= PLAUSIBLE_REGISTRATION_DIGITS.start:
        return "immatriculation"
    if _COMPACT_CIN.fullmatch(compact) and len(compact.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")) >= CIN_DIGITS.start:
        return "cin"
    return None


def parse_identifier(text: str) -> Union[Identifier, IdentifierProblem]:
    """A CIN or an immatriculation number found in what the member wrote."""
    text = fold(text or "").strip()
    if not text:
        return IdentifierProblem("empty")
    if len(text) > _MAX_INPUT:
        return IdentifierProblem("not_an_identifier")
    compact = _SEPARATORS.sub("", text).upper()
    if compact.isdigit():
        return _registration_number(compact)
    cin = _COMPACT_CIN.fullmatch(compact)
    if cin:
        return _cin(cin.group(1), cin.group(2))
    # The identifier inside a sentence: "ma CIN c'est AB123456".
    found = _CIN_IN_TEXT.search(text)
    if found:
        letters = _SEPARATORS.sub("", found.group("letters") or found.group("sep_letters")).upper()
        return _cin(letters, _SEPARATORS.sub("", found.group("cdigits") or found.group("sep_digits")))
    numbers = [_SEPARATORS.sub("", m.group()) for m in _DIGITS_IN_TEXT.finditer(text)]
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


_DATE_IN_TEXT = re.compile(f"{NUMERIC_DATE}|{ISO_DATE}|{WRITTEN_DATE}", re.IGNORECASE)


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
