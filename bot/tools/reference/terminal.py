"""Arabic text in terminals: shaping, visual order, display widths and columns.

Most terminals draw characters one cell at a time, left to right, in the order
they arrive: Arabic then shows as separate, unjoined letters in reverse order.
For those, this module joins the letters (arabic-reshaper: presentation forms)
and reorders each line for display (python-bidi). Terminals that run the
Unicode bidi algorithm themselves must get the logical text instead, or they
would reverse it a second time.

No terminal reports whether it does bidi, so `shaping_wanted` can only guess
from the environment; the flags and AMO_TERMINAL_BIDI override the guess.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import List, Mapping, Optional, Sequence, Tuple

import arabic_reshaper
# The pure-Python algorithm: python-bidi 0.6's top-level get_display (Rust)
# does not mirror brackets in right-to-left runs, "(عربي)" would show as ")…(".
from bidi.algorithm import get_display

BIDI_ENV = "AMO_TERMINAL_BIDI"
_ON = {"1", "on", "yes", "true"}
_OFF = {"0", "off", "no", "false"}
# VTE 0.57.3 (GNOME Terminal 3.33.3, Tilix, xfce4-terminal...) reorders RTL text by default.
_VTE_BIDI_SINCE = 5703
# Left-to-right mark (zero width): with logical Arabic, a terminal that reorders
# lines itself would swap two neighbouring Arabic columns or titles; an LRM
# between them keeps them in order.
LRM = "\u200e"
_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")


def shaping_wanted(
    flag: Optional[bool], env: Mapping[str, str], is_tty: bool
) -> Tuple[bool, str]:
    """Whether to shape and reorder Arabic ourselves, and why (shown to the user).

    Order: the --bidi/--no-bidi flag, then AMO_TERMINAL_BIDI (same meaning as
    the flags), then what the environment tells. Output that is not a terminal
    (a file, another program) keeps the logical text. Terminals known to do
    bidi themselves: VTE >= 0.57.3, Konsole, mlterm, macOS Terminal. Everything
    else, VS Code's xterm.js included, gets shaped text: unknown means shape.
    """
    if flag is not None:
        return flag, "--bidi" if flag else "--no-bidi"
    value = env.get(BIDI_ENV, "").strip().lower()
    if value in _ON | _OFF:
        return value in _ON, f"{BIDI_ENV}={value}"
    if not is_tty:
        return False, "output is not a terminal"
    vte = env.get("VTE_VERSION", "")
    if vte.isdigit() and int(vte) >= _VTE_BIDI_SINCE:
        return False, "VTE terminal reorders right-to-left text itself"
    if env.get("KONSOLE_VERSION"):
        return False, "Konsole reorders right-to-left text itself"
    if env.get("TERM", "").startswith("mlterm"):
        return False, "mlterm reorders right-to-left text itself"
    if env.get("TERM_PROGRAM") == "Apple_Terminal":
        return False, "macOS Terminal reorders right-to-left text itself"
    return True, "terminal not known to render right-to-left text"


def char_width(char: str) -> int:
    """Terminal cells taken by one character: 0 for marks and format characters."""
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def display_width(text: str) -> int:
    return sum(char_width(c) for c in text)


def _split_to_width(word: str, width: int) -> List[str]:
    """A word longer than the column, cut into pieces that fit."""
    pieces, piece, used = [], "", 0
    for char in word:
        w = char_width(char)
        if used + w > width and piece:
            pieces.append(piece)
            piece, used = "", 0
        piece, used = piece + char, used + w
    return pieces + [piece]


def wrap(text: str, width: int) -> List[str]:
    """Lines of at most `width` cells; the text's own line breaks are kept."""
    lines: List[str] = []
    for paragraph in text.splitlines() or [""]:
        line, used = "", 0
        for word in paragraph.split():
            for piece in _split_to_width(word, width):
                w = display_width(piece)
                if line and used + 1 + w > width:
                    lines.append(line)
                    line, used = "", 0
                line, used = (f"{line} {piece}", used + 1 + w) if line else (piece, w)
        lines.append(line)
    return lines


def pad(text: str, width: int, right: bool = False) -> str:
    space = " " * max(0, width - display_width(text))
    return space + text if right else text + space


def has_arabic(text: str) -> bool:
    return bool(_ARABIC.search(text))


@dataclass(frozen=True)
class Terminal:
    """How text is laid out: the width in cells and whether Arabic is shaped here."""

    width: int
    shape: bool

    def line(self, text: str) -> str:
        """One line of mixed text, in display order when shaping."""
        if not (self.shape and has_arabic(text)):
            return text
        return get_display(arabic_reshaper.reshape(text))

    def join(self, pieces: Sequence[str], separator: str) -> str:
        """Pieces shown left to right in this order, whatever their direction."""
        if self.shape:
            return separator.join(self.line(piece) for piece in pieces)
        return (LRM + separator).join(pieces)

    def block(self, text: str, width: int, rtl: bool = False) -> List[str]:
        """`text` wrapped to `width` cells, each line padded to exactly `width`;
        a right-to-left paragraph is right-aligned when shaped here."""
        if not (rtl and self.shape):
            return [pad(line, width) for line in wrap(text, width)]
        # Shape before wrapping (a lam-alef ligature is one cell), reorder per
        # line after (the bidi algorithm works on what is shown together).
        lines = wrap(arabic_reshaper.reshape(text), width)
        return [pad(get_display(line, base_dir="R"), width, right=True) for line in lines]

    def columns(self, blocks: Sequence[List[str]], widths: Sequence[int], gap: str = " │ ") -> List[str]:
        """Blocks from `block` side by side, the shorter ones filled with blanks."""
        if not self.shape:
            gap = LRM + gap
        height = max(len(block) for block in blocks)
        return [
            gap.join(block[i] if i < len(block) else " " * w for block, w in zip(blocks, widths)).rstrip()
            for i in range(height)
        ]


def column_widths(total: int, count: int, minimum: int, gap: int = 3) -> Optional[List[int]]:
    """Equal widths for `count` columns in `total` cells, or None when they would
    be narrower than `minimum` (the caller then stacks them)."""
    width = (total - gap * (count - 1)) // count
    return [width] * count if width >= minimum else None
