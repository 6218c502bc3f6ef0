"""Helpers shared by the test modules (fixtures are in conftest.py): the domain and
the contract, the text of a response variation, event builders."""
from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Iterable, List

from rasa.shared.core.domain import Domain

ROOT = Path(__file__).resolve().parent.parent
RASA = str(Path(sys.executable).parent / "rasa")

CONTRACT = (ROOT / "docs" / "intents.md").read_text(encoding="utf-8")
_INTENT_PART, _ENTITY_PART = CONTRACT.split("## Entities", 1)
CONTRACT_INTENTS = sorted(set(re.findall(r"^\| ([a-z_]+) \|", _INTENT_PART, re.M)) - {"intent"})
CONTRACT_ENTITIES = sorted(set(re.findall(r"^\| ([a-z_]+) \|", _ENTITY_PART, re.M)) - {"entity"})

# The domain as Rasa trains it: every file of the domain/ directory, merged.
DOMAIN = Domain.load(str(ROOT / "domain"))


def variant(response: str, language: str) -> str:
    """The text of `response` in the reply language `language`."""
    for variation in DOMAIN.responses[response]:
        if variation["condition"][0]["value"] == language:
            return variation["text"]
    raise KeyError(response, language)


def replied(messages: Iterable[dict], response: str, language: str) -> bool:
    return any(m.get("text") == variant(response, language) for m in messages)


def user(text, intent, ranking=(), language=None, channel="rest", metadata=None) -> dict:
    """A serialised `user` event as the tracker store keeps it."""
    parse_data = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9},
        "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking],
    }
    if language:
        parse_data["language"] = {"name": language, "confidence": 0.9, "mixed": False}
    return {"event": "user", "text": text, "parse_data": parse_data,
            "input_channel": channel, "metadata": metadata or {}}


def bot_action(name: str) -> dict:
    return {"event": "action", "name": name}


LISTEN = bot_action("action_listen")
RANKING = [("nlu_fallback", 0.4), ("ask_contribution_amount", 0.31),
           ("ask_contribution_payment", 0.22), ("ask_unpaid_contributions", 0.1),
           ("greet", 0.02)]


def offsets(row: str, mark: str = "│") -> List[int]:
    """Display columns where `mark` appears in a terminal row."""
    from bot.tools.reference.terminal import char_width

    found, used = [], 0
    for char in row:
        if char == mark:
            found.append(used)
        used += char_width(char)
    return found
