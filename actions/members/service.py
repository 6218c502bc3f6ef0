"""The file-status look-up as the actions use it: remember the identifier, verify
the birth date, forget. Every database or data error becomes `LookupUnavailable`,
which the actions turn into a "service unavailable" answer."""
from __future__ import annotations

import functools
import logging
import os
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Callable, Optional, TypeVar, Union

from sqlalchemy.exc import SQLAlchemyError

from actions.members import verification
from bot.shared.identifiers import Identifier
from actions.members.repository import MembersRepository, repository_from_env
from actions.members.status import CorruptRecord, FileStatus, file_status

PENDING_TTL = timedelta(minutes=15)
logger = logging.getLogger(__name__)
# The spray alarm is logged at most this often per process.
ALARM_EVERY = timedelta(minutes=1)


class LookupUnavailable(Exception):
    """The members database cannot answer now (down, slow, or a corrupt row)."""


@dataclass(frozen=True)
class Verified:
    status: FileStatus


@dataclass(frozen=True)
class Mismatch:
    """Identifier unknown, or birth date wrong: deliberately the same outcome."""


@dataclass(frozen=True)
class Locked:
    until: datetime  # naive UTC


@dataclass(frozen=True)
class RateLimited(Locked):
    """Too many look-ups this minute (this conversation, or all together): told as a
    short lock, so the member tries again after `until`."""


@dataclass(frozen=True)
class IdentifierNeeded:
    """No identifier pending for this conversation (never given, or expired)."""


Outcome = Union[Verified, Mismatch, Locked, IdentifierNeeded]
T = TypeVar("T")


def _unavailable_on_error(method: Callable[..., T]) -> Callable[..., T]:
    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            return method(*args, **kwargs)
        except (SQLAlchemyError, CorruptRecord) as error:
            # Only the exception class: SQLAlchemy messages quote bound parameters.
            raise LookupUnavailable(type(error).__name__) from None

    return wrapper


def utc_now() -> datetime:
    return datetime.utcnow()


class FileStatusService:
    """Look-up of a member's file after an identity check, with abuse limits."""

    def __init__(
        self,
        repository: MembersRepository,
        clock: Callable[[], datetime] = utc_now,
        rates: verification.Rates = verification.Rates(),
    ) -> None:
        self.repository = repository
        self.clock = clock
        self.rates = rates
        self._alarm_lock = threading.Lock()
        self._last_alarm: Optional[datetime] = None

    def _conversation(self, conversation_id: str) -> str:
        return self.repository.hash(f"conversation:{conversation_id}")

    @_unavailable_on_error
    def remember_identifier(self, conversation_id: str, identifier: Identifier) -> None:
        now = self.clock()
        self.repository.put_pending(
            self._conversation(conversation_id), identifier, confirmed=True, expires_at=now + PENDING_TTL, now=now
        )

    @_unavailable_on_error
    def remember_unusual_number(self, conversation_id: str, digits: str) -> bool:
        """Keeps a number of unusual length; True once the member gave it twice in a row.

        The facts file (§14) says not to reject another length outright: the member
        is asked to check it, and the same number given again is accepted.
        """
        now = self.clock()
        conversation = self._conversation(conversation_id)
        identifier = Identifier("immatriculation", digits)
        pending = self.repository.pending(conversation, now)
        confirmed = pending is not None and pending.identifier == identifier
        self.repository.put_pending(conversation, identifier, confirmed, now + PENDING_TTL, now)
        return confirmed

    @_unavailable_on_error
    def conversation_locked_until(self, conversation_id: str) -> Optional[datetime]:
        """Checked when the identifier is given, so a locked member is told before the birth date."""
        now = self.clock()
        limit = verification.PER_CONVERSATION
        attempts = self.repository.attempts_by_conversation(self._conversation(conversation_id), now - limit.lookback)
        return verification.locked_until(attempts, limit, now)

    @_unavailable_on_error
    def verify(self, conversation_id: str, birth_date: date) -> Outcome:
        """Checks the birth date against the identifier given earlier; counts a failure.

        The identifier is resolved to the member first, so that every identifier of
        one member counts against the same limit. The limits are read and the attempt
        recorded in one transaction serialised per member (`attempts_guard`)."""
        now = self.clock()
        conversation = self._conversation(conversation_id)
        pending = self.repository.pending(conversation, now)
        if pending is None or not pending.confirmed:
            return IdentifierNeeded()
        identifier = pending.identifier
        member = self.repository.find_member(identifier)
        subject = self.repository.hash(
            f"member:{member.immatriculation}" if member is not None else f"{identifier.kind}:{identifier.value}"
        )
        conversation_limit = verification.PER_CONVERSATION
        with self.repository.attempts_guard(subject) as guard:
            by_conversation = guard.attempts_by_conversation(conversation, now - conversation_limit.lookback)
            by_subject = guard.attempts_by_subject(subject, now - verification.FAILURE_WINDOW)
            lock = _latest(
                verification.locked_until(by_conversation, conversation_limit, now),
                verification.delayed_until(by_subject, now),
            )
            if lock:
                return Locked(lock)
            refused = self._over_rate(guard, conversation, now)
            if refused:
                return refused
            matched = verification.identity_matches(member.birth_date if member else None, birth_date)
            guard.add_attempt(conversation, subject, now, matched)
        if member is not None and matched:
            self.repository.mark_verified(conversation)
            return Verified(file_status(member, now.date()))
        self.repository.delete_pending(conversation)
        failed = verification.Attempt(now, False)
        lock = _latest(
            verification.locked_until(by_conversation + [failed], conversation_limit, now),
            verification.delayed_until(by_subject + [failed], now),
        )
        return Locked(lock) if lock else Mismatch()

    def _over_rate(self, guard: Any, conversation: str, now: datetime) -> Optional[RateLimited]:
        """A refusal if this look-up would exceed a per-minute rate; logs the spray alarm."""
        rates, since = self.rates, now - verification.Rates.period
        until = now + verification.Rates.period
        if guard.count_since(since, conversation_hash=conversation) >= rates.per_conversation:
            return RateLimited(until)
        if guard.count_since(since) >= rates.total:
            self._alarm(now, f"the limit of {rates.total} look-ups a minute was reached; further look-ups are refused")
            return RateLimited(until)
        failures = guard.count_since(now - rates.spray_window, failures_only=True)
        if failures >= rates.spray_failures:
            minutes = int(rates.spray_window.total_seconds() // 60)
            self._alarm(now, f"{failures} failed identity checks in the last {minutes} minutes")
        return None

    def _alarm(self, now: datetime, what: str) -> None:
        """One log line for the operators; never an identifier, a date or a conversation."""
        with self._alarm_lock:
            if self._last_alarm is not None and now - self._last_alarm < ALARM_EVERY:
                return
            self._last_alarm = now
        logger.warning("ALARM file-status look-up spray suspected: %s", what)

    @_unavailable_on_error
    def take_verified_status(self, conversation_id: str) -> Optional[FileStatus]:
        """The file of the member verified in this conversation, once; then forgotten.

        The form verifies the birth date as soon as it is given, so that it is never
        stored; the answer is read here, from the identifier kept server-side.
        """
        now = self.clock()
        conversation = self._conversation(conversation_id)
        pending = self.repository.pending(conversation, now)
        self.repository.delete_pending(conversation)
        if pending is None or not pending.verified:
            return None
        member = self.repository.find_member(pending.identifier)
        return file_status(member, now.date()) if member else None

    @_unavailable_on_error
    def forget(self, conversation_id: str) -> None:
        self.repository.delete_pending(self._conversation(conversation_id))


def _latest(*ends: Optional[datetime]) -> Optional[datetime]:
    return max((end for end in ends if end), default=None)


def rates_from_env(environ: Any = os.environ) -> verification.Rates:
    """AMO_LOOKUPS_PER_MINUTE (all conversations) and AMO_LOOKUPS_PER_CONVERSATION_PER_MINUTE."""
    default = verification.Rates()
    return verification.Rates(
        per_conversation=int(environ.get("AMO_LOOKUPS_PER_CONVERSATION_PER_MINUTE") or default.per_conversation),
        total=int(environ.get("AMO_LOOKUPS_PER_MINUTE") or default.total),
    )


@functools.lru_cache(maxsize=1)
def default_service() -> FileStatusService:
    """The service over AMO_MEMBERS_DB_URL; a failure is not cached, the next call retries."""
    try:
        repository = repository_from_env()
        repository.create_schema()
    except SQLAlchemyError as error:
        raise LookupUnavailable(type(error).__name__) from None
    return FileStatusService(repository, rates=rates_from_env())
