"""The printable quick-reference sheet: every topic's answer in three languages.

One self-contained HTML file (no external font, style or script), laid out for
A4: a topic never splits across pages, Arabic and Darija sections are
right-to-left. Every piece of text is HTML-escaped.
"""
from __future__ import annotations

import re
from datetime import date
from html import escape
from pathlib import Path
from typing import Dict, Iterable, List

from bot.tools.knowledge import ROOT, Topic
from bot.tools.reference import HEADING, RIGHT_TO_LEFT
from bot.shared.languages import REPLY_LANGUAGES

FACTS_FILE = ROOT / "knowledge" / "amo-facts.md"
# BCP 47: Darija is Moroccan Arabic, "ary".
HTML_LANG = {"fr": "fr", "ar": "ar", "dar": "ary"}
DIRECTION = {lang: "rtl" if lang in RIGHT_TO_LEFT else "ltr" for lang in REPLY_LANGUAGES}
# A row of the facts file's source register: | S23 | Yabiladi, ... https://... | 2018-09 |
_SOURCE_ROW = re.compile(r"^\|\s*(S\d+)\s*\|\s*(.+?)\s*\|\s*(.+?)\s*\|\s*$", re.MULTILINE)

STYLE = """
@page { size: A4; margin: 12mm; }
body { font-family: "DejaVu Sans", "Noto Sans", Arial, sans-serif; font-size: 10pt;
       line-height: 1.4; color: #000; margin: 0 auto; max-width: 190mm; }
[dir="rtl"] { font-family: "Noto Naskh Arabic", "Amiri", "DejaVu Sans", Arial, sans-serif;
              font-size: 11pt; text-align: right; }
h1 { font-size: 16pt; margin: 0 0 2mm; }
h2 { font-size: 12.5pt; margin: 0 0 1mm; }
h2 code { font-size: 9pt; font-weight: normal; color: #444; }
h3 { font-size: 10pt; margin: 0 0 1mm; color: #333; }
.topic { border-top: 1.5pt solid #000; padding: 3mm 0 4mm;
         page-break-inside: avoid; break-inside: avoid; }
.checked { font-size: 9pt; color: #444; margin: 0 0 2mm; }
.answers { display: grid; grid-template-columns: 1fr 1fr 1fr; gap: 4mm; }
.answer p { white-space: pre-line; margin: 0; }
table { border-collapse: collapse; width: 100%; margin-top: 3mm; font-size: 8.5pt; }
th, td { border: 0.5pt solid #999; padding: 1mm 1.5mm; text-align: left; vertical-align: top; }
.sources { page-break-before: always; break-before: page; font-size: 8.5pt; }
.sources li { overflow-wrap: anywhere; }
@media print { body { max-width: none; } }
"""


def source_register(text: str) -> Dict[str, str]:
    """Source id -> "description URL (date)" from the facts file's register."""
    return {sid: f"{what} ({when})" for sid, what, when in _SOURCE_ROW.findall(text)}


def _answer(topic: Topic, lang: str) -> str:
    return (
        f'<section class="answer" lang="{HTML_LANG[lang]}" dir="{DIRECTION[lang]}">'
        f"<h3>{escape(HEADING[lang])}</h3><p>{escape(topic.answer[lang])}</p></section>"
    )


def _fact_row(fact: dict) -> str:
    cells = [fact.get("text", ""), fact.get("section", ""), ", ".join(fact.get("sources", [])),
             fact.get("confidence", "")]
    return "<tr>" + "".join(f"<td>{escape(str(cell))}</td>" for cell in cells) + "</tr>"


def _topic(topic: Topic) -> str:
    titles = " · ".join(
        f'<span lang="{HTML_LANG[lang]}" dir="{DIRECTION[lang]}">{escape(topic.title[lang])}</span>'
        for lang in REPLY_LANGUAGES
    )
    return (
        f'<section class="topic" id="{escape(topic.topic)}">'
        f"<h2>{titles} <code>{escape(topic.topic)}</code></h2>"
        f'<p class="checked">Checked {escape(topic.checked)}</p>'
        f'<div class="answers">{"".join(_answer(topic, lang) for lang in REPLY_LANGUAGES)}</div>'
        "<table><thead><tr><th>Fact</th><th>Section</th><th>Sources</th><th>Confidence</th></tr></thead>"
        f"<tbody>{''.join(_fact_row(fact) for fact in topic.facts)}</tbody></table></section>"
    )


def _sources(cited: Iterable[str], register: Dict[str, str]) -> str:
    items = "".join(
        f"<li><b>{escape(sid)}</b> {escape(register.get(sid, 'not in the source register'))}</li>"
        for sid in sorted(set(cited), key=lambda sid: (len(sid), sid))  # S9 before S10
    )
    return (
        '<section class="sources"><h2>Sources</h2>'
        f"<p>Register of knowledge/amo-facts.md, section 16.</p><ul>{items}</ul></section>"
    )


def render(topics: Dict[str, Topic], register: Dict[str, str], today: date) -> str:
    cited: List[str] = [s for topic in topics.values() for fact in topic.facts for s in fact.get("sources", [])]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>AMO quick reference</title><style>{STYLE}</style></head><body>"
        "<header><h1>AMO quick reference</h1>"
        f'<p class="checked">{len(topics)} topics, from knowledge/*.yml, printed {today.isoformat()}. '
        "Each answer states only the facts listed under it.</p></header>"
        f"{''.join(_topic(topic) for topic in topics.values())}"
        f"{_sources(cited, register)}</body></html>\n"
    )


def write(path: Path, topics: Dict[str, Topic], facts_file: Path = FACTS_FILE) -> None:
    register = source_register(facts_file.read_text(encoding="utf-8")) if facts_file.is_file() else {}
    path.write_text(render(topics, register, date.today()), encoding="utf-8")
