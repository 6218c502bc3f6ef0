"""Redaction of personal data in free text (pure, no Rasa import).

`redact(text)` replaces identity numbers, CNSS registration numbers and other long
digit runs, phone numbers, e-mail addresses and dates with placeholders, so that
message text can be stored or shown to analysts. A lone year ("CPU 2021"), an age
("25 ans") or a short number stays readable: on its own it identifies nobody.

It is at least as tolerant as the parser (`bot.shared.identifiers`): every form
`parse_identifier` or `parse_birth_date` accepts is redacted, in any case, with any
of its separators, in Eastern digits, and dates in words with or without the year;
tests/test_redaction.py generates those forms to check it.

Used by the tracker store (`bot.server.tracker_store`) and the analysts' review tool.
"""
from __future__ import annotations

import re
from typing import Callable, Dict

from bot.shared.identifiers import CIN, DIGIT_RUN, ISO_DATE, NUMERIC_DATE, WRITTEN_DATE, fold, whole_identifier_kind

PLACEHOLDERS: Dict[str, str] = {
    "email": "<EMAIL>", "date": "<DATE>", "phone": "<PHONE>", "intl_phone": "<PHONE>", "cin": "<CIN>", "id": "<ID>",
    "long_id": "<ID>", "day_month": "<DATE>",
}

_EMAIL = r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+"
# 06/07 mobile, 05 landline; +212 / 00212 / (+212) with or without the trunk 0,
# grouped with spaces, dots or dashes (one or two between groups).
_PHONE = (
    r"(?<![\d+])(?:\(?(?:\+|00)\s?212\)?[\s.\-]{0,2}(?:\(0\)|0)?[\s.\-]{0,2}|0)[5-7](?:[\s.\-]{0,2}\d){8}(?!\d)"
)
# Any other international number: "+33 6 12 34 56 78", "0033 6...".
_INTL_PHONE = r"(?<![\d+])(?:\+|00)\d(?:[\s.\-]{0,2}\d){7,13}(?!\d)"
_LONG_DIGIT_RUN = r"(?<!\d)\d(?:[\s\-_./]{0,3}\d){8,}(?!\d)"
# A day and a month with a slash ("25/01", "zwjt f 25/1"): part of a birth date.
_DAY_MONTH = r"(?<![\d/])(?:0?[1-9]|[12]\d|3[01])\s?/\s?(?:0?[1-9]|1[0-2])(?![\d/])"

# Earlier alternatives win at the same position: "07.12.34.56.78" is a phone number,
# not a date; "12.03.1985" is a date, not a run of digits.
_PII = re.compile(
    "|".join(
        f"(?P<{kind}>{pattern})"
        for kind, pattern in (
            ("email", _EMAIL),
            ("phone", _PHONE),
            # 9 digits or more cannot be a date: "92 - 18 - 43 - 19 - 22" is one number.
            ("long_id", _LONG_DIGIT_RUN),
            # Not a date when more digits follow after a separator ("54 / 86 / 07 / 75").
            ("date", "(?:{})(?!\\s{{0,2}}[/.\\-_]\\s{{0,2}}\\d)".format("|".join((NUMERIC_DATE, ISO_DATE, WRITTEN_DATE)))),
            ("intl_phone", _INTL_PHONE),
            ("cin", CIN),
            ("id", DIGIT_RUN),
            ("day_month", _DAY_MONTH),
        )
    ),
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """`text` with personal data replaced by <EMAIL>, <DATE>, <PHONE>, <CIN> or <ID>."""
    whole = whole_identifier_kind(text) if text and len(text) <= 64 else None
    if whole and not _PII.fullmatch(fold(text.strip())):
        # A message that is one identifier in a shape only the whole-message parse
        # accepts ("d 123456", "b.k 12 34 56").
        return PLACEHOLDERS["cin" if whole == "cin" else "id"]
    return _replace(text, _PII, lambda found: PLACEHOLDERS[found.lastgroup])


_ANY_DIGITS = re.compile(r"\d(?:[\s.\-/]?\d)*")


def redact_answer(text: str) -> str:
    """`redact`, then any digits left become <ID>: for a message that answers a
    request for an identifier or a birth date, where a number in an unusual shape
    ("ab 123 456") is still personal data."""
    return _replace(redact(text), _ANY_DIGITS, lambda found: PLACEHOLDERS["id"])


def _replace(text: str, pattern: "re.Pattern[str]", placeholder: Callable[["re.Match[str]"], str]) -> str:
    if not text:
        return text
    # Matching runs on the folded copy (Eastern digits, alef forms), which has the
    # same length, so the spans found there are cut out of the original text.
    parts, last = [], 0
    for found in pattern.finditer(fold(text)):
        parts += [text[last : found.start()], placeholder(found)]
        last = found.end()
    parts.append(text[last:])
    return "".join(parts)
