"""One self-contained HTML report: charts as embedded PNG, every member text escaped."""
from __future__ import annotations

import base64
import io
import json
from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta, timezone
from html import escape
from typing import Dict, List, Optional, Sequence

import sqlalchemy as sa
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from tqdm import tqdm

from bot.tools.review.grouping import Group
from bot.shared.unanswered import Filters, Record

TOP_GROUPS = 20
# Rasa's SQLTrackerStore keeps every event in this table; a member message is a
# `user` event with a float UNIX timestamp.
TRACKER_EVENTS = sa.table(
    "events", sa.column("type_name"), sa.column("timestamp"), sa.column("data")
)


def user_messages_per_day(tracker_db_url: str, filters: Filters) -> Dict[date, int]:
    """Member messages per UTC day in a Rasa SQL tracker store."""
    query = sa.select(TRACKER_EVENTS.c.timestamp).where(TRACKER_EVENTS.c.type_name == "user")
    if filters.since:
        query = query.where(TRACKER_EVENTS.c.timestamp >= _epoch(filters.since))
    if filters.until:
        query = query.where(TRACKER_EVENTS.c.timestamp < _epoch(filters.until + timedelta(days=1)))
    counts: Counter = Counter()
    engine = sa.create_engine(tracker_db_url, future=True)
    try:
        with engine.connect() as connection:
            rows = connection.execution_options(stream_results=True).execute(query)
            for (timestamp,) in tqdm(rows, desc="tracker events", unit=" events", disable=None):
                counts[datetime.fromtimestamp(timestamp, timezone.utc).date()] += 1
    finally:
        engine.dispose()
    return dict(counts)


def _epoch(day: date) -> float:
    return datetime.combine(day, time(), tzinfo=timezone.utc).timestamp()


def _days(records: Sequence[Record], totals: Dict[date, int]) -> List[date]:
    seen = [r.created_at.date() for r in records] + list(totals)
    if not seen:
        return []
    first, last = min(seen), max(seen)
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _png(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def per_day_chart(records: Sequence[Record], days: List[date]) -> str:
    counts: Dict[str, Counter] = defaultdict(Counter)
    for record in records:
        counts[record.language or "?"][record.created_at.date()] += 1
    figure = Figure(figsize=(9, 3.5))
    axes = figure.subplots()
    bottom = [0] * len(days)
    for language in sorted(counts):
        heights = [counts[language][day] for day in days]
        axes.bar([d.isoformat() for d in days], heights, bottom=bottom, label=language)
        bottom = [b + h for b, h in zip(bottom, heights)]
    axes.set_title("Unanswered messages per day, by language")
    axes.set_ylabel("messages")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.legend()
    axes.tick_params(axis="x", labelrotation=60, labelsize=8)
    return _png(figure)


def answered_chart(records: Sequence[Record], totals: Dict[date, int], days: List[date]) -> str:
    unanswered = Counter(r.created_at.date() for r in records)
    shown = [d for d in days if totals.get(d)]
    shares = [max(0.0, 1 - unanswered[d] / totals[d]) * 100 for d in shown]
    figure = Figure(figsize=(9, 3))
    axes = figure.subplots()
    axes.plot([d.isoformat() for d in shown], shares, marker="o")
    axes.set_ylim(0, 100)
    axes.set_title("Member messages answered (%)")
    axes.tick_params(axis="x", labelrotation=60, labelsize=8)
    return _png(figure)


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td dir="auto">{escape(str(cell))}</td>' for cell in row) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(
    records: Sequence[Record],
    groups: Sequence[Group],
    filters: Filters,
    totals: Optional[Dict[date, int]],
    generated: datetime,
) -> str:
    days = _days(records, totals or {})
    sections = [f"<h1>Unanswered questions</h1><p>{escape(_scope(filters, len(records), generated))}</p>"]
    if records:
        sections.append(f'<img alt="unanswered per day by language" src="{per_day_chart(records, days)}">')
    if totals is None:
        sections.append(
            "<p class=note>No tracker store given (<code>--tracker-db URL</code>): the share of "
            "messages answered is unknown; the counts above are of unanswered messages only.</p>"
        )
    elif filters.language or filters.channel:
        sections.append(
            "<p class=note>The tracker store counts every language and channel: no share answered "
            "is shown for a report filtered by language or channel.</p>"
        )
    else:
        total, unanswered = sum(totals.values()), len(records)
        share = f"{100 * max(0.0, 1 - unanswered / total):.1f}%" if total else "n/a"
        sections.append(f"<p>{total} member messages, {unanswered} unanswered: {share} answered.</p>")
        if total:
            chart = answered_chart(records, totals, days)
            sections.append(f'<img alt="share of messages answered" src="{chart}">')
    for title, key in (("By reason", "reason"), ("By language", "language"), ("By channel", "channel")):
        counts = Counter(getattr(r, key) or "?" for r in records)
        sections.append(f"<h2>{title}</h2>" + _table((key, "messages"), counts.most_common()))
    sections.append(f"<h2>Top {TOP_GROUPS} groups</h2>")
    sections.append(
        _table(
            ("group", "messages", "first seen", "last seen", "languages", "representative text"),
            [
                (
                    g.number,
                    g.count,
                    f"{g.first_seen:%Y-%m-%d %H:%M}",
                    f"{g.last_seen:%Y-%m-%d %H:%M}",
                    json.dumps(g.languages),
                    g.representative,
                )
                for g in groups[:TOP_GROUPS]
            ],
        )
    )
    return _PAGE.format(body="\n".join(sections))


def _scope(filters: Filters, count: int, generated: datetime) -> str:
    chosen = ", ".join(f"{k}={v}" for k, v in vars(filters).items() if v is not None) or "all"
    return f"{count} messages ({chosen}); generated {generated:%Y-%m-%d %H:%M} UTC."


_PAGE = """<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>Unanswered questions</title>
<style>
body {{ font-family: sans-serif; margin: 2em; max-width: 70em; }}
table {{ border-collapse: collapse; margin-bottom: 1.5em; }}
th, td {{ border: 1px solid #ccc; padding: .3em .6em; text-align: start; }}
img {{ max-width: 100%; }}
.note {{ color: #555; }}
</style></head><body>
{body}
</body></html>
"""
