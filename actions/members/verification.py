"""Rules of the identity check and its abuse limits (pure, the clock is passed in).

The identifier and the birth date must both match. A mismatch and an unknown
identifier are the same failure, so the look-up cannot tell whether a number
exists. Limits, counted from the attempts stored in the database:

* per conversation: 3 failures within 24 h lock the look-up for 30 minutes;
* per identifier, across conversations: 5 failures within 24 h lock it for 24 hours
  (against someone trying birth dates for one number from many conversations).

A success clears the failures counted before it; a lock, once it ends, starts a
new count. Attempts made while locked are refused and not recorded, so they do
not extend the lock.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Iterable, Optional


@dataclass(frozen=True)
class Attempt:
    at: datetime
    success: bool


@dataclass(frozen=True)
class Limit:
    max_failures: int
    window: timedelta
    lock_for: timedelta

    @property
    def lookback(self) -> timedelta:
        """How far back attempts can still matter for a lock that is running now."""
        return self.window + self.lock_for


PER_CONVERSATION = Limit(max_failures=3, window=timedelta(hours=24), lock_for=timedelta(minutes=30))
PER_IDENTIFIER = Limit(max_failures=5, window=timedelta(hours=24), lock_for=timedelta(hours=24))


def identity_matches(recorded_birth_date: Optional[date], given_birth_date: date) -> bool:
    """`recorded_birth_date` is None when no member has the identifier."""
    return recorded_birth_date is not None and recorded_birth_date == given_birth_date


def locked_until(attempts: Iterable[Attempt], limit: Limit, now: datetime) -> Optional[datetime]:
    """The end of the lock `attempts` cause under `limit`, if it is still running at `now`."""
    failures: list = []
    lock_end: Optional[datetime] = None
    for attempt in sorted(attempts, key=lambda a: a.at):
        if attempt.success:
            failures.clear()
            continue
        failures = [at for at in failures if at > attempt.at - limit.window] + [attempt.at]
        if len(failures) >= limit.max_failures:
            lock_end = attempt.at + limit.lock_for
            failures.clear()
    return lock_end if lock_end is not None and lock_end > now else None
