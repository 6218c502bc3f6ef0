"""bench/load.py (make bench-load) stops every server it started, also when one of them
fails to start (before: the others kept running, holding their ports)."""
import socket
from pathlib import Path

import pytest

from bench.load import Stack

pytestmark = pytest.mark.services


def test_a_server_that_fails_to_start_stops_the_others(tmp_path, monkeypatch):
    monkeypatch.setenv("AMO_MEMBERS_DB_URL", f"sqlite:///{tmp_path / 'members.db'}")
    monkeypatch.setenv("AMO_ANALYTICS_DB_URL", f"sqlite:///{tmp_path / 'analytics.db'}")
    model = tmp_path / "model.tar.gz"
    model.write_bytes(b"")  # never loaded: the Rasa server is stopped before
    with socket.socket() as taken:
        # The action server's port is taken: it exits at once, while Rasa is starting.
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        actions_port = taken.getsockname()[1]
        stack = Stack(model, instances=1, port=actions_port - 50)

        with pytest.raises(SystemExit, match="action server 1 stopped"):
            stack.__enter__()

    assert set(stack.processes) == {"action server 1", "rasa server 1"}
    assert all(process.poll() is not None for process in stack.processes.values()), {
        name: process.poll() for name, process in stack.processes.items()}


def test_a_missing_model_is_refused_before_anything_starts(tmp_path):
    # Rasa itself would serve the newest model in models/ instead, and the bench would
    # measure another model than the one asked for.
    stack = Stack(Path(tmp_path / "no-such-model.tar.gz"), instances=1)

    with pytest.raises(SystemExit, match="no model at"):
        stack.__enter__()

    assert stack.processes == {}
