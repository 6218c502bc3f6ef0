"""The staff app serves every agent from one event loop (issue 16): a blocking call that
takes long in one request (a slow SQL query, the NLU parse) must not hold up another.

The app runs in this process, on an event loop of its own in a thread, with a stand-in
store or model that blocks on a threading.Event until the test has been answered on a
second request. Were the slow call made on the loop, the second request would wait for
it: the gate is only opened once that answer is in (or after a minute, not to hang)."""
from __future__ import annotations

import asyncio
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, Dict, Iterator

import pytest
from sanic import Sanic

from bot.shared.unanswered import create_engine
from bot.tools.staff.accounts import AGENT, ANALYST
from bot.tools.staff.app import Config, State, build_state, create_app
from tests.conftest import free_port
from tests.helpers import ROOT
from tests.review.conftest import WEEK, insert
from tests.staff.client import StaffClient

PASSWORD = "a long password"
SAFETY_NET = 60  # seconds; only so that a blocked loop fails the test instead of hanging it


class Gate:
    """Holds the thread that calls `wait` until the test opens it."""

    def __init__(self) -> None:
        self.entered, self.opened = threading.Event(), threading.Event()
        self.opened_in_time: Any = None

    def wait(self) -> None:
        self.entered.set()
        self.opened_in_time = self.opened.wait(SAFETY_NET)


class SlowStore:
    """The unanswered store whose queries wait at the gate."""

    def __init__(self, store, gate: Gate) -> None:
        self.store, self.gate = store, gate

    def select(self, *args, **kwargs):
        self.gate.wait()
        return self.store.select(*args, **kwargs)

    def __getattr__(self, name: str):
        return getattr(self.store, name)


class SlowAgent:
    """Like Rasa's agent: a coroutine that computes without ever awaiting."""

    def __init__(self, gate: Gate) -> None:
        self.gate = gate

    async def parse_message(self, text: str) -> Dict[str, Any]:
        self.gate.wait()
        ranking = [{"name": "ask_contribution_amount", "confidence": 0.9}, {"name": "greet", "confidence": 0.1}]
        return {"text": text, "intent": ranking[0], "intent_ranking": ranking, "entities": []}


@pytest.fixture(autouse=True)
def several_apps(monkeypatch):
    """Sanic's own switch for several apps in one process (its start-up rewrites its
    methods once; sanic_testing and tests/channels set it too)."""
    monkeypatch.setattr(Sanic, "test_mode", True)


@pytest.fixture
def state(tmp_path, fast_hashing) -> State:
    analytics_url = f"sqlite:///{tmp_path / 'analytics.db'}"
    engine = create_engine(analytics_url)
    insert(engine, WEEK)
    engine.dispose()
    config = Config(project=ROOT, model_path=tmp_path / "no-model.tar.gz", analytics_url=analytics_url,
                    staff_url=f"sqlite:///{tmp_path / 'staff.db'}")
    state = build_state(config, load_model=False)
    state.accounts.add_user("karim", ANALYST, PASSWORD)
    state.accounts.add_user("amina", AGENT, PASSWORD)
    return state


@contextmanager
def serving(state: State) -> Iterator[str]:
    """The app on a free loopback port, its event loop in a thread; yields its URL."""
    app = create_app(state, name=f"staff_loop_{uuid.uuid4().hex}")
    port = free_port()
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def start():
        server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False)
        await server.startup()
        return server

    async def stop():
        await server.close()

    server = asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=SAFETY_NET)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        asyncio.run_coroutine_threadsafe(stop(), loop).result(timeout=SAFETY_NET)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=SAFETY_NET)


def _slow_store(state: State, gate: Gate) -> None:
    state.store = SlowStore(state.store, gate)


def _slow_model(state: State, gate: Gate) -> None:
    state.model.agent = SlowAgent(gate)


@pytest.mark.parametrize("slow, who, path", [
    (_slow_store, "karim", "/inbox"),  # an analyst's inbox waits for its query
    (_slow_model, "amina", "/desk?q=chhal+nkhalss"),  # an agent's search waits for the parse
])
def test_a_slow_blocking_call_does_not_hold_up_another_request(state, slow, who, path):
    gate = Gate()
    with serving(state) as url:
        slow_one, other = StaffClient(url), StaffClient(url)
        assert slow_one.login(who, PASSWORD).status_code == 303
        assert other.login("amina", PASSWORD).status_code == 303
        slow(state, gate)
        with ThreadPoolExecutor(max_workers=1) as pool:
            waiting = pool.submit(slow_one.get, path)
            assert gate.entered.wait(SAFETY_NET), "the slow request never reached the slow call"
            topics = other.get("/desk/topics")  # served while the slow call is still blocked
            answered_first = not waiting.done()
            gate.opened.set()
            slow_answer = waiting.result(timeout=SAFETY_NET)
    assert topics.status_code == 200 and 'id="topics"' in topics.text
    assert answered_first and gate.opened_in_time, "the other request waited for the slow call"
    assert slow_answer.status_code == 200
