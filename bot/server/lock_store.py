"""A Redis lock store whose ticket operations are atomic.

Rasa 3.6's RedisLockStore reads a conversation's ticket lock, changes it in
Python and writes it back (issue a ticket, drop expired ones, finish serving,
delete when nobody waits). Two Rasa instances, or two Sanic workers, doing this
at the same moment both get ticket 1, process the same conversation at once and
one turn's events are lost (tests/test_scale_out.py caught it; rasa#9213).
Here every read-modify-write runs in a Redis transaction (WATCH/MULTI/EXEC, retried
on conflict).

No Redis call runs on the event loop: Rasa's `lock()` calls the synchronous Redis
client inside `async def`, so a hung Redis froze every conversation for its socket
timeout (10 s by default) per call. Here `lock()` runs each call in a worker thread,
the socket timeout defaults to 1 s (`socket_timeout`), and the wait for a busy
conversation's lock is bounded by `max_wait` seconds. Any failure is a LockError: the
turn fails and the channel answers "busy, try again".

endpoints.yml:

    lock_store:
      type: bot.server.lock_store.AtomicRedisLockStore
      url: 127.0.0.1
      port: 6379
      db: 1
      key_prefix: amo
      socket_timeout: 1
      max_wait: 20
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import time
from contextlib import asynccontextmanager
from typing import Any, AsyncGenerator, Callable, Optional, Text, Tuple, TypeVar

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_SOCKET_TIMEOUT = 1.0
DEFAULT_MAX_WAIT = 20.0


class AtomicRedisLockStore(RedisLockStore):
    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **kwargs: Any) -> None:
        if endpoint_config is not None:  # how Rasa builds a custom lock store
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs, **kwargs}
        self.max_wait = float(kwargs.pop("max_wait", DEFAULT_MAX_WAIT))
        kwargs["socket_timeout"] = float(kwargs.get("socket_timeout") or DEFAULT_SOCKET_TIMEOUT)
        super().__init__(**kwargs)
        # Our own threads: each call is bounded by the socket timeout, and a slow Redis
        # never takes the threads the channels or the tracker store use.
        self._threads = concurrent.futures.ThreadPoolExecutor(8, thread_name_prefix="lock-store")

    def ping(self) -> bool:
        """True when Redis answers (blocking, bounded by the socket timeout)."""
        return bool(self.red.ping())

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: Text,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = 0.05,
    ) -> AsyncGenerator[TicketLock, None]:
        """Rasa's ticket lock, with every Redis call in a worker thread and the wait
        bounded by `max_wait`; raises LockError when Redis fails or the wait is too long."""
        ticket = await self._call(self.issue_ticket, conversation_id, lock_lifetime)
        try:
            yield await self._wait_for_turn(conversation_id, ticket, wait_time_in_seconds)
        finally:
            try:
                await self._call(self.cleanup, conversation_id, ticket)
            except LockError:
                pass  # the ticket expires with its lifetime

    async def _wait_for_turn(self, conversation_id: Text, ticket: int, poll: float) -> TicketLock:
        deadline = time.monotonic() + self.max_wait
        while True:
            lock = await self._call(self.get_lock, conversation_id)
            if lock is None or not lock.is_locked(ticket):
                return lock or self.create_lock(conversation_id)
            if time.monotonic() > deadline:
                logger.error("Lock store: a turn waited more than %.0f s for its conversation", self.max_wait)
                raise LockError(f"waited more than {self.max_wait:.0f} s for the conversation's lock")
            await asyncio.sleep(poll)
            poll = min(poll * 2, 0.5)
            await self._call(self.update_lock, conversation_id)

    async def _call(self, function: Callable[..., T], *args: Any) -> T:
        try:
            return await asyncio.get_running_loop().run_in_executor(self._threads, function, *args)
        except LockError:
            raise
        except Exception as error:  # redis ConnectionError, TimeoutError...
            logger.error("Lock store: Redis call failed: %s", type(error).__name__)
            raise LockError(f"Redis call failed: {type(error).__name__}") from error

    def _change(self, conversation_id: Text, change: Callable[[Optional[TicketLock]], Tuple[Optional[TicketLock], T]]) -> T:
        """Applies `change` to the stored lock in one transaction; None deletes it."""
        key = self.key_prefix + conversation_id
        outcome = []

        def transaction(pipe: Any) -> None:
            raw = pipe.get(key)
            lock, value = change(TicketLock.from_dict(json.loads(raw)) if raw else None)
            pipe.multi()
            if lock is None:
                pipe.delete(key)
            else:
                pipe.set(key, lock.dumps())
            outcome[:] = [value]

        self.red.transaction(transaction, key)
        return outcome[0]

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def issue(lock: Optional[TicketLock]) -> Tuple[TicketLock, int]:
            lock = lock or self.create_lock(conversation_id)
            return lock, lock.issue_ticket(lock_lifetime)

        return self._change(conversation_id, issue)

    def update_lock(self, conversation_id: Text) -> None:
        def drop_expired(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], None]:
            if lock is not None:
                lock.remove_expired_tickets()
            return lock, None

        self._change(conversation_id, drop_expired)

    def finish_serving(self, conversation_id: Text, ticket_number: int) -> None:
        self.cleanup(conversation_id, ticket_number)

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        """Drops the ticket, and the lock with it when nobody else waits."""

        def finish(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], None]:
            if lock is None:
                return None, None
            lock.remove_ticket_for(ticket_number)
            return (lock if lock.is_someone_waiting() else None), None

        self._change(conversation_id, finish)
