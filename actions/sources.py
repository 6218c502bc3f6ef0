"""Where an answer comes from: "source ?" after a knowledge answer gets the pages
behind that answer's facts (knowledge/<topic>.yml -> source IDs -> URLs of the
register in knowledge/amo-facts.md), official CNSS pages first, and the date checked.

The lookup is plain Python over knowledge/; the action finds the last knowledge
answer in the conversation. During a form, only an answer given since the form
started counts; with none, the official pages behind the form's own topic (the
question it asks comes from them). Otherwise the general answer utter_followup_source,
which points to the official sites and 3939.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Text, Tuple

import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

KNOWLEDGE_DIR = Path(__file__).resolve().parent.parent / "knowledge"
FACTS_FILE = KNOWLEDGE_DIR / "amo-facts.md"
GENERAL = "utter_followup_source"
MAX_PAGES = 3
# Official pages first: the CNSS and its portals, then the other public bodies.
OFFICIAL = ("cnss.ma", "macnss.ma", "anam.ma", "cnops.org.ma", "tax.gov.ma")
_ROW = re.compile(r"^\| (S\d+b?) \|(.*)$", re.M)
_URL = re.compile(r"https?://[^\s|)]+")


@dataclass(frozen=True)
class Topic:
    title: Dict[str, str]
    checked: str
    sources: Tuple[str, ...]
    form: Optional[str] = None  # the form this topic's intent starts, if any


@lru_cache(maxsize=1)
def register(facts_text: Optional[str] = None) -> Dict[str, str]:
    """Source ID -> its URL (the first address in its row of the register)."""
    text = facts_text if facts_text is not None else FACTS_FILE.read_text(encoding="utf-8")
    urls: Dict[str, str] = {}
    for source, rest in _ROW.findall(text):
        found = _URL.search(rest)
        if found and source not in urls:
            urls[source] = found.group(0).rstrip(".,;")
    return urls


@lru_cache(maxsize=1)
def topics() -> Dict[str, Topic]:
    """Response name (utter_<topic>) -> the topic's title, date checked and sources."""
    found: Dict[str, Topic] = {}
    for path in sorted(KNOWLEDGE_DIR.glob("**/*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict) or "topic" not in data or "facts" not in data:
            continue
        sources: List[str] = []
        for fact in data["facts"]:
            sources += [s for s in fact.get("sources") or [] if s not in sources]
        found[f"utter_{data['topic']}"] = Topic(data["title"], str(data["checked"]), tuple(sources), data.get("form"))
    return found


def is_official(url: str) -> bool:
    host = url.split("://", 1)[-1].split("/", 1)[0].lower()
    return any(host == domain or host.endswith("." + domain) for domain in OFFICIAL)


def pages(sources: Iterable[str], urls: Dict[str, str], limit: int = MAX_PAGES) -> List[str]:
    """The official pages among these sources (in the facts' order, no repeats, at most
    `limit`); when the answer rests on no official page, its first two other sources."""
    listed: List[str] = []
    for source in sources:
        url = urls.get(source)
        if url and url not in listed:
            listed.append(url)
    official = [url for url in listed if is_official(url)]
    return official[:limit] if official else listed[:2]


def answer_asked_about(
    events: Iterable[Dict[str, Any]], known: Dict[str, Topic], urls: Dict[str, str], form: Optional[str] = None
) -> Optional[str]:
    """The last knowledge answer; while `form` is active, the last one since it started,
    else the form's own topic if an official page is behind it (a form's question sent to
    the press would not be "the page to check"). None when there is neither."""
    for event in reversed(list(events)):
        if form and event.get("event") == "active_loop" and event.get("name") == form:
            break
        if event.get("event") != "bot":
            continue
        name = (event.get("metadata") or {}).get("utter_action")
        if name in known:
            return name
    return next(
        (
            name
            for name, topic in known.items()
            if form and topic.form == form and any(is_official(url) for url in pages(topic.sources, urls))
        ),
        None,
    )


class ActionAnswerSource(Action):
    """The official pages behind the answer asked about (`answer_asked_about`), or the general answer."""

    def name(self) -> Text:
        return "action_answer_source"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        known = topics()
        urls = register()
        response = answer_asked_about(tracker.events, known, urls, tracker.active_loop_name)
        listed = pages(known[response].sources, urls) if response else []
        if not listed:
            dispatcher.utter_message(response=GENERAL)
            return []
        topic = known[response]
        language = tracker.get_slot("language") or "fr"
        dispatcher.utter_message(
            response="utter_answer_sources",
            topic=topic.title.get(language) or topic.title.get("fr", ""),
            checked=topic.checked,
            pages="\n".join(f"• {url}" for url in listed),
        )
        return []
