"""Shared fixtures. One trained model (models/amo.tar.gz, or $AMO_MODEL) serves
every test of a run; `make test` trains it once before pytest starts.

Markers, so that parts of the suite run alone:
- `model`: the test needs the trained model (set automatically for every test that
  uses the `model_path` fixture, directly or through `agent`, `conversation`...);
- `services`: the test starts servers or needs this machine's PostgreSQL or Redis.
`pytest -m "not model and not services"` runs the unit tests in seconds."""
from __future__ import annotations

import asyncio
import copy
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator, List

import pytest
from tests.helpers import RASA, ROOT

MARKERS = {
    "model": "needs the trained model (make train)",
    "services": "starts servers, or needs PostgreSQL or Redis on this machine",
}


def pytest_configure(config) -> None:
    for name, meaning in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {meaning}")


# Fixtures that start a server or reach PostgreSQL or Redis.
SERVICE_FIXTURES = {"action_env", "action_server", "redis_available", "rasa_server"}


def pytest_collection_modifyitems(items) -> None:
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if "model_path" in fixtures:
            item.add_marker(pytest.mark.model)
        params = getattr(getattr(item, "callspec", None), "params", {})
        if fixtures & SERVICE_FIXTURES or "postgresql" in params.values():
            item.add_marker(pytest.mark.services)


@pytest.fixture(scope="session")
def model_path() -> Path:
    path = Path(os.environ.get("AMO_MODEL", ROOT / "models" / "amo.tar.gz"))
    if not path.exists():
        pytest.fail(f"no trained model at {path}: run `make train` first (tests never train one themselves)")
    return path


@pytest.fixture(scope="session")
def event_loop_session():
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited with code {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(url)


@pytest.fixture(scope="session")
def action_env(tmp_path_factory) -> dict:
    """Environment of a test action server: its own databases, demo members seeded."""
    directory = tmp_path_factory.mktemp("action-dbs")
    env = {
        **os.environ,
        "SANIC_HOST": "127.0.0.1",
        "AMO_MEMBERS_DB_URL": f"sqlite:///{directory / 'members.db'}",
        "AMO_ANALYTICS_DB_URL": f"sqlite:///{directory / 'analytics.db'}",
    }
    subprocess.run([sys.executable, "-m", "actions.members.demo"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    return env


def start_action_server(env: dict, log_path: Path) -> "tuple[subprocess.Popen, str]":
    port = free_port()
    process = subprocess.Popen(
        [RASA, "run", "actions", "--actions", "actions", "--port", str(port)],
        cwd=ROOT, stdout=log_path.open("w"), stderr=subprocess.STDOUT, env=env,
    )
    wait_until_up(f"http://127.0.0.1:{port}/health", process)
    return process, f"http://127.0.0.1:{port}/webhook"


# Rasa's HTTP API answers only with this token (`--auth-token`, as scripts/run does).
API_TOKEN = secrets.token_urlsafe(24)


def api_url(base_url: str, path: str) -> str:
    """The URL of an HTTP API call (`path` like "/conversations/x/tracker"), with the token."""
    separator = "&" if "?" in path else "?"
    return f"{base_url}{path}{separator}token={API_TOKEN}"


def start_rasa_server(model: Path, endpoints: Path, log_path: Path, env: dict) -> "tuple[subprocess.Popen, str]":
    """`rasa run` with our channels on a free loopback port; returns it and its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [RASA, "run", "--model", str(model), "--interface", "127.0.0.1", "--port", str(port),
         "--endpoints", str(endpoints), "--credentials", str(ROOT / "credentials.yml"), "--enable-api",
         "--auth-token", API_TOKEN],
        cwd=ROOT, stdout=log_path.open("w"), stderr=subprocess.STDOUT, env=env,
    )
    wait_until_up(api_url(f"http://127.0.0.1:{port}", "/status"), process, timeout=300)
    return process, f"http://127.0.0.1:{port}"


def say_over_rest(base_url: str, sender: str, text: str) -> list:
    request = urllib.request.Request(
        f"{base_url}/webhooks/rest/webhook",
        data=json.dumps({"sender": sender, "message": text}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())


@pytest.fixture(scope="session")
def action_server(action_env, tmp_path_factory) -> Iterator[str]:
    """`rasa run actions` on a free port; yields its webhook URL."""
    process, url = start_action_server(action_env, tmp_path_factory.mktemp("actions") / "actions.log")
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="session")
def endpoints_file(action_server, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("endpoints") / "endpoints.yml"
    path.write_text(f'action_endpoint:\n  url: "{action_server}"\n  enable_selective_domain: true\n',
                    encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def agent(model_path, action_server):
    from rasa.core.agent import Agent
    from rasa.utils.endpoints import EndpointConfig

    # As endpoints.yml: only the validate_* form actions get the domain.
    return Agent.load(str(model_path), action_endpoint=EndpointConfig(action_server, enable_selective_domain=True))


class Conversation:
    """One member talking to the in-process agent, which calls the test action server."""

    def __init__(self, agent, loop, sender_id: str) -> None:
        self.agent, self.loop, self.sender_id = agent, loop, sender_id

    def say(self, text: str) -> List[dict]:
        return self.loop.run_until_complete(self.agent.handle_text(text, sender_id=self.sender_id))

    def slot(self, name: str):
        tracker = self.loop.run_until_complete(self.agent.tracker_store.retrieve(self.sender_id))
        return tracker.get_slot(name)


@pytest.fixture
def conversation(agent, event_loop_session, request):
    return Conversation(agent, event_loop_session, f"test-{request.node.name}-{id(request)}")


@pytest.fixture(scope="session")
def parse(agent, event_loop_session):
    """The model's parse of a text (a copy), computed once per run: the model does not
    change during a run, and several suites parse the same 2,052 held-out messages."""
    parses: dict = {}

    def parse(text: str) -> dict:
        if text not in parses:
            parses[text] = event_loop_session.run_until_complete(agent.parse_message(text))
        return copy.deepcopy(parses[text])

    return parse
