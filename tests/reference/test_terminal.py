"""Arabic in terminals: shaping and visual order, widths, columns, the auto-detection."""
from __future__ import annotations

import arabic_reshaper
import pytest

from bot.tools.reference.terminal import (
    BIDI_ENV,
    LRM,
    Terminal,
    char_width,
    column_widths,
    display_width,
    shaping_wanted,
    wrap,
)
from tests.helpers import offsets

SHAPED = Terminal(width=100, shape=True)
LOGICAL = Terminal(width=100, shape=False)
PRESENTATION_FORMS = range(0xFB50, 0xFF00)



@pytest.mark.parametrize(
    "flag, env, tty, expected",
    [
        (True, {BIDI_ENV: "0"}, False, True),  # the flag wins over everything
        (False, {}, True, False),
        (None, {BIDI_ENV: "1"}, False, True),
        (None, {BIDI_ENV: "off", "TERM_PROGRAM": "vscode"}, True, False),
        (None, {BIDI_ENV: "maybe"}, True, True),  # not a known value: ignored
        (None, {}, False, False),  # a file or another program: logical text
        (None, {"VTE_VERSION": "7006"}, True, False),
        (None, {"VTE_VERSION": "5202"}, True, True),  # VTE before bidi support
        (None, {"KONSOLE_VERSION": "230804"}, True, False),
        (None, {"TERM": "mlterm-256color"}, True, False),
        (None, {"TERM_PROGRAM": "Apple_Terminal"}, True, False),
        (None, {"TERM_PROGRAM": "vscode"}, True, True),  # xterm.js does no bidi
        (None, {"TERM": "xterm-256color"}, True, True),  # unknown: shape
    ],
)
def test_shaping_decision(flag, env, tty, expected):
    shape, reason = shaping_wanted(flag, env, tty)
    assert shape is expected
    assert reason


def test_arabic_word_is_joined_and_reversed_when_bidi_is_on():
    shown = SHAPED.line("مرحبا")
    assert all(ord(c) in PRESENTATION_FORMS for c in shown)
    assert shown == arabic_reshaper.reshape("مرحبا")[::-1]
    assert shown != "مرحبا"


def test_arabic_is_untouched_when_bidi_is_off():
    for text in ("مرحبا", "Montant : مبلغ الاشتراك", "(عربي)"):
        assert LOGICAL.line(text) == text


def test_mixed_french_and_arabic_line_keeps_french_in_place():
    shown = SHAPED.line("Montant : مبلغ الاشتراك")
    assert shown == "Montant : " + arabic_reshaper.reshape("مبلغ الاشتراك")[::-1]


def test_right_to_left_paragraph_mirrors_brackets_and_is_right_aligned():
    (line,) = SHAPED.block("الأجير (على المشغل)", 40, rtl=True)
    shaped = arabic_reshaper.reshape
    assert line.lstrip() == f"({shaped('على المشغل')[::-1]}) {shaped('الأجير')[::-1]}"
    assert line.startswith(" ") and not line.endswith(" ")


@pytest.mark.parametrize(
    "char, width",
    [("a", 1), ("é", 1), ("م", 1), ("ﻣ", 1), ("\u064e", 0), ("\u0301", 0), (LRM, 0), ("\u200d", 0),
     ("中", 2), ("😀", 2), ("ｆ", 2)],
)
def test_char_width(char, width):
    assert char_width(char) == width


def test_display_width_ignores_arabic_marks_and_counts_wide_characters():
    assert display_width("مُحَمَّد") == 4
    assert display_width("e\u0301te\u0301") == 3
    assert display_width("中文 ok") == 7


@pytest.mark.parametrize("width", [5, 12, 30])
@pytest.mark.parametrize(
    "text",
    ["مُحَمَّد كيتسجل ف AMO 😀😀 中文中文中文 supercalifragilistic", "line one\n\nline three est longue"],
)
def test_wrap_fits_the_width_and_keeps_every_character(width, text):
    lines = wrap(text, width)
    assert all(display_width(line) <= width for line in lines)
    assert "".join("".join(lines).split()) == "".join(text.split())


def test_wrap_keeps_the_texts_own_line_breaks():
    assert wrap("a b\n\nc", 10) == ["a b", "", "c"]


@pytest.mark.parametrize("term", [SHAPED, LOGICAL], ids=["shaped", "logical"])
@pytest.mark.parametrize("rtl", [True, False])
def test_block_lines_are_exactly_the_column_width(term, rtl):
    text = "الاشتراك لا لا مُحَمَّد 😀 中文 www.macnss.ma 3939\n• سطر ثاني"
    for line in term.block(text, 17, rtl):
        assert display_width(line) == 17


@pytest.mark.parametrize("term", [SHAPED, LOGICAL], ids=["shaped", "logical"])
def test_columns_stay_aligned_with_wide_and_combining_characters(term):
    widths = [20, 14, 16]
    blocks = [
        term.block("Déclarer e\u0301poux 中文 et enfants 😀 " * 3, widths[0]),
        term.block("مُحَمَّد يُسَجِّلُ الأبناء لا لا", widths[1], rtl=True),
        term.block("شحال نخلص ف AMO؟", widths[2], rtl=True),
    ]
    rows = term.columns(blocks, widths)
    assert len(rows) == max(len(block) for block in blocks)
    assert {tuple(offsets(row)) for row in rows} == {(21, 38)}
    assert all(row.count(LRM) == (0 if term.shape else 2) for row in rows)


def test_join_keeps_pieces_in_order_whatever_their_direction():
    pieces = ["Montant", "مبلغ الاشتراك", "شحال نخلص"]
    shaped = SHAPED.join(pieces, " · ")
    assert shaped.split(" · ") == [SHAPED.line(piece) for piece in pieces]
    assert LOGICAL.join(pieces, " · ") == f"Montant{LRM} · مبلغ الاشتراك{LRM} · شحال نخلص"


@pytest.mark.parametrize("total, expected", [(120, [38, 38, 38]), (90, [28, 28, 28]), (89, None), (40, None)])
def test_three_columns_only_when_wide_enough(total, expected):
    assert column_widths(total, 3, minimum=28) == expected
