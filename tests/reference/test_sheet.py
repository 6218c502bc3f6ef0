"""The printable HTML sheet: `python -m bot.tools.reference --export FILE.html`."""
from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import date
from html.parser import HTMLParser
from typing import Dict, List, Tuple

import pytest

from bot.tools.knowledge import ROOT, load_topics
from bot.tools.reference import sheet
from bot.shared.languages import REPLY_LANGUAGES

TOPICS = load_topics()
VOID = {"meta", "br", "hr", "img", "link", "input", "wbr", "col", "area", "base", "source"}
HTML_LANG = {"fr": "fr", "ar": "ar", "dar": "ary"}


class Sheet(HTMLParser):
    """Checks that tags nest properly and collects each answer section's text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: List[str] = []
        self.errors: List[str] = []
        self.topic = ""
        self.answer: Tuple[str, str, str] = ("", "", "")  # topic, lang, dir
        self.in_text = False
        self.answers: Dict[Tuple[str, str], Tuple[str, str]] = {}  # (topic, lang) -> (dir, text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag not in VOID:
            self.stack.append(tag)
        if "topic" in (attrs.get("class") or "").split():
            self.topic = attrs["id"]
        if attrs.get("class") == "answer":
            self.answer = (self.topic, attrs.get("lang"), attrs.get("dir"))
        self.in_text = tag == "p" and bool(self.answer[0])

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(f"unexpected </{tag}>")
        if tag == "p" and self.in_text:
            self.in_text = False
        if tag == "section":
            self.answer = ("", "", "")

    def handle_data(self, data):
        if self.in_text:
            topic, lang, direction = self.answer
            _, text = self.answers.get((topic, lang), (direction, ""))
            self.answers[(topic, lang)] = (direction, text + data)


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("sheet") / "reference.html"
    done = subprocess.run(
        [sys.executable, "-m", "bot.tools.reference", "--export", str(path)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert f"{len(TOPICS)} topics written" in done.stdout
    return path.read_text(encoding="utf-8")


def test_export_is_well_formed_html(exported):
    parser = Sheet()
    parser.feed(exported)
    parser.close()
    assert exported.startswith("<!DOCTYPE html>")
    assert parser.errors == [] and parser.stack == []


def test_export_has_every_topics_three_answers_with_direction_and_language(exported):
    parser = Sheet()
    parser.feed(exported)
    expected_dir = {"fr": "ltr", "ar": "rtl", "dar": "rtl"}
    for name, topic in TOPICS.items():
        for lang in REPLY_LANGUAGES:
            direction, text = parser.answers[(name, HTML_LANG[lang])]
            assert direction == expected_dir[lang], (name, lang)
            assert text == topic.answer[lang], (name, lang)
    assert len(parser.answers) == 3 * len(TOPICS)


def test_export_has_facts_sources_and_dates(exported):
    for topic in TOPICS.values():
        assert f"Checked {topic.checked}" in exported
        for fact in topic.facts:
            assert f"<td>{', '.join(fact['sources'])}</td><td>{fact['confidence']}</td>" in exported
    assert "not in the source register" not in exported  # every cited source is described
    assert "S23</b> Yabiladi" in exported


def test_export_is_self_contained_and_printable_on_a4(exported):
    lowered = exported.lower()
    for external in ("<link", "src=", "href=", "@import", "url(", "<script"):
        assert external not in lowered
    assert "@page { size: A4;" in exported
    assert "page-break-inside: avoid" in exported


def test_every_text_is_escaped():
    topic = next(iter(TOPICS.values()))
    hostile = replace(
        topic,
        topic='x"><script>alert(1)</script>',
        title={**topic.title, "fr": "Tom & <Jerry>"},
        answer={**topic.answer, "ar": "</p></section><script>alert('ar')</script>"},
        facts=[{"text": "<b>bold</b>", "section": "1 & 2", "sources": ["S1<"], "confidence": "sure\""}],
    )
    page = sheet.render({"x": hostile}, {"S1<": "<i>source</i>"}, date(2026, 11, 25))
    assert "<script" not in page and "<b>bold" not in page and "<i>source" not in page
    for escaped in ("Tom &amp; &lt;Jerry&gt;", "&lt;/p&gt;&lt;/section&gt;", "&lt;b&gt;bold&lt;/b&gt;",
                    "1 &amp; 2", "x&quot;&gt;&lt;script&gt;", "&lt;i&gt;source&lt;/i&gt;"):
        assert escaped in page
    parser = Sheet()
    parser.feed(page)
    assert parser.errors == [] and parser.stack == []


def test_source_register_reads_the_facts_table():
    register = sheet.source_register(
        "| ID | Source (URL) | Date |\n|---|---|---|\n"
        "| S0 | The seed article | 2022 |\n| S23 | Yabiladi https://www.yabiladi.com/x | 2018-09 |\n"
    )
    assert register == {"S0": "The seed article (2022)", "S23": "Yabiladi https://www.yabiladi.com/x (2018-09)"}


def test_export_to_an_unwritable_place_says_so(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "bot.tools.reference", "--export", str(tmp_path / "missing" / "x.html")],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 1
    assert "Could not write" in done.stderr and "Traceback" not in done.stderr
