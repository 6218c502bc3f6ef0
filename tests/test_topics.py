"""Every knowledge topic answered in each reply language, with its next-step buttons."""
import pytest

from bot.tools import knowledge
from tests.helpers import variant
from bot.shared.languages import REPLY_LANGUAGES

GREETING = {"fr": "Bonjour", "ar": "مرحبا، صباح الخير", "dar": "salam khoya labas"}
TOPICS = knowledge.load_topics()


@pytest.mark.parametrize("language", REPLY_LANGUAGES)
@pytest.mark.parametrize("topic", sorted(name for name, topic in TOPICS.items() if not topic.form))
def test_topic_answered_in_the_reply_language_with_next_steps(conversation, topic, language):
    conversation.say(GREETING[language])
    messages = conversation.say(f"/{topic}")
    answer = next(m for m in messages if m.get("text") == variant(f"utter_{topic}", language))
    assert [b["payload"] for b in answer["buttons"]] == [f"/{name}" for name in TOPICS[topic].next]
    assert [b["title"] for b in answer["buttons"]] == [TOPICS[name].title[language] for name in TOPICS[topic].next]


# The dialogue rules alone (tests/rule_dialogue.py, no model): the topic's question
# gets the topic's answer first, whatever data/rules.yml adds around it.
@pytest.mark.parametrize("topic", sorted(name for name, topic in TOPICS.items() if not topic.form))
def test_topic_answered_by_the_rules_alone(topic):
    from tests.rule_dialogue import RuleDialogue

    assert RuleDialogue().say(topic)[:1] == [TOPICS[topic].response]
