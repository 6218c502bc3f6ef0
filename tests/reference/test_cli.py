"""`python -m bot.tools.reference`: --topics, --ask, and what a desk agent reads for each language.

The model tests use the session's model (`model_path`, `parse` from tests/conftest.py).
"""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bot.tools.knowledge import ROOT, load_topics
from bot.tools.reference import Reference, read
from bot.tools.reference.__main__ import answer_lines, reading_lines
from bot.tools.reference.terminal import LRM, Terminal, display_width
from tests.helpers import offsets
from bot.shared.languages import REPLY_LANGUAGES

TOPICS = load_topics()
REFERENCE = Reference.load()


def run(*args: str, columns: int = 100, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot.tools.reference", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "COLUMNS": str(columns), **env},
    )


def flat(text: str) -> str:
    """Text with its line wrapping undone, to find a whole answer in stacked output."""
    return " ".join(text.split())


def test_topics_lists_every_topic_with_three_titles_and_date():
    done = run("--topics")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1] == f"{len(TOPICS)} topics"
    for topic in TOPICS.values():
        (line,) = [line for line in lines if line.replace(LRM, " ").split()[:1] == [topic.topic]]
        for piece in (*(topic.title[lang] for lang in REPLY_LANGUAGES), topic.checked):
            assert piece in line, (topic.topic, piece)


def test_topics_shapes_arabic_titles_with_bidi():
    """The Arabic column is right to left: a title that starts with a Latin word
    ("CPU والمقاول الذاتي") keeps that word at the right end, as an Arabic reader
    expects, so it is reordered with a right-to-left base direction (block(rtl=True)),
    not with the direction of its first letter (line())."""
    done = run("--topics", "--bidi")
    shaped = Terminal(100, shape=True)
    for topic in TOPICS.values():
        title = topic.title["ar"]
        (displayed,) = shaped.block(title, display_width(title), rtl=True)
        assert displayed.strip() in done.stdout, title
        assert title not in done.stdout


def test_the_environment_variable_forces_shaping_like_the_flag():
    assert run("--topics", AMO_TERMINAL_BIDI="1").stdout == run("--topics", "--bidi").stdout


def test_missing_model_gets_a_clear_message():
    done = run("--ask", "salut", "--model", str(ROOT / "models" / "no-such-model.tar.gz"))
    assert done.returncode == 2
    assert "No trained model" in done.stderr and "make train" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_corrupt_model_gets_a_clear_message(tmp_path):
    model = tmp_path / "broken.tar.gz"
    model.write_bytes(b"\x00not a model")
    done = run("--ask", "salut", "--model", str(model))
    assert done.returncode == 2
    assert "Could not load the model" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("typed", ["", "   ", "x" * 5000])
def test_bad_question_is_refused_before_loading_the_model(typed):
    done = run("--ask", typed, "--model", str(ROOT / "models" / "no-such-model.tar.gz"))
    assert done.returncode == 2
    assert "question" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("columns", [120, 200])
def test_real_answers_stay_in_aligned_columns(columns):
    for shape in (True, False):
        term = Terminal(columns, shape)
        for topic in TOPICS.values():
            separators = {tuple(offsets(row)) for row in answer_lines(topic.answer, term)}
            assert len(separators) == 1 and len(next(iter(separators))) == 2, (topic.topic, shape)


def test_one_shot_ask_with_the_real_model(model_path):
    done = run("--ask", "chhal kankhlss f AMO?", "--model", str(model_path), columns=70)
    assert done.returncode == 0, done.stderr[-2000:]
    out = flat(done.stdout)
    assert "Intent ask_contribution_amount" in out
    assert "Darija (Latin script, Arabizi)" in out
    for lang in REPLY_LANGUAGES:
        assert flat(TOPICS["ask_contribution_amount"].answer[lang]) in out, lang
    for fact in TOPICS["ask_contribution_amount"].facts:
        assert ", ".join(fact["sources"]) in out


@pytest.mark.parametrize(
    "text, language, intent",
    [
        ("Combien je dois payer pour l'AMO ?", "fr", "ask_contribution_amount"),
        ("كم يبلغ مبلغ الاشتراك في التأمين الإجباري عن المرض؟", "ar", "ask_contribution_amount"),
        ("شحال خاصني نخلص ف AMO؟", "dar", "ask_contribution_amount"),
        ("wach mrati tqder tdkhol m3aya", "dar-latn", "ask_beneficiaries_who"),
    ],
)
def test_desk_agent_reads_every_languages_question_in_three_languages(parse, text, language, intent):
    reading = read(parse(text), REFERENCE)
    assert (reading.language, reading.intent.name) == (language, intent)
    out = flat("\n".join(reading_lines(reading, Terminal(70, shape=False))))
    assert f"Intent {intent}" in out
    for lang in REPLY_LANGUAGES:
        assert flat(TOPICS[intent].answer[lang]) in out, lang
    assert f"(checked {TOPICS[intent].checked})" in out


def test_conversation_intent_is_said_not_to_be_a_topic(parse):
    reading = read(parse("bonjour"), REFERENCE)
    out = flat("\n".join(reading_lines(reading, Terminal(70, shape=False))))
    assert "Not a knowledge topic: 'greet'" in out
    for lang in REPLY_LANGUAGES:
        assert flat(REFERENCE.replies["greet"][lang]) in out
    assert "Facts and sources" not in out
