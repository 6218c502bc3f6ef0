"""The one vocabulary of languages: what members write in, what the assistant answers in,
and how one maps to the other. Every component, action, tool and bench uses these names."""
from __future__ import annotations

from typing import Optional

# What a member may write in (the contract, docs/intents.md): French, Modern Standard
# Arabic, Darija in Arabic script, Darija in Latin script ("Arabizi").
INPUT_LANGUAGES = ("fr", "ar", "dar", "dar-latn")
ARABIC_SCRIPT_INPUTS = ("ar", "dar")
# What the assistant answers in: Arabizi gets Darija in Arabic script.
REPLY_LANGUAGES = ("fr", "ar", "dar")
REPLY_FOR_INPUT = {"fr": "fr", "ar": "ar", "dar": "dar", "dar-latn": "dar"}
DEFAULT_REPLY_LANGUAGE = "fr"
RIGHT_TO_LEFT = frozenset({"ar", "dar"})

# The slot every response variation is conditioned on, the slot a member's explicit
# choice sticks in, and the key our language identifier adds to the parse data.
LANGUAGE_SLOT = "language"
LANGUAGE_CHOICE_SLOT = "language_choice"
PARSE_KEY = "language"


def reply_language(value: Optional[str]) -> str:
    """The reply language for a slot value or an input code; the default for anything else."""
    if value in REPLY_FOR_INPUT:
        return REPLY_FOR_INPUT[value]
    return DEFAULT_REPLY_LANGUAGE
