"""bot/server/health.py: readiness answers 503 naming what is down, 200 when all is up,
and never waits longer than its timeout (no servers: stand-ins for the agent's parts)."""
import asyncio
import time

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.utils.endpoints import EndpointConfig

from bot.server.health import HealthInput
from bot.server.tracker_store import RedactingSQLTrackerStore


class Redis:
    def __init__(self, up=True, hang=0.0):
        self.up, self.hang = up, hang

    def ping(self):
        time.sleep(self.hang)
        if not self.up:
            raise ConnectionError("redis down")
        return True


class LockStore:
    def __init__(self, red):
        self.red = red


class Agent:
    def __init__(self, tracker_store, lock_store, action_url):
        self.tracker_store = FailSafeTrackerStore(tracker_store)
        self.lock_store = lock_store
        self.action_endpoint = EndpointConfig(action_url)

    def is_ready(self):
        return True


async def checks(agent, allow_in_memory=False):
    return await HealthInput(timeout=1, allow_in_memory=allow_in_memory).checks(agent)


def run(tmp_path, redis, action_status=200, store=None):
    async def scenario():
        app = web.Application()
        app.router.add_get("/health", lambda request: web.json_response({}, status=action_status))
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        try:
            tracker_store = store or RedactingSQLTrackerStore(domain=Domain.empty(), dialect="sqlite",
                                                              db=str(tmp_path / "t.db"))
            agent = Agent(tracker_store, LockStore(redis), str(server.make_url("/webhook")))
            started = time.monotonic()
            result = await checks(agent)
            run.seconds = time.monotonic() - started
            return result
        finally:
            await server.close()

    return asyncio.run(scenario())


def test_all_up_is_ready(tmp_path):
    assert run(tmp_path, Redis()) == {"model": "ok", "tracker_store": "ok", "lock_store": "ok", "action_server": "ok"}


def test_each_part_down_is_named(tmp_path):
    result = run(tmp_path, Redis(up=False), action_status=500,
                 store=RedactingSQLTrackerStore(domain=Domain.empty(), dialect="sqlite",
                                                db=str(tmp_path / "missing" / "t.db")))
    assert result["model"] == "ok"
    assert result["tracker_store"] == "OperationalError"
    assert result["lock_store"] == "ConnectionError"
    assert result["action_server"] == "status 500"


def test_a_hung_part_is_reported_within_the_timeout(tmp_path):
    assert run(tmp_path, Redis(hang=3))["lock_store"] == "no answer within 1 s"
    assert run.seconds < 2


def test_rasas_silent_in_memory_fallback_is_not_ready(tmp_path):
    result = run(tmp_path, Redis(), store=InMemoryTrackerStore(Domain.empty()))
    assert result["tracker_store"].startswith("in-memory store")


def test_the_routes_are_at_the_root_not_under_webhooks():
    assert HealthInput().url_prefix() == "/health"
