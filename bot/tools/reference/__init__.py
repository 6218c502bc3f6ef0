"""Quick reference for desk agents: `python -m bot.tools.reference`.

An agent types a member's question in any language; the tool shows what the
assistant understood (language, intent, confidence, a close runner-up) and the
official answer in French, Arabic and Darija with the facts' sources. Answers
come from knowledge/*.yml; replies to conversation intents (greet, help...)
from the domain/ directory, through the rule that answers each intent in data/rules.yml.

This module holds the data side, with no Rasa import: what to show for a
parse result. `__main__` loads the model and prints; `sheet` writes the HTML.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Optional

import yaml
from rasa.shared.core.domain import Domain
from rasa.shared.exceptions import RasaException

from bot.tools.knowledge import ROOT, Topic, load_topics

# A runner-up this close to the top intent is worth the agent's attention.
RUNNER_UP_GAP = 0.15
# Members' questions are a sentence or two; a pasted document is not a question.
MAX_QUESTION = 1000
# The three reply languages, each under its own name, and which read right to left.
HEADING = {"fr": "Français", "ar": "العربية", "dar": "الدارجة"}
RIGHT_TO_LEFT = {"ar", "dar"}
LANGUAGE_NAMES = {
    "fr": "French",
    "ar": "Arabic",
    "dar": "Darija (Arabic script)",
    "dar-latn": "Darija (Latin script, Arabizi)",
}


def conversation_replies(domain: Dict[str, Any], rules: Dict[str, Any]) -> Dict[str, Dict[str, str]]:
    """Intent -> {language: text} of the response a rule utters right after it.

    When several rules start with one intent, the one with no entity condition
    wins: it is the general case ("change_language" without a language named).
    """
    responses = domain.get("responses") or {}
    chosen: Dict[str, tuple] = {}
    for rule in rules.get("rules") or []:
        steps = rule.get("steps") or []
        if len(steps) < 2 or "intent" not in steps[0]:
            continue
        intent, action = steps[0]["intent"], steps[1].get("action", "")
        if action not in responses:
            continue
        conditional = "entities" in steps[0]
        if intent not in chosen or (chosen[intent][0] and not conditional):
            chosen[intent] = (conditional, action)
    return {
        intent: {
            variation["condition"][0]["value"]: variation["text"].strip()
            for variation in responses[action]
            if variation.get("condition")
        }
        for intent, (_, action) in chosen.items()
    }


def question(text: str) -> str:
    """The question as the model should see it; ValueError says what is wrong.

    Control characters (binary pasted in, escape sequences) become spaces.
    """
    cleaned = "".join(" " if unicodedata.category(c) == "Cc" else c for c in text)
    cleaned = " ".join(cleaned.split())
    if not cleaned:
        raise ValueError("Type a question (any language).")
    if len(cleaned) > MAX_QUESTION:
        raise ValueError(f"That is {len(cleaned)} characters; a question has at most {MAX_QUESTION}.")
    return cleaned


@dataclass(frozen=True)
class Reference:
    topics: Dict[str, Topic]
    replies: Dict[str, Dict[str, str]]
    # Why the conversation replies are missing, if they are: the knowledge
    # answers, the point of the tool, still work without the domain/ directory.
    problem: Optional[str] = None

    @classmethod
    def load(cls, root: Path = ROOT) -> "Reference":
        """Raises OSError, yaml.YAMLError or KeyError when knowledge/ is unreadable."""
        topics = load_topics(root / "knowledge")
        try:
            domain = Domain.load(str(root / "domain")).as_dict()
            rules = yaml.safe_load((root / "data" / "rules.yml").read_text(encoding="utf-8")) or {}
            return cls(topics, conversation_replies(domain, rules))
        except (OSError, yaml.YAMLError, AttributeError, KeyError, IndexError, TypeError, RasaException) as error:
            return cls(topics, {}, f"conversation replies unavailable: {' '.join(str(error).split())}")


@dataclass(frozen=True)
class Guess:
    name: str
    confidence: float


@dataclass(frozen=True)
class Reading:
    """What the assistant understood of one question, and what it answers."""

    language: Optional[str]  # None: the message does not tell its language
    language_confidence: float
    mixed: bool
    intent: Guess
    runner_up: Optional[Guess]
    topic: Optional[Topic]  # None: not a knowledge topic
    texts: Dict[str, str]  # the answer or the conversation reply, per reply language


def read(parse_data: Dict[str, Any], reference: Reference) -> Reading:
    """A Reading of Rasa's parse data (`Agent.parse_message`)."""
    intent = parse_data.get("intent") or {}
    top = Guess(intent.get("name") or "nlu_fallback", float(intent.get("confidence") or 0.0))
    ranking = [
        Guess(item["name"], float(item["confidence"]))
        for item in parse_data.get("intent_ranking") or []
        if item.get("name") != top.name
    ]
    # rounded: 0.65 - 0.50 is 0.15000000000000002 in floats, and it is within 0.15
    close = ranking and round(top.confidence - ranking[0].confidence, 6) <= RUNNER_UP_GAP
    runner_up = ranking[0] if close else None
    language = parse_data.get("language") or {}
    topic = reference.topics.get(top.name)
    return Reading(
        language=language.get("name"),
        language_confidence=float(language.get("confidence") or 0.0),
        mixed=bool(language.get("mixed")),
        intent=top,
        runner_up=runner_up,
        topic=topic,
        texts=topic.answer if topic else reference.replies.get(top.name, {}),
    )
