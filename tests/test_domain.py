"""The domain against the public contract and the three reply languages."""
import re

import pytest
from tests.helpers import CONTRACT_ENTITIES, CONTRACT_INTENTS, DOMAIN


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



@pytest.mark.parametrize("name", sorted(DOMAIN.responses))
def test_every_bullet_starts_its_own_line(name):
    # A folded YAML block (>-) joins a list into one line: WhatsApp then shows one
    # block of text (review L3).
    for variation in DOMAIN.responses[name]:
        for line in variation["text"].splitlines():
            assert "•" not in line.lstrip()[1:], (name, line)


@pytest.mark.parametrize("name", sorted(DOMAIN.responses))
def test_no_arabic_comma_or_semicolon_is_glued_to_an_address(name):
    # Some link detectors keep a "،" or "؛" inside the link, which then breaks (review L13).
    for variation in DOMAIN.responses[name]:
        assert not re.search(r"(?:https?://|www\.)[^\s()]*[،؛]", variation["text"]), (name, variation["text"])
