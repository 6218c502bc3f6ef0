"""Rules of the identity check and its abuse limits (pure, the clock is passed in).

The identifier and the birth date must both match. A mismatch and an unknown
identifier are the same failure, so the look-up cannot tell whether a number
exists. Limits, counted from the attempts stored in the database:

* per conversation: 3 failures within 24 h lock the look-up for 30 minutes
  (this only ever blocks the conversation that failed);
* per member, across conversations and whichever identifier was typed (a CIN and
  the immatriculation of one member share one count; an identifier that belongs to
  nobody is counted on its own): the first 2 failures cost nothing, then each
  failure delays the next check by 1, 2, 4, 8, 16, 32 then at most 60 minutes.
  So a stranger who knows a member's CIN can delay that member's own look-up by
  at most `MAX_DELAY` (60 minutes) after the stranger's last failure, never for a
  day; and a birth-date guesser gets about one check an hour;
* look-ups per minute (`Rates`): per conversation, and for the whole action server
  (a spray over many identifiers from rotating conversations): beyond them the
  look-up is refused for the rest of the minute.

A success clears the failures counted before it; a lock, once it ends, starts a
new count. Attempts refused (locked, delayed or over a rate) are not recorded, so
they do not extend anything. Failures older than 24 h are forgotten.
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

# The per-member delay (see the module docstring).
FREE_FAILURES = 2
FIRST_DELAY = timedelta(minutes=1)
MAX_DELAY = timedelta(minutes=60)
FAILURE_WINDOW = timedelta(hours=24)
# Attempts older than this matter to no limit and are deleted (hashes, time, outcome).
ATTEMPTS_KEPT = max(PER_CONVERSATION.lookback, FAILURE_WINDOW)


@dataclass(frozen=True)
class Rates:
    """Look-ups (birth dates checked against the file) allowed per minute."""

    per_conversation: int = 3
    total: int = 60  # the whole action server: a spray is slowed to this
    # This many failed checks within `spray_window`, all conversations together,
    # is taken for a spray and logged as an alarm.
    spray_failures: int = 20
    spray_window: timedelta = timedelta(minutes=10)

    period = timedelta(minutes=1)


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


def delay_after(failures: int) -> timedelta:
    """The wait before the next check after `failures` failures in a row (0 for the first ones)."""
    if failures <= FREE_FAILURES:
        return timedelta(0)
    doublings = min(failures - FREE_FAILURES - 1, 32)  # bounded: 2**32 minutes is past any cap
    return min(FIRST_DELAY * 2**doublings, MAX_DELAY)


def delayed_until(attempts: Iterable[Attempt], now: datetime) -> Optional[datetime]:
    """When the member whose `attempts` these are may be checked again, if that is after `now`."""
    failures: list = []
    for attempt in sorted(attempts, key=lambda a: a.at):
        if attempt.at <= now - FAILURE_WINDOW:
            continue
        if attempt.success:
            failures.clear()
        else:
            failures.append(attempt.at)
    if not failures:
        return None
    end = failures[-1] + delay_after(len(failures))
    return end if end > now else None
