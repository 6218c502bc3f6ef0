"""Knowledge answers: one YAML file per topic in knowledge/, with the facts behind
each answer, their sources in knowledge/amo-facts.md and the date checked.

Desk agents and updates edit knowledge/*.yml only. `python -m bot.tools.knowledge`
(run by `make train` when knowledge/ changed) writes two whole files, each saying
so in its first line: domain/generated/knowledge.yml, the answers as responses with a
variation per language, and data/knowledge_rules.yml: a topic's intent is answered,
or starts the topic's `form`, and every topic is answered in the middle of a form,
which then resumes. The subfolders of ANSWER_DIRS (the answers that end the
eligibility check, the answers to short follow-ups such as "and my children?", the
registration steps of each group) give responses only, with no intent: actions and
rules in data/rules.yml use them.

The first line of a generated file carries the hash of what follows it. A file whose
body no longer matches its hash was edited by hand: the generator refuses to
overwrite it, and `--check` (tests/test_generated.py) fails on it.
"""
from __future__ import annotations

import argparse
import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

import yaml
from bot.shared.languages import LANGUAGE_SLOT, REPLY_LANGUAGES

ROOT = Path(__file__).resolve().parents[2]
KNOWLEDGE_DIR = ROOT / "knowledge"
ANSWER_DIRS = ("eligibility", "followups", "registration")
DOMAIN_DIR = ROOT / "domain"
GENERATED_RESPONSES = DOMAIN_DIR / "generated" / "knowledge.yml"
RULES = ROOT / "data" / "knowledge_rules.yml"
HEADER = "# Generated from knowledge/ by `python -m bot.tools.knowledge`: do not edit, edit knowledge/*.yml. sha256:"
# Asked after every answer given outside a form; the answers feed the analysts' review.
FEEDBACK_QUESTION = "utter_ask_helpful"


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
            answer={lang: data["answer"][lang].strip() for lang in REPLY_LANGUAGES},
            next=data.get("next", []),
            form=data.get("form"),
        )
    return topics


def load_answers_without_intent() -> Dict[str, Topic]:
    answers: Dict[str, Topic] = {}
    for name in ANSWER_DIRS:
        answers.update(load_topics(KNOWLEDGE_DIR / name))
    return answers


def responses(topics: Dict[str, Topic], others: Dict[str, Topic]) -> Dict[str, list]:
    result = {}
    for topic in [*topics.values(), *others.values()]:
        variations = []
        for lang in REPLY_LANGUAGES:
            variation = {
                "condition": [{"type": "slot", "name": LANGUAGE_SLOT, "value": lang}],
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


# A form lets go of the member (data/rules.yml has the rest: greet, bot_challenge and
# out_of_scope are side turns too; thanks, goodbye and stop end the form). A knowledge
# answer given during a form is followed by action_note_side_turn, which sets
# form_side_turn: "first", and the form asks its question once more; "second" (the
# previous turn was a side turn too), and the form ends quietly with one button that
# resumes it where it was. Those two rules, per form, are in data/rules.yml.
SIDE_TURN = "action_note_side_turn"


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
                    "rule": f"answer {topic.topic} during {form}, a side turn",
                    "condition": [{"active_loop": form}],
                    "steps": [{"intent": topic.topic}, {"action": topic.response}, {"action": SIDE_TURN}],
                    "wait_for_user_input": False,
                }
            )
    return {"version": "3.1", "rules": result}


def _dump(data) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10_000)


def _generated(data: dict) -> str:
    body = _dump(data)
    return f"{HEADER}{hashlib.sha256(body.encode('utf-8')).hexdigest()}\n{body}"


def rendered_files() -> Dict[Path, str]:
    topics, others = load_topics(), load_answers_without_intent()
    return {
        GENERATED_RESPONSES: _generated({"version": "3.1", "responses": responses(topics, others)}),
        RULES: _generated(rules(topics)),
    }


def edited_by_hand(path: Path) -> bool:
    """True when the file's body is not what its header says was generated."""
    if not path.exists():
        return False
    first, _, body = path.read_text(encoding="utf-8").partition("\n")
    return not first.startswith(HEADER) or first[len(HEADER):] != hashlib.sha256(body.encode("utf-8")).hexdigest()


def stale(files: Dict[Path, str]) -> List[Path]:
    return [path for path, text in files.items() if not path.exists() or path.read_text(encoding="utf-8") != text]


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a generated file is not what knowledge/ gives")
    args = parser.parse_args(argv)
    files = rendered_files()
    if args.check:
        differing = stale(files)
        for path in differing:
            print(f"{path.relative_to(ROOT)} differs from what knowledge/ gives: edit knowledge/*.yml, then run python -m bot.tools.knowledge")
        return 1 if differing else 0
    edited = [path for path in files if edited_by_hand(path)]
    if edited:
        for path in edited:
            print(f"{path.relative_to(ROOT)} was edited by hand; move the change into knowledge/*.yml, then delete the file and rerun")
        return 1
    # Only what changed is written: an unchanged file keeps its time, so make does not retrain.
    changed = stale(files)
    for path in changed:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(files[path], encoding="utf-8")
    print(f"{len(changed)} of {len(files)} generated files written: " + ", ".join(str(p.relative_to(ROOT)) for p in changed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
