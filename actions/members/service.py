"""The file-status look-up as the actions use it: remember the identifier, verify
the birth date, forget. Every database or data error becomes `LookupUnavailable`,
which the actions turn into a "service unavailable" answer."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Callable, Optional, TypeVar, Union

from sqlalchemy.exc import SQLAlchemyError

from actions.members import verification
from bot.shared.identifiers import Identifier
from actions.members.repository import MembersRepository, engine_from_env
from actions.members.status import CorruptRecord, FileStatus, file_status

PENDING_TTL = timedelta(minutes=15)


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

    def __init__(self, repository: MembersRepository, clock: Callable[[], datetime] = utc_now) -> None:
        self.repository = repository
        self.clock = clock

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
        return self._locked_until(self._conversation(conversation_id), None, self.clock())

    @_unavailable_on_error
    def verify(self, conversation_id: str, birth_date: date) -> Outcome:
        """Checks the birth date against the identifier given earlier; counts a failure."""
        now = self.clock()
        conversation = self._conversation(conversation_id)
        pending = self.repository.pending(conversation, now)
        if pending is None or not pending.confirmed:
            return IdentifierNeeded()
        identifier = pending.identifier
        identifier_hash = self.repository.hash(f"{identifier.kind}:{identifier.value}")
        lock = self._locked_until(conversation, identifier_hash, now)
        if lock:
            return Locked(lock)
        member = self.repository.find_member(identifier)
        matched = verification.identity_matches(member.birth_date if member else None, birth_date)
        self.repository.add_attempt(conversation, identifier_hash, now, matched)
        if member is not None and matched:
            self.repository.mark_verified(conversation)
            return Verified(file_status(member, now.date()))
        self.repository.delete_pending(conversation)
        lock = self._locked_until(conversation, identifier_hash, now)
        return Locked(lock) if lock else Mismatch()

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

    def _locked_until(self, conversation_hash: str, identifier_hash: Optional[str], now: datetime) -> Optional[datetime]:
        """The later end of the running locks, per conversation and per identifier."""
        checks = [(self.repository.attempts_by_conversation, conversation_hash, verification.PER_CONVERSATION)]
        if identifier_hash is not None:
            checks.append((self.repository.attempts_by_identifier, identifier_hash, verification.PER_IDENTIFIER))
        ends = [verification.locked_until(fetch(key, now - limit.lookback), limit, now) for fetch, key, limit in checks]
        return max((end for end in ends if end), default=None)

    @_unavailable_on_error
    def forget(self, conversation_id: str) -> None:
        self.repository.delete_pending(self._conversation(conversation_id))


@functools.lru_cache(maxsize=1)
def default_service() -> FileStatusService:
    """The service over AMO_MEMBERS_DB_URL; a failure is not cached, the next call retries."""
    try:
        repository = MembersRepository(engine_from_env())
        repository.create_schema()
    except SQLAlchemyError as error:
        raise LookupUnavailable(type(error).__name__) from None
    return FileStatusService(repository)
