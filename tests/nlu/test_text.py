import pytest

from bot.shared.text import normalize_arabic, normalize_latin, script_words


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("مُحَمَّد", "محمد"),  # diacritics
        ("التأميـــن", "التامين"),  # tatweel, hamza on alef
        ("إسلام", "اسلام"),
        ("آخر", "اخر"),
        ("مستشفى", "مستشفي"),  # alef maqsura
        ("الصحة", "الصحه"),  # taa marbuta
        ("مسؤول", "مسوول"),
        ("٣٩٣٩", "3939"),  # Arabic-Indic digits
        ("۱۲", "12"),  # Eastern Arabic digits
        ("\u200fسلام\u200e", "سلام"),  # right-to-left / left-to-right marks
        ("سلاااام", "سلام"),
        ("ڭاع", "كاع"),
        ("", ""),
    ],
)
def test_normalize_arabic(raw, expected):
    assert normalize_arabic(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Bonjour", "bonjour"),
        ("Réponse", "reponse"),
        ("ÇA", "ca"),
        ("salaaaam", "salam"),
        ("merciiii", "merci"),
        ("slt", "salut"),
        ("bjr", "bonjour"),
        ("cmt", "comment"),
        ("ch7al", "ch7al"),  # Arabizi digits are letters, kept
        ("3afak", "3afak"),
        ("m3a", "m3a"),
        ("9ahwa", "9ahwa"),
        ("2022", "2022"),  # numbers are not squeezed
        ("1000", "1000"),
        ("cœur", "coeur"),
        ("\u202bamo\u202c", "amo"),
        ("", ""),
    ],
)
def test_normalize_latin(raw, expected):
    assert normalize_latin(raw) == expected


@pytest.mark.parametrize(
    "text, arabic_words, latin_words",
    [
        ("salam 3afak", 0, 2),
        ("سلام", 1, 0),
        ("كيفاش ندير l'inscription", 2, 1),
        ("12/03/1985 👍", 0, 0),
        ("", 0, 0),
    ],
)
def test_script_words(text, arabic_words, latin_words):
    assert script_words(text) == (arabic_words, latin_words)
