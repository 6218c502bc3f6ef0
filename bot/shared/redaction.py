"""Redaction of personal data in free text (pure, no Rasa import).

`redact(text)` replaces identity numbers, CNSS registration numbers and other long
digit runs, Moroccan phone numbers and dates with placeholders, so that message
text can be stored or shown to analysts. A lone year ("CPU 2021"), an age ("25 ans")
or a short number stays readable: on its own it identifies nobody.

Used by the tracker store (`bot.server.tracker_store`) and the analysts' review tool.
"""
from __future__ import annotations

import re
from typing import Callable, Dict

from bot.shared.identifiers import CIN, DIGIT_RUN, ISO_DATE, NUMERIC_DATE, WRITTEN_DATE, fold

PLACEHOLDERS: Dict[str, str] = {"date": "<DATE>", "phone": "<PHONE>", "cin": "<CIN>", "id": "<ID>"}

# 06/07 mobile, 05 landline; +212 / 00212 with or without the trunk 0, grouped
# with spaces, dots or dashes.
_PHONE = (
    r"(?<![\d+])(?:(?:\+|00)\s?212[\s.\-]?(?:\(0\)|0)?[\s.\-]?|0)[5-7](?:[\s.\-]?\d){8}(?!\d)"
)

# Earlier alternatives win at the same position: "07.12.34.56.78" is a phone number,
# not a date; "12.03.1985" is a date, not a run of digits.
_PII = re.compile(
    "|".join(
        f"(?P<{kind}>{pattern})"
        for kind, pattern in (
            ("phone", _PHONE),
            ("date", "|".join((NUMERIC_DATE, ISO_DATE, WRITTEN_DATE))),
            ("cin", CIN),
            ("id", DIGIT_RUN),
        )
    ),
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """`text` with personal data replaced by <DATE>, <PHONE>, <CIN> or <ID>."""
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
