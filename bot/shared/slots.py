"""Slot names and slot values that both servers read: the action server sets them, the
Rasa server's tracker store decides from them what it may store in clear."""
from __future__ import annotations

# The file-status form's slots. The identifier slot only ever holds a masked value.
IDENTIFIER_SLOT = "member_identifier"
BIRTH_DATE_SLOT = "member_birth_date"
# What the birth-date slot holds once validated: the outcome, never the date.
VERIFIED, LOCKED, UNAVAILABLE = "verified", "locked", "unavailable"
BIRTH_DATE_OUTCOMES = frozenset({VERIFIED, LOCKED, UNAVAILABLE})
