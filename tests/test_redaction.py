"""bot.shared.redaction: personal data replaced, ordinary text left readable."""
import pytest

from bot.shared.redaction import redact

REDACTED = [
    # CIN, glued, dashed, spaced capitals, Eastern digits, inside Arabic text
    ("ma cin AB123456", "ma cin <CIN>"),
    ("cin dyali ab123456 3afak", "cin dyali <CIN> 3afak"),
    ("a-654321", "<CIN>"),
    ("BE 123456", "<CIN>"),
    ("رقم البطاقة BE١٢٣٤٥٦", "رقم البطاقة <CIN>"),
    # immatriculation and other long digit runs, grouped or glued to a word
    ("immatriculation 123456789", "immatriculation <ID>"),
    ("numéro 123 456 789 svp", "numéro <ID> svp"),
    ("رقمي ١٢٣٤٥٦٧٨٩", "رقمي <ID>"),
    ("رقمي123456789", "رقمي<ID>"),
    ("1234567", "<ID>"),
    # Moroccan phone numbers
    ("tel 0612345678", "tel <PHONE>"),
    ("06 12 34 56 78", "<PHONE>"),
    ("07.12.34.56.78 merci", "<PHONE> merci"),
    ("0522-12-34-56", "<PHONE>"),
    ("+212 6 12 34 56 78", "<PHONE>"),
    ("+212612345678", "<PHONE>"),
    ("00212 6-12-34-56-78", "<PHONE>"),
    ("+212 (0)6 12 34 56 78", "<PHONE>"),
    ("٠٦١٢٣٤٥٦٧٨", "<PHONE>"),
    # dates, numeric and written, fr / ar / dar / English
    ("né le 12/03/1985", "né le <DATE>"),
    ("12-03-1985", "<DATE>"),
    ("12.03.85", "<DATE>"),
    ("1985-03-12", "<DATE>"),
    ("12 03 1985", "<DATE>"),
    ("le 1er mars 1985", "le <DATE>"),
    ("Né le 12 Mars 1985.", "Né le <DATE>."),
    ("12 fevrier 1990", "<DATE>"),
    ("12 march 1985", "<DATE>"),
    ("tzadt 12 mars 85", "tzadt <DATE>"),
    ("ولدت في 12 مارس 1985", "ولدت في <DATE>"),
    ("زديت ف 12 ماي 1985", "زديت ف <DATE>"),
    ("١٢ غشت ١٩٨٥", "<DATE>"),
    ("12 أبريل 1985", "<DATE>"),
    ("12 كانون الثاني 1990", "<DATE>"),
    ("12 mars", "<DATE>"),  # a day and a month are part of a birth date
    # several at once
    (
        "AB123456 tzadt 12/03/1985 tel 0612345678",
        "<CIN> tzadt <DATE> tel <PHONE>",
    ),
]

KEPT = [
    "ana 3ndi 25 ans",
    "CPU 2021",
    "j'ai payé en 2021 et en 2022",
    "combien pour un revenu de 150000 dh",
    "appelez le 3939",
    "m3aya 2 wlad, 3 w 7 snin",
    "3lach 9albi 7zin",
    "j'ai 2 enfants de 3 et 5 ans",
    "شحال خاصني نخلص ف الشهر؟ 500 درهم؟",
    "la loi 65-00",
    "",
    "🙂🙂🙂",
    "salam",
]


@pytest.mark.parametrize("text, expected", REDACTED)
def test_personal_data_is_replaced(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize("text", KEPT)
def test_ordinary_text_is_left_as_is(text: str) -> None:
    assert redact(text) == text


def test_redaction_is_idempotent() -> None:
    once = redact("AB123456 12/03/1985 0612345678 123456789")
    assert redact(once) == once


def test_huge_and_binary_like_input_does_not_crash() -> None:
    text = ("x\x00\ufffd 0612345678 " * 20000)[:400000]
    redacted = redact(text)
    assert "0612345678" not in redacted
    assert redacted.count("<PHONE>") == text.count("0612345678")
