"""Labelled questions written as Rasa NLU training data: data/nlu/reviewed/<intent>.yml.

One block per input language, with `metadata: {language: ...}` like the rest of
data/nlu/ (it trains the language identifier). Files are rewritten whole from their
parsed content plus the new examples, and the result is parsed back before it is
written, so a file is never left invalid.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Set, Tuple

import yaml

from bot.shared.unanswered import IGNORED

REVIEWED_DIR = "reviewed"
_INTENT_NAME = re.compile(r"^[a-z][a-z0-9_]{0,127}$")
_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[a-z]{4})?$")  # fr, ar, dar, dar-latn
# Intents Rasa reserves, and our own label for noise.
RESERVED = {"nlu_fallback", IGNORED}
_HEADER = (
    'version: "3.1"\n'
    "# Written by `python -m bot.tools.review label`: redacted member questions the assistant\n"
    "# could not answer, labelled by an analyst. Edit with care; keep one block per language.\n"
)
NO_LANGUAGE = ""


@dataclass
class LabelResult:
    path: Path
    added: List[str] = field(default_factory=list)
    present: List[str] = field(default_factory=list)
    # text -> the other intent that already has it (Rasa's validation rejects both)
    conflicts: Dict[str, str] = field(default_factory=dict)
    unusable: List[str] = field(default_factory=list)


def check_intent_name(intent: str) -> Optional[str]:
    """A reason the name cannot be an intent, or None."""
    if intent in RESERVED:
        return f"'{intent}' is reserved"
    if not _INTENT_NAME.match(intent):
        return f"'{intent}' is not an intent name (lower-case letters, digits, _; a letter first)"
    return None


def domain_intents(domain_path: Path) -> Set[str]:
    """The intents of a domain file or of Rasa's domain directory."""
    from rasa.shared.core.domain import Domain

    return set(Domain.load(str(domain_path)).intents)


def example_text(text: str) -> Optional[str]:
    """The text as one training example, or None when it cannot be one.

    One line (an example per line in Rasa's format), no control characters, and no
    square brackets: Rasa reads `[word](name)` as an entity annotation.
    """
    spaced = (" " if c.isspace() else c for c in text)  # newlines, tabs, U+2028
    cleaned = "".join(
        c for c in spaced if unicodedata.category(c) not in ("Cc", "Cs") and c not in "\ufeff\ufffe\uffff"
    )
    cleaned = " ".join(cleaned.replace("[", "(").replace("]", ")").split())
    # a button payload ("/intent") is not a member's wording
    if not cleaned or cleaned.startswith("/"):
        return None
    return cleaned


def read_blocks(path: Path) -> Dict[str, List[Tuple[str, List[str]]]]:
    """intent -> [(language, examples)] of one NLU file, in file order."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    blocks: Dict[str, List[Tuple[str, List[str]]]] = {}
    for item in data.get("nlu") or []:
        if not isinstance(item, dict) or "intent" not in item:
            continue
        language = ((item.get("metadata") or {}).get("language")) or NO_LANGUAGE
        blocks.setdefault(item["intent"], []).append((language, _examples(item.get("examples"))))
    return blocks


def _examples(examples: object) -> List[str]:
    if isinstance(examples, str):
        lines = (line.strip() for line in examples.splitlines())
        return [line[2:].strip() for line in lines if line.startswith("- ")]
    if isinstance(examples, list):
        return [str(e.get("text", "")) if isinstance(e, dict) else str(e) for e in examples]
    return []


def existing_examples(nlu_dir: Path) -> Dict[str, str]:
    """example text -> intent, over every NLU file under nlu_dir."""
    known: Dict[str, str] = {}
    for path in sorted(nlu_dir.rglob("*.yml")):
        for intent, blocks in read_blocks(path).items():
            for _, examples in blocks:
                for example in examples:
                    known.setdefault(example, intent)
    return known


def render(intent: str, by_language: Dict[str, List[str]]) -> str:
    lines = [_HEADER.rstrip("\n"), "nlu:"]
    for language, examples in by_language.items():
        if not examples:
            continue
        lines.append(f"- intent: {intent}")
        if language:
            lines += ["  metadata:", f"    language: {language}"]
        lines.append("  examples: |")
        lines += [f"    - {example}" for example in examples]
    return "\n".join(lines) + "\n"


def write_examples(
    nlu_dir: Path, intent: str, items: Iterable[Tuple[str, Optional[str]]]
) -> LabelResult:
    """Adds (text, language) pairs as examples of the intent in nlu_dir/reviewed/<intent>.yml."""
    path = nlu_dir / REVIEWED_DIR / f"{intent}.yml"
    result = LabelResult(path)
    known = existing_examples(nlu_dir)
    by_language: Dict[str, List[str]] = {}
    if path.exists():
        for language, examples in read_blocks(path).get(intent, []):
            by_language.setdefault(language, []).extend(examples)
    for text, language in items:
        example = example_text(text)
        if example is None:
            result.unusable.append(text)
        elif known.get(example, intent) != intent:
            result.conflicts[example] = known[example]
        elif example in known:
            result.present.append(example)
        else:
            key = language if language and _LANGUAGE_CODE.match(language) else NO_LANGUAGE
            by_language.setdefault(key, []).append(example)
            known[example] = intent
            result.added.append(example)
    if result.added:
        content = render(intent, by_language)
        parsed = [e for blocks in yaml.safe_load(content)["nlu"] for e in _examples(blocks["examples"])]
        if parsed != [e for examples in by_language.values() for e in examples]:
            raise ValueError(f"refusing to write {path}: the examples would not read back unchanged")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    return result


def label_records(store: Any, records: Sequence[Any], intent: str, nlu_dir: Path) -> Tuple[LabelResult, List[int]]:
    """Writes the records' texts as examples of the intent and marks them reviewed with it.

    `store` is a bot.shared.unanswered.UnansweredStore, `records` its Records. A text that
    is already an example of another intent is left unreviewed (result.conflicts), so the
    analyst sees it again. Returns the result and the ids marked reviewed. The review CLI
    and the staff web app both label through here.
    """
    result = write_examples(nlu_dir, intent, [(r.text, r.language) for r in records])
    kept_out = set(result.conflicts)
    done = [r.id for r in records if example_text(r.text) not in kept_out]
    store.mark_reviewed(done, intent)
    return result, done
