"""What the quick reference shows for a parse result (no model needed)."""
from __future__ import annotations

import pytest
import yaml

from bot.tools.knowledge import ROOT, load_topics
from bot.tools.reference import MAX_QUESTION, Reference, conversation_replies, question, read
from bot.shared.languages import REPLY_LANGUAGES

TOPICS = load_topics()
GREET = {"fr": "Bonjour !", "ar": "مرحبا!", "dar": "السلام!"}
DOMAIN = {
    "responses": {
        "utter_greet": [
            {"condition": [{"type": "slot", "name": "language", "value": lang}], "text": text}
            for lang, text in GREET.items()
        ],
        "utter_ask_language": [
            {"condition": [{"type": "slot", "name": "language", "value": "fr"}], "text": "Quelle langue ?"}
        ],
        "utter_language_changed": [
            {"condition": [{"type": "slot", "name": "language", "value": "fr"}], "text": "C'est noté."}
        ],
    }
}
RULES = {
    "rules": [
        {"rule": "greet", "steps": [{"intent": "greet"}, {"action": "utter_greet"}]},
        {"rule": "named", "steps": [{"intent": "change_language", "entities": ["language"]},
                                    {"action": "utter_language_changed"}]},
        {"rule": "not named", "steps": [{"intent": "change_language"}, {"action": "utter_ask_language"}]},
        {"rule": "custom action", "steps": [{"intent": "check_file_status"}, {"action": "action_file_status"}]},
        {"rule": "after an action", "steps": [{"action": "utter_greet"}, {"intent": "deny"},
                                              {"action": "utter_greet"}]},
    ]
}
REFERENCE = Reference(TOPICS, conversation_replies(DOMAIN, RULES))


def parse_data(intent: str, confidence: float, *others, language="fr", mixed=False) -> dict:
    ranking = [{"name": intent, "confidence": confidence}] + [
        {"name": name, "confidence": conf} for name, conf in others
    ]
    return {
        "text": "...",
        "intent": {"name": intent, "confidence": confidence},
        "intent_ranking": ranking,
        "language": {"name": language, "confidence": 0.9, "mixed": mixed, "reply": language},
    }


def test_every_knowledge_intent_of_the_contract_has_a_topic():
    from tests.helpers import CONTRACT_INTENTS

    wanted = {i for i in CONTRACT_INTENTS if i.startswith("ask_")} | {"check_eligibility", "find_desk", "check_file_status"}
    assert wanted <= set(TOPICS)


@pytest.mark.parametrize(
    "top, second, shown",
    [
        (0.90, 0.05, False),
        (0.60, 0.50, True),
        (0.65, 0.50, True),  # exactly 0.15 apart
        (0.66, 0.50, False),
        (0.40, 0.27, True),
    ],
)
def test_runner_up_only_when_within_gap(top, second, shown):
    reading = read(parse_data("ask_tadamon", top, ("ask_achamil", second)), REFERENCE)
    assert (reading.runner_up is not None) is shown
    if shown:
        assert (reading.runner_up.name, reading.runner_up.confidence) == ("ask_achamil", second)


def test_a_knowledge_intent_shows_its_topic_and_three_answers():
    reading = read(parse_data("ask_contribution_amount", 0.96, language="dar-latn", mixed=True), REFERENCE)
    assert reading.topic is TOPICS["ask_contribution_amount"]
    assert reading.texts == TOPICS["ask_contribution_amount"].answer
    assert (reading.language, reading.mixed) == ("dar-latn", True)


def test_a_conversation_intent_shows_its_reply_and_no_topic():
    reading = read(parse_data("greet", 0.99), REFERENCE)
    assert reading.topic is None
    assert reading.texts == GREET


def test_an_intent_without_topic_or_reply_shows_nothing_to_answer():
    reading = read(parse_data("nlu_fallback", 0.4, ("help", 0.2)), REFERENCE)
    assert reading.topic is None and reading.texts == {}
    assert reading.runner_up is None  # 0.2 below


def test_parse_data_without_language_or_intent_reads_as_unclear_fallback():
    reading = read({"text": "", "intent": {}, "entities": []}, REFERENCE)
    assert reading.language is None and reading.intent.name == "nlu_fallback"
    assert reading.runner_up is None


def test_rule_without_entity_condition_gives_the_reply():
    replies = conversation_replies(DOMAIN, RULES)
    assert replies["change_language"] == {"fr": "Quelle langue ?"}
    assert "check_file_status" not in replies  # a custom action, no fixed text
    assert "deny" not in replies  # only a rule that starts with the intent counts


def test_real_domain_gives_every_ruled_conversation_intent_its_three_languages():
    reference = Reference.load()
    assert reference.problem is None
    domain = yaml.safe_load((ROOT / "domain" / "responses" / "conversation.yml").read_text(encoding="utf-8"))
    for intent in ("greet", "help", "out_of_scope", "nlu_fallback", "talk_to_human"):
        assert set(reference.replies[intent]) == set(REPLY_LANGUAGES)
    assert reference.replies["greet"]["fr"] == domain["responses"]["utter_greet"][0]["text"]


def test_unreadable_domain_leaves_the_knowledge_answers(tmp_path):
    (tmp_path / "knowledge").mkdir()
    (tmp_path / "data").mkdir()
    source = next(iter(TOPICS.values()))
    (tmp_path / "knowledge" / "one.yml").write_text(
        yaml.safe_dump({"topic": source.topic, "title": source.title, "checked": source.checked,
                        "facts": source.facts, "answer": source.answer}, allow_unicode=True),
        encoding="utf-8",
    )
    (tmp_path / "domain").mkdir()
    (tmp_path / "domain" / "core.yml").write_text("responses: [unclosed", encoding="utf-8")
    reference = Reference.load(tmp_path)
    assert list(reference.topics) == [source.topic]
    assert reference.replies == {} and "conversation replies unavailable" in reference.problem


@pytest.mark.parametrize(
    "typed, cleaned",
    [("  salut  ", "salut"), ("chhal\tkankhlss\nf AMO?", "chhal kankhlss f AMO?"),
     ("\x00\x01binary\x7f", "binary"), ("🙂🙂", "🙂🙂"), ("شحال نخلص؟", "شحال نخلص؟")],
)
def test_question_is_cleaned(typed, cleaned):
    assert question(typed) == cleaned


@pytest.mark.parametrize("typed", ["", "   ", "\x00\x1b", "x" * (MAX_QUESTION + 1)])
def test_bad_question_gets_a_clear_message(typed):
    with pytest.raises(ValueError, match=r"question"):
        question(typed)
