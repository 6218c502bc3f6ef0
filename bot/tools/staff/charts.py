"""Small inline SVG charts for the analysts' dashboard (no script, no external asset).

Every label is escaped; the SVG scales to its container (viewBox), so it reads on a phone.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from html import escape
from typing import Dict, List, Sequence, Tuple

from bot.tools.review.grouping import Group
from bot.shared.unanswered import Record

# One colour per input language (and one for unknown), readable on white and in greyscale.
COLOURS = {"fr": "#1f5fa8", "ar": "#b5471b", "dar": "#2e7d32", "dar-latn": "#8e5bb5", "?": "#777777"}
BAR = "#1f5fa8"


def _scale(value: int) -> Tuple[int, int]:
    """(top, step): a round top of the axis at or above `value`, in at most 5 steps."""
    for step in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000):
        if value <= step * 5:
            return max(step * -(-value // step), step), step
    return value, value


def _nice_max(value: int) -> int:
    return _scale(value)[0]


def stacked_days(records: Sequence[Record], today: date, days: int = 14) -> str:
    """Unanswered messages per day over the last `days` days, stacked by language."""
    first = today - timedelta(days=days - 1)
    counts: Dict[date, Counter] = defaultdict(Counter)
    for r in records:
        day = r.created_at.date()
        if first <= day <= today:
            counts[day][r.language or "?"] += 1
    languages = [lang for lang in COLOURS if any(lang in c for c in counts.values())]
    top = _nice_max(max([sum(c.values()) for c in counts.values()] or [1]))
    width, height, left, bottom = 480, 230, 30, 30
    plot_w, plot_h = width - left - 8, height - bottom - 10
    slot = plot_w / days
    parts = [_axis(top, left, plot_w, plot_h)]
    for i in range(days):
        day = first + timedelta(days=i)
        y = 10 + plot_h
        for lang in languages:
            n = counts[day][lang]
            if not n:
                continue
            h = plot_h * n / top
            y -= h
            parts.append(
                f'<rect x="{left + i * slot + 2:.1f}" y="{y:.1f}" width="{slot - 4:.1f}" height="{h:.1f}" '
                f'fill="{COLOURS[lang]}"><title>{day.isoformat()} {escape(lang)}: {n}</title></rect>'
            )
        if i % 3 == 0 or days <= 7:
            parts.append(f'<text x="{left + (i + 0.5) * slot:.1f}" y="{height - 12}" text-anchor="middle" '
                         f'class="tick">{day:%d/%m}</text>')
    legend = "".join(
        f'<span class="key"><i class="key-{_key(lang)}"></i>{escape(lang)}</span>' for lang in languages
    )
    title = "Unanswered messages per day, by language"
    return f"<h2>{title} (14 days)</h2>" + _svg(width, height, title, parts) + f'<p class="legend">{legend}</p>'


def bars(counts: Sequence[Tuple[str, int]], title: str, colours: Dict[str, str] = None) -> str:
    """Horizontal bars, one per (label, count), in the given order."""
    if not counts:
        return f'<h2>{escape(title)}</h2><p class="empty muted">Nothing yet.</p>'
    top = _nice_max(max(n for _, n in counts))
    row, label_w, width = 30, 140, 420
    height = row * len(counts) + 8
    plot_w = width - label_w - 50
    parts = []
    for i, (label, n) in enumerate(counts):
        y = 4 + i * row
        w = max(plot_w * n / top, 1)
        colour = (colours or {}).get(label, BAR)
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 20}" text-anchor="end" class="label">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" fill="{colour}">'
            f"<title>{escape(label)}: {n}</title></rect>"
            f'<text x="{label_w + w + 6:.1f}" y="{y + 20}" class="value">{n}</text>'
        )
    return f"<h2>{escape(title)}</h2>" + _svg(width, height, title, parts)


def _key(language: str) -> str:
    return language if language in COLOURS and language != "?" else "unknown"


def growing(groups: Sequence[Group], now: datetime, days: int = 7, top: int = 8) -> List[Tuple[Group, int, int]]:
    """Groups with more messages in the last `days` days than in the `days` before:
    (group, recent, before), the largest increase first."""
    recent_start, before_start = now - timedelta(days=days), now - timedelta(days=2 * days)
    rows = []
    for g in groups:
        recent = sum(1 for r in g.records if r.created_at >= recent_start)
        before = sum(1 for r in g.records if before_start <= r.created_at < recent_start)
        if recent > before:
            rows.append((g, recent, before))
    rows.sort(key=lambda row: (-(row[1] - row[2]), -row[1], row[0].number))
    return rows[:top]


def _axis(top: int, left: int, plot_w: float, plot_h: float) -> str:
    lines = []
    step = _scale(top)[1]
    for value in range(0, top + 1, step):
        y = 10 + plot_h - plot_h * value / top
        lines.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
                     f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" class="tick">{value}</text>')
    return "".join(lines)


def _svg(width: int, height: int, title: str, parts: List[str]) -> str:
    return (
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>{"".join(parts)}</svg>'
    )
