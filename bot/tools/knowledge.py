"""Knowledge answers: one YAML file per topic in knowledge/, with the facts behind
each answer, their sources in knowledge/amo-facts.md and the date checked.

Desk agents and updates edit knowledge/*.yml only. `python -m bot.knowledge`
(run by `make train`) writes the answers into domain.yml as responses with a
variation per language, and the rules into data/knowledge_rules.yml: a topic's
intent is answered, or starts the topic's `form`, and every topic is answered in
the middle of a form, which then resumes. knowledge/eligibility/ (the answers
that end the eligibility check) and knowledge/followups/ (answers to short
follow-ups such as "and my children?") give responses only, with no intent:
actions and rules in data/rules.yml use them.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

import yaml

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE_DIR = ROOT / "knowledge"
OUTCOMES_DIR = KNOWLEDGE_DIR / "eligibility"
FOLLOWUPS_DIR = KNOWLEDGE_DIR / "followups"
DOMAIN = ROOT / "domain.yml"
RULES = ROOT / "data" / "knowledge_rules.yml"
LANGUAGES = ("fr", "ar", "dar")
# Asked after every answer given outside a form; the answers feed the analysts' review.
FEEDBACK_QUESTION = "utter_ask_helpful"
MARKER = "  # >>> knowledge answers: generated from knowledge/*.yml by `python -m bot.knowledge`; edit those files\n"


@dataclass(frozen=True)
class Topic:
    topic: str
    title: Dict[str, str]
    checked: str
    facts: List[dict]
    answer: Dict[str, str]
    next: List[str]
    form: Optional[str] = None

    @property
    def response(self) -> str:
        return f"utter_{self.topic}"


def load_topics(directory: Path = KNOWLEDGE_DIR) -> Dict[str, Topic]:
    topics = {}
    for path in sorted(directory.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        topics[data["topic"]] = Topic(
            topic=data["topic"],
            title=data["title"],
            checked=str(data["checked"]),
            facts=data["facts"],
            answer={lang: data["answer"][lang].strip() for lang in LANGUAGES},
            next=data.get("next", []),
            form=data.get("form"),
        )
    return topics


def load_answers_without_intent() -> Dict[str, Topic]:
    return {**load_topics(OUTCOMES_DIR), **load_topics(FOLLOWUPS_DIR)}


def responses(topics: Dict[str, Topic], others: Dict[str, Topic]) -> Dict[str, list]:
    result = {}
    for topic in [*topics.values(), *others.values()]:
        variations = []
        for lang in LANGUAGES:
            variation = {
                "condition": [{"type": "slot", "name": "language", "value": lang}],
                "text": topic.answer[lang],
            }
            buttons = [
                {"title": topics[name].title[lang], "payload": f"/{name}"}
                for name in topic.next
                if name in topics
            ]
            if buttons:
                variation["buttons"] = buttons
            variations.append(variation)
        result[topic.response] = variations
    return result


def rules(topics: Dict[str, Topic]) -> dict:
    forms = sorted({topic.form for topic in topics.values() if topic.form})
    result = []
    for topic in topics.values():
        if topic.form:
            steps = [{"intent": topic.topic}, {"action": topic.form}, {"active_loop": topic.form}]
            result.append({"rule": f"{topic.topic} starts {topic.form}", "steps": steps})
            continue
        result.append(
            {
                "rule": f"answer {topic.topic}",
                "steps": [{"intent": topic.topic}, {"action": topic.response}, {"action": FEEDBACK_QUESTION}],
            }
        )
        for form in forms:
            result.append(
                {
                    "rule": f"answer {topic.topic} during {form}, then resume",
                    "condition": [{"active_loop": form}],
                    "steps": [
                        {"intent": topic.topic},
                        {"action": topic.response},
                        {"action": form},
                        {"active_loop": form},
                    ],
                }
            )
    return {"version": "3.1", "rules": result}


def _dump(data) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10_000)


def rendered_domain(topics: Dict[str, Topic], others: Dict[str, Topic], domain_text: str) -> str:
    head = domain_text.split(MARKER)[0].rstrip("\n") + "\n\n"
    body = "".join("  " + line + "\n" for line in _dump(responses(topics, others)).splitlines())
    return head + MARKER + body


def rendered_rules(topics: Dict[str, Topic]) -> str:
    return "# Generated from knowledge/*.yml by `python -m bot.knowledge`; do not edit.\n" + _dump(
        rules(topics)
    )


def main() -> int:
    topics, others = load_topics(), load_answers_without_intent()
    DOMAIN.write_text(rendered_domain(topics, others, DOMAIN.read_text(encoding="utf-8")), encoding="utf-8")
    RULES.write_text(rendered_rules(topics), encoding="utf-8")
    print(f"{len(topics)} topics and {len(others)} other answers written to {DOMAIN.name} and {RULES.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
