"""Pure text normalisation for Arabic script, Arabizi and French (no Rasa import).

Both normalisers work on one token at a time, so that token offsets keep
pointing into the raw message (entities are extracted from the raw text).
"""
from __future__ import annotations

import re
import unicodedata
from typing import Tuple

# Harakat, Quranic marks, superscript alef and tatweel carry no meaning for intent
# detection and are used inconsistently by members.
_ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
# Bidi controls, zero-width joiners and the BOM are invisible and split nothing.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\u061c]")
_ARABIC_LETTER_MAP = str.maketrans(
    {
        "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا",
        "ى": "ي", "ئ": "ي", "ؤ": "و",
        "ة": "ه",
        # Moroccan letters for g, v and p, written several ways.
        "گ": "ك", "ڭ": "ك", "ݣ": "ك", "ڤ": "ف", "پ": "ب",
        # Arabic-Indic and Eastern (Persian) digits to ASCII.
        **{chr(0x0660 + i): str(i) for i in range(10)},
        **{chr(0x06F0 + i): str(i) for i in range(10)},
    }
)

# SMS forms members use for whole words; mapped to the spelling most used in
# the training data so both forms share features.
SMS_FORMS = {
    "slt": "salut", "bjr": "bonjour", "bsr": "bonsoir", "cc": "coucou",
    "mrc": "merci", "mrci": "merci", "mci": "merci",
    "stp": "svp", "pk": "pourquoi", "pq": "pourquoi", "pkoi": "pourquoi",
    "koi": "quoi", "kel": "quel", "kelle": "quelle",
    "cmt": "comment", "cmnt": "comment", "qd": "quand", "qnd": "quand",
    "bcp": "beaucoup", "tjrs": "toujours", "dsl": "desole",
    "pr": "pour", "ds": "dans", "tt": "tout", "vs": "vous",
    "slm": "salam", "wsh": "wach", "wch": "wach", "wesh": "wach",
    "chokran": "choukran", "shukran": "choukran", "chukran": "choukran",
}
_REPEATS = re.compile(r"(\D)\1{2,}")  # three or more of the same letter: "salaaam"


def normalize_arabic(token: str) -> str:
    """Normalise an Arabic-script token: marks, letter variants, digits."""
    token = _INVISIBLE.sub("", token)
    token = _ARABIC_MARKS.sub("", token)
    return _REPEATS.sub(r"\1", token.translate(_ARABIC_LETTER_MAP))


def normalize_latin(token: str) -> str:
    """Normalise a Latin-script token: case, accents, letter repeats, SMS forms.

    Digits inside words are Arabizi letters (3=ع, 7=ح, 9=ق, 2=ء) and are kept.
    """
    token = _INVISIBLE.sub("", token).lower()
    token = "".join(
        c for c in unicodedata.normalize("NFKD", token) if not unicodedata.combining(c)
    )
    token = token.replace("œ", "oe").replace("æ", "ae")
    token = _REPEATS.sub(r"\1", token)
    return SMS_FORMS.get(token, token)


def is_arabic_char(char: str) -> bool:
    return "\u0600" <= char <= "\u06ff" or "\u0750" <= char <= "\u077f" or "\ufb50" <= char <= "\ufeff"


def script_words(text: str) -> Tuple[int, int]:
    """Counts (words with Arabic letters, words with Latin letters) in a text."""
    arabic = latin = 0
    for word in text.split():
        letters = [c for c in word if c.isalpha()]
        if any(is_arabic_char(c) for c in letters):
            arabic += 1
        elif any(c.isascii() or "\u00c0" <= c <= "\u024f" for c in letters):
            latin += 1
    return arabic, latin


def has_arabic(token: str) -> bool:
    return any(is_arabic_char(c) for c in token)


# Arabizi to Arabic script, the way Darija is spelt in Arabic letters: digraphs first,
# long vowels written, the schwa "e" dropped ("nkhelless" -> "نخلس", "kifach" -> "كيفاش",
# "3afak" -> "عافاك"). It is approximate on purpose: it only has to make the same
# words of the two scripts share character n-grams.
_ARABIZI_DIGRAPHS = (("ch", "ش"), ("sh", "ش"), ("kh", "خ"), ("gh", "غ"), ("ou", "و"), ("oo", "و"), ("ee", "ي"))
_ARABIZI_LETTERS = str.maketrans(
    {
        "2": "ء", "3": "ع", "5": "خ", "7": "ح", "8": "غ", "9": "ق",
        "a": "ا", "b": "ب", "c": "ك", "d": "د", "f": "ف", "g": "ك", "h": "ه", "i": "ي",
        "j": "ج", "k": "ك", "l": "ل", "m": "م", "n": "ن", "o": "و", "p": "ب", "q": "ق",
        "r": "ر", "s": "س", "t": "ت", "u": "و", "v": "ف", "w": "و", "x": "ش", "y": "ي",
        "z": "ز", "e": "",
    }
)
_ARABIZI_WORD = re.compile(r"^[a-z0-9']*[a-z][a-z0-9']*$")
_DOUBLED = re.compile(r"(.)\1+")


def arabizi_to_arabic(token: str) -> str:
    """The Arabic-script spelling of a normalised Arabizi token; "" for a non-word."""
    if not _ARABIZI_WORD.match(token) or token.isdigit():
        return ""
    word = token.replace("'", "")
    for digraph, letter in _ARABIZI_DIGRAPHS:
        word = word.replace(digraph, letter)
    return normalize_arabic(_DOUBLED.sub(r"\1", word.translate(_ARABIZI_LETTERS)))
