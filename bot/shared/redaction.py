"""Redaction of personal data in free text (pure, no Rasa import).

`redact(text)` replaces identity numbers, CNSS registration numbers and other long
digit runs, phone numbers, e-mail addresses and dates with placeholders, so that
message text can be stored or shown to analysts. A lone year ("CPU 2021"), an age
("25 ans") or a short number stays readable: on its own it identifies nobody.

It is at least as tolerant as the parser, whose patterns it uses (`bot.shared.identifiers`):
every form `parse_identifier` or `parse_birth_date` accepts is redacted, in any case,
with any of its separators, in Eastern digits, and dates in words with or without the
year, alone or inside a sentence. Inside a sentence, numbers that say what they are stay
readable even after one or two letters: years ("in 2005-2006"), amounts ("de 150000 dh",
"b 1500 dh"), decimals (the RSU threshold 9,3264284), four digits after a common word
("appelez le 3939", "f 2021"). tests/test_redaction.py generates the forms to check it.

Used by the tracker store (`bot.server.tracker_store`) and the analysts' review tool.
"""
from __future__ import annotations

import re
from typing import Callable, Dict, Optional

from bot.shared.identifiers import (
    CIN_IN_TEXT, DATE, DIGIT_RUN, ORDINARY_NUMBER, fold, grouped_digits, whole_identifier_kind,
)

PLACEHOLDERS: Dict[str, str] = {
    "email": "<EMAIL>", "date": "<DATE>", "phone": "<PHONE>", "intl_phone": "<PHONE>", "cin": "<CIN>", "id": "<ID>",
    "long_id": "<ID>", "day_month": "<DATE>",
}
# Found, and left as it is: a year, an amount, a decimal (`ORDINARY_NUMBER`).
KEPT = "ordinary"

# Spaces around the @ too ("amina @ gmail.com"), and a domain without its ending ("amina@gmail").
# The part before the @ has at most 64 characters (RFC 5321), which also keeps a long
# word from being scanned again from each of its letters.
_EMAIL = r"[\w.+\-]{1,64}\s?@\s?[\w\-]+(?:\.[\w\-]+)*"
# Between the groups of a phone number: spaces, dots, dashes, slashes, brackets ("(0522) 12-34-56").
_PHONE_SEPARATOR = r"[\s.\-/()]{0,2}"
# More digits after it: a longer number ("08-24-46-39-11-52"), not a phone number.
_PHONE_ENDS = rf"(?!{_PHONE_SEPARATOR}\d)"
# 06/07 mobile, 05 landline, 08 free and shared-cost numbers ("080 203 3333");
# +212 / 00212 / (+212) with or without the trunk 0.
_PHONE = (
    rf"(?<![\d+])(?:\(?(?:\+|00)\s?212\)?{_PHONE_SEPARATOR}(?:\(0\)|0)?{_PHONE_SEPARATOR}|\(?0)"
    rf"[5-8](?:{_PHONE_SEPARATOR}\d){{8}}{_PHONE_ENDS}"
)
# Any other international number: "+33 6 12 34 56 78", "0033 (0)6...".
_INTL_PHONE = rf"(?<![\d+])\(?(?:\+|00)\d(?:{_PHONE_SEPARATOR}(?:\(0\))?{_PHONE_SEPARATOR}\d){{7,13}}{_PHONE_ENDS}"
# A day and a month with a slash ("25/01", "zwjt f 25/1"): part of a birth date.
_DAY_MONTH = r"(?<![\d/])(?:0?[1-9]|[12]\d|3[01])\s?/\s?(?:0?[1-9]|1[0-2])(?![\d/])"

# The parser's own patterns (bot.shared.identifiers), so that what it reads is redacted.
# Earlier alternatives win at the same position: "07.12.34.56.78" is a phone number,
# not a date; "2021-2022" years, not a number; "12.03.1985" a date, not a run of digits.
_PII = re.compile(
    "|".join(
        f"(?P<{kind}>{pattern})"
        for kind, pattern in (
            ("email", _EMAIL),
            ("phone", _PHONE),
            ("intl_phone", _INTL_PHONE),
            (KEPT, ORDINARY_NUMBER),
            # 9 digits or more cannot be a date: "92 - 18 - 43 - 19 - 22" is one number.
            ("long_id", rf"(?<!\d){grouped_digits(9)}(?!\d)"),
            # Not a date when more digits follow after a separator ("54 / 86 / 07 / 75").
            ("date", rf"(?:{DATE})(?!\s{{0,2}}[/.\-_]\s{{0,2}}\d)"),
            ("cin", CIN_IN_TEXT),
            ("id", DIGIT_RUN),
            ("day_month", _DAY_MONTH),
        )
    ),
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """`text` with personal data replaced by <EMAIL>, <DATE>, <PHONE>, <CIN> or <ID>."""
    whole = whole_identifier_kind(text) if text and len(text) <= 64 else None
    if whole:
        found = _PII.fullmatch(fold(text.strip()))
        if found is None or found.lastgroup == KEPT:
            # A message that is one identifier in a shape only the whole-message reading
            # takes ("d 123456", "b.k 12 34 56", "f 2021"; "2021-2022" too: alone, it
            # is what the parser reads as a registration number).
            return PLACEHOLDERS["cin" if whole == "cin" else "id"]
    return _replace(text, _PII, lambda found: None if found.lastgroup == KEPT else PLACEHOLDERS[found.lastgroup])


_ANY_DIGITS = re.compile(r"\d(?:[\s.\-/]?\d)*")


def redact_answer(text: str) -> str:
    """`redact`, then any digits left become <ID>: for a message that answers a
    request for an identifier or a birth date, where a number in an unusual shape
    ("ab 123 456") is still personal data."""
    return _replace(redact(text), _ANY_DIGITS, lambda found: PLACEHOLDERS["id"])


def _replace(
    text: str, pattern: "re.Pattern[str]", placeholder: Callable[["re.Match[str]"], Optional[str]]
) -> str:
    """`text` with each match of `pattern` replaced by its placeholder (None: left as written)."""
    if not text:
        return text
    # Matching runs on the folded copy (Eastern digits, alef forms), which has the
    # same length, so the spans found there are cut out of the original text.
    parts, last = [], 0
    for found in pattern.finditer(fold(text)):
        replacement = placeholder(found)
        if replacement is not None:
            parts += [text[last : found.start()], replacement]
            last = found.end()
    parts.append(text[last:])
    return "".join(parts)
