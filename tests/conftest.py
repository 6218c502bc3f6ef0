"""Shared fixtures. One trained model (models/amo.tar.gz, or $AMO_MODEL) serves
every test of a run; `make test` trains it once before pytest starts."""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

ROOT = Path(__file__).resolve().parent.parent
RASA = str(Path(sys.executable).parent / "rasa")
LANGUAGES = ("fr", "ar", "dar", "dar-latn")


@pytest.fixture(scope="session")
def model_path() -> Path:
    path = Path(os.environ.get("AMO_MODEL", ROOT / "models" / "amo.tar.gz"))
    if not path.exists():
        subprocess.run(
            [RASA, "train", "--fixed-model-name", path.stem.split(".")[0], "--out", str(path.parent)],
            cwd=ROOT,
            check=True,
        )
    return path


@pytest.fixture(scope="session")
def event_loop_session():
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture(scope="session")
def agent(model_path):
    from rasa.core.agent import Agent

    return Agent.load(str(model_path))


class Conversation:
    """One member talking to the in-process agent (no action server needed)."""

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


@pytest.fixture
def parse(agent, event_loop_session):
    return lambda text: event_loop_session.run_until_complete(agent.parse_message(text))
