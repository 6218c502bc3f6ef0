"""The normalisers as they run in the pipeline: after Rasa's WhitespaceTokenizer."""
import pytest
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.server.nlu.normalizers import ArabicNormalizer, LatinNormalizer

TOKENIZER = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
PIPELINE = [ArabicNormalizer(), LatinNormalizer()]


def run(text: str):
    message = Message({TEXT: text})
    TOKENIZER.process([message])
    for component in PIPELINE:
        component.process([message])
    return message, message.get(TOKENS_NAMES[TEXT])


def test_tokens_are_normalised_and_offsets_point_into_raw_text():
    raw = "Wach l'inscription f AMO بالمجّان؟"
    message, tokens = run(raw)
    assert [t.text for t in tokens] == ["wach", "l", "inscription", "f", "amo", "بالمجان"]
    for token in tokens:
        assert raw[token.start : token.end].lower().replace("ّ", "") == token.text or token.text == "بالمجان"
    assert raw[tokens[-1].start : tokens[-1].end] == "بالمجّان"
    assert message.get(TEXT) == raw  # the member's text itself is untouched


def test_arabizi_digits_survive_the_pipeline():
    _, tokens = run("Ch7aaal khassni nkhless 3la AMO?")
    assert [t.text for t in tokens] == ["ch7al", "khassni", "nkhless", "3la", "amo"]


def test_mixed_scripts_each_token_by_its_own_script():
    _, tokens = run("كيفاش ندير l'Inscription ف AMO")
    assert [t.text for t in tokens] == ["كيفاش", "ندير", "l", "inscription", "ف", "amo"]


@pytest.mark.parametrize("text", ["", " ", "👍👍", "🙏", "12345", "\u200f\u200e", "؟؟؟"])
def test_degenerate_messages_do_not_crash(text):
    _, tokens = run(text)
    # The classifiers expect at least one token, blank messages included.
    assert tokens is not None and len(tokens) >= 1


def test_digits_only_is_kept_as_a_number():
    _, tokens = run("123456789")
    assert [t.text for t in tokens] == ["123456789"]


def test_right_to_left_marks_are_removed_inside_tokens():
    _, tokens = run("\u200fالسلام\u200f عليكم")
    assert [t.text for t in tokens] == ["السلام", "عليكم"]


def test_ten_thousand_characters():
    text = ("salaaam " * 700 + "سلااام " * 500)[:10_000]
    _, tokens = run(text)
    assert len(tokens) > 1000
    # every whole word squeezed to one form (the cut at 10,000 may split the last)
    assert {t.text for t in tokens[:-1]} == {"salam", "سلام"}


def test_training_data_is_normalised_the_same_way():
    message = Message({TEXT: "Merciiii bzaaaf"})
    data = TrainingData([message])
    TOKENIZER.process_training_data(data)
    for component in PIPELINE:
        component.process_training_data(data)
    assert [t.text for t in message.get(TOKENS_NAMES[TEXT])] == ["merci", "bzaf"]


def _transliterated(text: str, language: str):
    from rasa.shared.nlu.constants import METADATA, METADATA_INTENT

    from bot.server.nlu.normalizers import ArabiziTransliterator

    message = Message({TEXT: text, METADATA: {METADATA_INTENT: {"language": language}}})
    TOKENIZER.process([message])
    for component in (*PIPELINE, ArabiziTransliterator()):
        component.process([message])
    return message.get(TOKENS_NAMES[TEXT])


def test_arabizi_words_get_arabic_script_twins_at_the_same_offsets():
    raw = "Kifach nsjl f AMO?"
    tokens = _transliterated(raw, "dar-latn")
    texts = [t.text for t in tokens]
    assert texts[:4] == ["kifach", "nsjl", "f", "amo"] and "كيفاش" in texts and "نسجل" in texts
    twin = next(t for t in tokens if t.text == "كيفاش")
    assert raw[twin.start : twin.end] == "Kifach"


def test_french_and_arabic_messages_get_no_twins():
    assert [t.text for t in _transliterated("comment m'inscrire", "fr")] == ["comment", "m", "inscrire"]
    assert [t.text for t in _transliterated("كيفاش نتسجل", "dar")] == ["كيفاش", "نتسجل"]
