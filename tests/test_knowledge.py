"""Knowledge answers are grounded in knowledge/amo-facts.md."""
import re

import pytest

from bot.tools import knowledge
from tests.conftest import ROOT
from tests.helpers import CONTRACT_INTENTS, DOMAIN
from bot.shared.languages import REPLY_LANGUAGES

FACTS = (ROOT / "knowledge" / "amo-facts.md").read_text(encoding="utf-8")
SOURCES = set(re.findall(r"^\| (S\d+b?) \|", FACTS, re.M))
FACTS_FLAT = FACTS.replace(",", "").replace(" ", "")
TOPICS = knowledge.load_topics()
OTHERS = knowledge.load_answers_without_intent()
ANSWERS = {**TOPICS, **OTHERS}
URL = re.compile(r"(?:https?://)?(?:www\.)?[a-z0-9-]+\.(?:ma|com|org)(?:/[^\s)]*)?")


def test_the_source_register_is_read():
    assert {"S1", "S23", "S132"} <= SOURCES


@pytest.mark.parametrize("intent", [i for i in CONTRACT_INTENTS if i.startswith("ask_")])
def test_every_knowledge_intent_has_a_topic(intent):
    assert intent in TOPICS


@pytest.mark.parametrize("topic", sorted(ANSWERS))
def test_every_fact_cites_sources_that_exist(topic):
    facts = ANSWERS[topic].facts
    assert facts
    for fact in facts:
        assert fact["section"] and fact["confidence"] in ("confirmed", "single source", "uncertain", "not found")
        if fact["confidence"] != "not found":
            assert fact["sources"], fact["text"]
        assert set(fact["sources"]) <= SOURCES, fact["text"]


@pytest.mark.parametrize("topic", sorted(ANSWERS))
@pytest.mark.parametrize("language", REPLY_LANGUAGES)
def test_every_number_and_address_in_an_answer_is_in_the_facts_file(topic, language):
    answer = ANSWERS[topic].answer[language]
    assert not re.search(r"[\u0660-\u0669\u06f0-\u06f9]", answer), "use ASCII digits"
    for url in URL.findall(answer):
        assert url.rstrip(".,;:").split("://")[-1] in FACTS, url
    # French writes "1\u00a0164 DH" and "9,3264284": the groups are one number, the comma a decimal point.
    for number in re.findall(r"\d(?:[\d.,]|[\u00a0\u202f ](?=\d{3}\b))*\d|\d", answer):
        n = re.sub(r"[\u00a0\u202f ]", "", number.rstrip(".,"))
        assert n.replace(",", "") in FACTS_FLAT or (language == "fr" and n.replace(",", ".") in FACTS_FLAT), number


@pytest.mark.parametrize("topic", sorted(ANSWERS))
def test_answers_fit_a_phone_screen_and_offer_next_questions(topic):
    entry = ANSWERS[topic]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", entry.checked)
    for language in REPLY_LANGUAGES:
        assert 0 < len(entry.answer[language]) <= 600
        assert 0 < len(entry.title[language]) <= 20
    assert 2 <= len(entry.next) <= 3
    assert set(entry.next) <= set(TOPICS) and topic not in entry.next
    assert entry.response in DOMAIN.responses
    assert entry.topic in DOMAIN.intents or topic in OTHERS
