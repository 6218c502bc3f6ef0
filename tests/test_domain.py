"""The domain against the public contract and the three reply languages."""
import re

import pytest
from rasa.shared.core.domain import Domain

from bot import knowledge
from tests.conftest import ROOT

CONTRACT = (ROOT / "docs" / "intents.md").read_text(encoding="utf-8")
DOMAIN = Domain.load(str(ROOT / "domain.yml"))


_INTENT_PART, _ENTITY_PART = CONTRACT.split("## Entities", 1)
CONTRACT_INTENTS = sorted(set(re.findall(r"^\| ([a-z_]+) \|", _INTENT_PART, re.M)) - {"intent"})
CONTRACT_ENTITIES = sorted(set(re.findall(r"^\| ([a-z_]+) \|", _ENTITY_PART, re.M)) - {"entity"})


def test_the_contract_is_read():
    assert len(CONTRACT_INTENTS) == 31 and len(CONTRACT_ENTITIES) == 7


@pytest.mark.parametrize("intent", CONTRACT_INTENTS)
def test_every_contract_intent_is_in_the_domain(intent):
    assert intent in DOMAIN.intents


@pytest.mark.parametrize("entity", CONTRACT_ENTITIES)
def test_every_contract_entity_is_in_the_domain(entity):
    assert entity in DOMAIN.entities


@pytest.mark.parametrize("name", sorted(DOMAIN.responses))
def test_every_response_has_fr_ar_and_dar(name):
    languages = [
        condition["value"]
        for variation in DOMAIN.responses[name]
        for condition in variation.get("condition", [])
        if condition["name"] == "language"
    ]
    assert sorted(languages) == ["ar", "dar", "fr"], name
    for variation in DOMAIN.responses[name]:
        assert variation.get("text", "").strip(), name


@pytest.mark.parametrize("name", sorted(DOMAIN.responses))
def test_arabic_variations_are_in_arabic_script_and_french_in_latin(name):
    for variation in DOMAIN.responses[name]:
        language = variation["condition"][0]["value"]
        # Placeholders ({rights_open_since}) are filled in the member's language.
        text = re.sub(r"https?://\S+|www\.\S+|AMO|CNSS|CPU|RIB|RSU|IDCS|CNIE|CIN|CNOPS|DGI|TNS|Ma CNSS|\{\w+\}", "", variation["text"])
        arabic = len(re.findall(r"[\u0600-\u06ff]", text))
        latin = len(re.findall(r"[A-Za-zÀ-ÿ]", text))
        if language == "fr":
            assert arabic == 0, name
        else:
            assert arabic > 3 * latin, (name, language)


def test_buttons_fit_whatsapp():
    for name, variations in DOMAIN.responses.items():
        for variation in variations:
            buttons = variation.get("buttons", [])
            assert len(buttons) <= 10, name
            for button in buttons:
                assert len(button["title"]) <= 20, (name, button["title"])


def test_domain_and_rules_are_in_sync_with_the_knowledge_files():
    topics, others = knowledge.load_topics(), knowledge.load_answers_without_intent()
    domain_text = (ROOT / "domain.yml").read_text(encoding="utf-8")
    assert domain_text == knowledge.rendered_domain(topics, others, domain_text), "run: python -m bot.knowledge"
    assert knowledge.RULES.read_text(encoding="utf-8") == knowledge.rendered_rules(topics)
