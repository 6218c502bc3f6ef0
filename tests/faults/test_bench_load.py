"""bench/load.py (make bench-load) stops every server it started, also when one of them
fails to start (before: the others kept running, holding their ports)."""
import random
from pathlib import Path

import pytest

from bench.load import Stack

pytestmark = pytest.mark.services


def test_a_server_that_fails_to_start_stops_the_others(tmp_path, monkeypatch):
    monkeypatch.setenv("AMO_MEMBERS_DB_URL", f"sqlite:///{tmp_path / 'members.db'}")
    monkeypatch.setenv("AMO_ANALYTICS_DB_URL", f"sqlite:///{tmp_path / 'analytics.db'}")
    stack = Stack(Path(tmp_path / "no-such-model.tar.gz"), instances=1, port=random.randrange(6100, 6800))

    with pytest.raises(SystemExit, match="stopped"):
        stack.__enter__()  # the Rasa server exits at once: no model

    assert stack.processes, "nothing was started"
    assert all(process.poll() is not None for process in stack.processes.values()), {
        name: process.poll() for name, process in stack.processes.items()}
