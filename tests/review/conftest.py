"""A temporary analytics database holding a realistic week of unanswered questions."""
from __future__ import annotations

from datetime import datetime
from typing import List

import pytest

from bot.shared.unanswered import UnansweredStore, conversation_hash, create_engine, unanswered_table

# (text, language, channel, reason, day of November 2026, hour)
WEEK = [
    ("chhal nkhalss", "dar-latn", "whatsapp", "fallback", 18, 9),
    ("ch7al nkhles", "dar-latn", "whatsapp", "rephrase_failed", 19, 10),
    ("شحال نخلص", "dar", "rest", "fallback", 20, 11),
    ("شحال خاصني نخلص", "dar", "whatsapp", "fallback", 22, 18),
    ("wach mrati tqder tdkhol m3aya", "dar-latn", "whatsapp", "fallback", 18, 12),
    ("wach mrati t9der tdkhol m3aya", "dar-latn", "rest", "not_helpful", 21, 8),
    ("واش مراتي تقدر تدخل معايا", "dar", "whatsapp", "fallback", 23, 20),
    ("combien je dois payer", "fr", "rest", "fallback", 19, 14),
    ("combien dois-je payer par mois", "fr", "whatsapp", "not_helpful", 24, 16),
    ("quel temps fait-il demain", "fr", "rest", "out_of_scope", 20, 7),
    ("chkoun rb7 lmatch lbar7", "dar-latn", "whatsapp", "out_of_scope", 21, 22),
    ("imta ghaykhlsouni 3la dwa", "dar-latn", "whatsapp", "fallback", 22, 9),
    ("إمتى غادي يخلصوني على الدوا", "dar", "rest", "fallback", 23, 10),
    ("كم يجب أن أدفع للتسجيل", "ar", "rest", "fallback", 24, 11),
    ("<script>alert(1)</script> chno hada", "dar-latn", "rest", "fallback", 24, 12),
]


def insert(engine, rows) -> List[int]:
    with engine.begin() as connection:
        unanswered_table.metadata.create_all(connection)
        return [
            connection.execute(
                unanswered_table.insert().values(
                    created_at=datetime(2026, 11, day, hour),
                    text_redacted=text,
                    language=language,
                    reason=reason,
                    top_intents=[{"name": "ask_contribution_amount", "confidence": 0.31}],
                    channel=channel,
                    conversation_hash=conversation_hash(f"member-{i}", salt="test"),
                )
            ).inserted_primary_key[0]
            for i, (text, language, channel, reason, day, hour) in enumerate(rows)
        ]


@pytest.fixture
def db_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'analytics' / 'analytics.db'}"


@pytest.fixture
def engine(db_url):
    engine = create_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def store(engine) -> UnansweredStore:
    return UnansweredStore(engine)


@pytest.fixture
def week(engine) -> dict:
    """text -> id of the seeded records."""
    ids = insert(engine, WEEK)
    return {row[0]: record_id for row, record_id in zip(WEEK, ids)}
