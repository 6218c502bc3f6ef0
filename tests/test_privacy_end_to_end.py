"""A whole file-status look-up through the real Rasa server and action server, then
a search of the tracker store and of both servers' logs for the identifier and the
birth date the member typed."""
import sqlite3
import uuid

import pytest

from tests.conftest import say_over_rest, start_action_server, start_rasa_server
from tests.helpers import variant

IDENTIFIER, BIRTH_DATE = "ZZ100003", "25/01/1990"
TRACES = [IDENTIFIER, IDENTIFIER.lower(), BIRTH_DATE, "1990-01-25", "25/01/"]


@pytest.fixture(scope="module")
def stack(model_path, action_env, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("privacy")
    actions, actions_url = start_action_server(action_env, workdir / "actions.log")
    endpoints = workdir / "endpoints.yml"
    endpoints.write_text(
        f"""action_endpoint:
  url: "{actions_url}"
tracker_store:
  type: bot.server.tracker_store.RedactingSQLTrackerStore
  dialect: sqlite
  db: {workdir / 'trackers.db'}
""",
        encoding="utf-8",
    )
    rasa, url = start_rasa_server(model_path, endpoints, workdir / "rasa.log", action_env)
    yield url, workdir
    for process in (rasa, actions):
        process.terminate()
        process.wait(timeout=60)


def test_no_identifier_or_birth_date_in_the_tracker_store_or_the_logs(stack):
    url, workdir = stack
    sender = f"privacy-{uuid.uuid4().hex}"
    say_over_rest(url, sender, "Bonjour, où en est mon dossier AMO ?")
    say_over_rest(url, sender, f"ma CIN est {IDENTIFIER}")
    answer = say_over_rest(url, sender, f"je suis né le {BIRTH_DATE}")
    assert variant("utter_file_status_active", "fr").split("{")[0] in " ".join(m.get("text", "") for m in answer)

    with sqlite3.connect(workdir / "trackers.db") as connection:
        rows = connection.execute("SELECT data FROM events WHERE sender_id = ?", (f"rest:{sender}",)).fetchall()
    assert len(rows) > 10  # the conversation was stored
    stored = "\n".join(row[0] for row in rows)
    logs = (workdir / "rasa.log").read_text(errors="replace") + (workdir / "actions.log").read_text(errors="replace")
    for trace in TRACES:
        assert trace not in stored, trace
        assert trace not in logs, trace
