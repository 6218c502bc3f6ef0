"""bot/server/lock_store.py against the machine's Redis: tickets stay unique under
concurrent issuers, where Rasa's RedisLockStore hands out duplicates (why, in
bot/server/lock_store.py; tests/test_scale_out.py caught it)."""
import os
import socket
import threading
import uuid

import pytest
from rasa.utils.endpoints import EndpointConfig

from bot.server.lock_store import AtomicRedisLockStore

REDIS = ("127.0.0.1", 6379)


@pytest.fixture
def redis_available():
    try:
        socket.create_connection(REDIS, timeout=2).close()
    except OSError:
        if os.environ.get("CI") == "true":
            pytest.fail("Redis is not reachable on 127.0.0.1:6379")
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")


def stores(count):
    config = EndpointConfig(url=REDIS[0], port=REDIS[1], db=2, key_prefix=f"t{uuid.uuid4().hex[:8]}")
    return [AtomicRedisLockStore(endpoint_config=config) for _ in range(count)]


def tickets_issued_concurrently(workers=8, each=25):
    """Several store instances (as several Rasa instances) issue tickets at once."""
    conversation = f"c-{uuid.uuid4().hex}"
    issued, barrier = [], threading.Barrier(workers)

    def work(store):
        barrier.wait()
        for _ in range(each):
            issued.append(store.issue_ticket(conversation, lock_lifetime=60))

    threads = [threading.Thread(target=work, args=(store,)) for store in stores(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return issued


def test_concurrent_tickets_are_unique(redis_available):
    issued = tickets_issued_concurrently()
    assert sorted(issued) == list(range(len(issued)))  # 0, 1, 2... each once


def test_the_lock_serves_tickets_in_order_and_disappears_when_nobody_waits(redis_available):
    store = stores(1)[0]
    conversation = f"c-{uuid.uuid4().hex}"
    first, second = store.issue_ticket(conversation), store.issue_ticket(conversation)
    lock = store.get_lock(conversation)
    assert not lock.is_locked(first) and lock.is_locked(second)
    store.cleanup(conversation, first)
    assert not store.get_lock(conversation).is_locked(second)
    store.cleanup(conversation, second)
    assert store.get_lock(conversation) is None


def test_a_turn_holds_the_lock_and_the_next_one_waits_for_it(redis_available):
    import asyncio

    store = stores(1)[0]
    conversation = f"c-{uuid.uuid4().hex}"
    order = []

    async def turn(name, seconds):
        async with store.lock(conversation):
            order.append(f"{name} in")
            await asyncio.sleep(seconds)
            order.append(f"{name} out")

    async def both():
        first = asyncio.ensure_future(turn("first", 0.3))
        await asyncio.sleep(0.05)
        await turn("second", 0)
        await first

    asyncio.run(both())
    assert order == ["first in", "first out", "second in", "second out"]
    assert store.get_lock(conversation) is None


def test_a_lock_waited_on_too_long_is_a_lock_error(redis_available):
    import asyncio

    from rasa.core.lock_store import LockError

    config = EndpointConfig(url=REDIS[0], port=REDIS[1], db=2, key_prefix=f"t{uuid.uuid4().hex[:8]}", max_wait=0.3)
    store = AtomicRedisLockStore(endpoint_config=config)
    conversation = f"c-{uuid.uuid4().hex}"
    store.issue_ticket(conversation, lock_lifetime=60)  # a turn that never finishes

    async def waiting_turn():
        async with store.lock(conversation):
            pass

    with pytest.raises(LockError, match="waited more than"):
        asyncio.run(waiting_turn())


def test_redis_down_is_a_lock_error_within_the_socket_timeout():
    import asyncio
    import time

    from rasa.core.lock_store import LockError

    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]  # nothing listens there once closed
    store = AtomicRedisLockStore(endpoint_config=EndpointConfig(url="127.0.0.1", port=port, db=2, key_prefix="t"))
    assert store.red.connection_pool.connection_kwargs["socket_timeout"] == 1.0

    async def turn():
        async with store.lock("c"):
            pass

    started = time.monotonic()
    with pytest.raises(LockError, match="Redis call failed"):
        asyncio.run(turn())
    assert time.monotonic() - started < 3
