"""bot.shared.identifiers: what members type for an identifier or a birth date."""
from datetime import date

import pytest

from bot.shared.identifiers import (
    BirthDateProblem,
    Identifier,
    IdentifierProblem,
    cin_shaped,
    is_masked,
    parse_birth_date,
    parse_identifier,
)

TODAY = date(2026, 11, 25)

IDENTIFIERS = [
    ("AB123456", Identifier("cin", "AB123456")),
    ("ab123456", Identifier("cin", "AB123456")),
    ("  ab 123 456 ", Identifier("cin", "AB123456")),
    ("A-654321", Identifier("cin", "A654321")),
    ("BE١٢٣٤٥٦", Identifier("cin", "BE123456")),
    ("ma cin c'est ab 123456 3afak", Identifier("cin", "AB123456")),
    ("رقم البطاقة ZZ100003", Identifier("cin", "ZZ100003")),
    ("123456789", Identifier("immatriculation", "123456789")),
    ("123 456 789", Identifier("immatriculation", "123456789")),
    ("123-456-789", Identifier("immatriculation", "123456789")),
    ("١٢٣٤٥٦٧٨٩", Identifier("immatriculation", "123456789")),
    ("mon numéro cnss 999900003 merci", Identifier("immatriculation", "999900003")),
    # in a sentence, with the separators a whole message may have
    ("cin Q/472 - 940, merci", Identifier("cin", "Q472940")),
    ("ma cin hiya la 123456", Identifier("cin", "LA123456")),
    ("tsjlt f 2021, ma cin BK 123 456", Identifier("cin", "BK123456")),
    ("appelez le 3939", IdentifierProblem("too_short")),
    ("12345678", IdentifierProblem("unusual_length", "12345678")),
    ("1234 5678 90", IdentifierProblem("unusual_length", "1234567890")),
    ("12345", IdentifierProblem("too_short")),
    ("1234567890123", IdentifierProblem("too_long")),
    ("AB12", IdentifierProblem("too_short")),
    ("AB123456789", IdentifierProblem("too_long")),
    ("bonjour", IdentifierProblem("not_an_identifier")),
    ("🙂🙂", IdentifierProblem("not_an_identifier")),
    ("\x00\xff", IdentifierProblem("not_an_identifier")),
    ("", IdentifierProblem("empty")),
    ("   ", IdentifierProblem("empty")),
    ("1" * 5000, IdentifierProblem("not_an_identifier")),
]


@pytest.mark.parametrize("text, expected", IDENTIFIERS)
def test_parse_identifier(text: str, expected) -> None:
    assert parse_identifier(text) == expected


@pytest.mark.parametrize("text, shaped", [
    ("AB12", True), ("d 123456", True), ("b.k-123", True), ("AB123456789", True),
    ("2", False), ("123456789", False), ("ABC12", False), ("ma CIN AB12", False), ("", False),
])
def test_cin_shaped_is_letters_then_digits_and_nothing_else(text: str, shaped: bool) -> None:
    assert cin_shaped(text) is shaped


def test_masked_identifier_shows_only_two_characters() -> None:
    masked = Identifier("immatriculation", "999900003").masked
    assert masked == "••••03"
    assert is_masked(masked)
    assert not is_masked("••••999900003")


BIRTH_DATES = [
    ("12/03/1985", date(1985, 3, 12)),
    ("12-03-1985", date(1985, 3, 12)),
    ("12.03.1985", date(1985, 3, 12)),
    ("12.03.85", date(1985, 3, 12)),
    ("1/3/05", date(2005, 3, 1)),
    ("1985-03-12", date(1985, 3, 12)),
    ("12 03 1985", date(1985, 3, 12)),
    ("١٢/٠٣/١٩٨٥", date(1985, 3, 12)),
    ("12 mars 1985", date(1985, 3, 12)),
    ("12 Mars 1985", date(1985, 3, 12)),
    ("1er mars 1985", date(1985, 3, 1)),
    ("12 fevrier 1990", date(1990, 2, 12)),
    ("12 février 1990", date(1990, 2, 12)),
    ("3 août 1970", date(1970, 8, 3)),
    ("12 march 1985", date(1985, 3, 12)),
    ("12 mars 85", date(1985, 3, 12)),
    ("tzadt 12 mars 85", date(1985, 3, 12)),
    ("je suis né le 07/08/1982", date(1982, 8, 7)),
    ("12 مارس 1985", date(1985, 3, 12)),
    ("12 ماي 1985", date(1985, 5, 12)),
    ("5 غشت 1979", date(1979, 8, 5)),
    ("5 شتنبر 1979", date(1979, 9, 5)),
    ("5 أبريل 1979", date(1979, 4, 5)),
    ("5 ابريل 1979", date(1979, 4, 5)),
    ("5 دجنبر 1979", date(1979, 12, 5)),
    ("١٢ يوليوز ١٩٨٥", date(1985, 7, 12)),
    ("12 كانون الثاني 1990", date(1990, 1, 12)),
    ("12 تشرين الأول 1990", date(1990, 10, 12)),
    ("12 آذار 1990", date(1990, 3, 12)),
    ("31/02/1985", BirthDateProblem("impossible_date")),
    ("12/13/1985", BirthDateProblem("impossible_date")),
    ("01/01/2027", BirthDateProblem("future_date")),
    ("12/03/1900", BirthDateProblem("too_old")),
    ("12 mars", BirthDateProblem("not_a_date")),
    ("1985", BirthDateProblem("not_a_date")),
    ("demain", BirthDateProblem("not_a_date")),
    ("🙂", BirthDateProblem("not_a_date")),
    ("", BirthDateProblem("empty")),
    ("12/03/1985" * 100, BirthDateProblem("not_a_date")),
]


@pytest.mark.parametrize("text, expected", BIRTH_DATES)
def test_parse_birth_date(text: str, expected) -> None:
    assert parse_birth_date(text, TODAY) == expected


def test_two_digit_year_is_the_latest_year_not_in_the_future() -> None:
    assert parse_birth_date("01/01/26", TODAY) == date(2026, 1, 1)
    assert parse_birth_date("01/01/27", TODAY) == date(1927, 1, 1)


def test_age_limit_is_120_years() -> None:
    assert parse_birth_date("26/11/1905", TODAY) == date(1905, 11, 26)  # 120 years old
    assert parse_birth_date("25/11/1905", TODAY) == BirthDateProblem("too_old")  # 121
