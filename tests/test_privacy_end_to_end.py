"""A whole file-status look-up through the real Rasa server and action server, then
a search of the tracker store and of both servers' logs for the identifier and the
birth date the member typed; and one conversation carrying generated identifiers,
dates, phone numbers and e-mails in every accepted form, searched for in the tracker
store, the logs and the analytics store (review finding 7)."""
import re
import sqlite3
import uuid

import pytest

from tests.conftest import say_over_rest, start_action_server, start_rasa_server
from tests.helpers import variant
from tests.test_redaction import generated_values
from bot.shared.unanswered import conversation_hash

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


def _compact(text: str) -> str:
    from bot.shared.identifiers import fold

    return re.sub(r"[\s.\-_/()+]", "", fold(text))


def test_generated_identifiers_dates_phones_and_emails_are_stored_nowhere(stack, action_env):
    """Values in every form the parser accepts (tests/test_redaction.py generates them),
    sent through the real servers in one conversation with a file-status look-up; then
    the tracker store, both logs and the analytics store are searched for each."""
    url, workdir = stack
    values = generated_values(seed=2026, count=6)
    sender = f"privacy-gen-{uuid.uuid4().hex}"
    for identifier, birth, phone, email in zip(*values.values()):
        say_over_rest(url, sender, f"quelle est la météo à Paris demain ? mail {email}, tel {phone}, "
                                   f"cin {identifier}, né le {birth}")
    # A verified look-up in another conversation: the bot's answer holds the file
    # (dates, last month paid, beneficiaries), and is not stored as such.
    member = f"privacy-status-{uuid.uuid4().hex}"
    say_over_rest(url, member, "Bonjour, où en est mon dossier AMO ?")
    say_over_rest(url, member, "zz 100 003")
    answer = say_over_rest(url, member, "25 janvier 1990")
    shown = " ".join(m.get("text", "") for m in answer)
    assert "01/06/2025" in shown  # rights open since, as the member was told

    with sqlite3.connect(workdir / "trackers.db") as connection:
        stored = "\n".join(r[0] for r in connection.execute(
            "SELECT data FROM events WHERE sender_id IN (?, ?)", (f"rest:{sender}", f"rest:{member}")))
    assert stored.count('"event": "user"') >= 9
    assert "<FILE STATUS>" in stored
    analytics_db = action_env["AMO_ANALYTICS_DB_URL"].replace("sqlite:///", "")
    with sqlite3.connect(analytics_db) as connection:
        recorded = "\n".join(r[0] for r in connection.execute(
            "SELECT text_redacted FROM unanswered WHERE conversation_hash = ?", (conversation_hash(f"rest:{sender}"),)))
    assert recorded, "no unanswered question was recorded: the analytics search would prove nothing"
    logs = (workdir / "rasa.log").read_text(errors="replace") + (workdir / "actions.log").read_text(errors="replace")
    places = {"tracker store": stored, "analytics store": recorded, "logs": logs}
    for kind, written_forms in values.items():
        for value in written_forms:
            digits = _compact(value)
            for place, text in places.items():
                assert value not in text, (place, kind, value)
                if kind != "emails" and len(re.sub(r"\D", "", digits)) >= 6:
                    assert digits not in _compact(text), (place, kind, value)
    for value in ("01/06/2025", "20/05/2025", "ZZ100003", "zz 100 003", "25 janvier 1990"):
        assert value not in stored and value not in recorded, value
