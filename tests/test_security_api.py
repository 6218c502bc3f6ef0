"""Through a real `rasa run`: Rasa's HTTP API answers only with the token (review finding 1),
and a WhatsApp member's conversation cannot be reached through the web chat or the REST
channel (finding 3).

The API is started as scripts/run and tests/conftest.py start it: `--enable-api
--auth-token <token>`. The trained model (models/amo.tar.gz) serves both parts; the
authentication part does not depend on it (Rasa checks the token before it looks at
the model), so without a model it runs on a server started with the API only.
"""
from __future__ import annotations

import json
import os
import subprocess
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Optional

import pytest

from tests.conftest import API_TOKEN, api_url, free_port, start_rasa_server, wait_until_up
from tests.helpers import RASA, ROOT

WHATSAPP_MEMBER = "wa:212600000001"
LEGACY_MEMBER = "212600000001"  # a WhatsApp id before the channel prefixes
WEBCHAT_SECRET = "a web chat secret for this test only, long enough"
MODEL = Path(os.environ.get("AMO_MODEL", ROOT / "models" / "amo.tar.gz"))


def _endpoints(directory: Path) -> Path:
    path = directory / "endpoints.yml"
    path.write_text(
        "tracker_store:\n  type: bot.server.tracker_store.RedactingSQLTrackerStore\n  dialect: sqlite\n"
        f"  db: {directory / 'trackers.db'}\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A `rasa run` with our channels, the API on with the token; the model if there is one."""
    directory = tmp_path_factory.mktemp("security-api")
    env = {**os.environ, "AMO_WEBCHAT_SECRET": WEBCHAT_SECRET}
    env.pop("AMO_ENV", None)
    if MODEL.exists():
        process, url = start_rasa_server(MODEL, _endpoints(directory), directory / "rasa.log", env)
    else:
        port = free_port()
        process = subprocess.Popen(
            [RASA, "run", "--interface", "127.0.0.1", "--port", str(port), "--endpoints", str(_endpoints(directory)),
             "--credentials", str(ROOT / "credentials.yml"), "--enable-api", "--auth-token", API_TOKEN],
            cwd=ROOT, stdout=(directory / "rasa.log").open("w"), stderr=subprocess.STDOUT, env=env,
        )
        url = f"http://127.0.0.1:{port}"
        wait_until_up(f"{url}/", process, timeout=300)
    yield url
    process.terminate()
    process.wait(timeout=60)


def call(url: str, method: str, body=None, content_type: str = "application/json"):
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


CONVERSATION = f"/conversations/{WHATSAPP_MEMBER}"
PROTECTED = [
    ("GET", f"{CONVERSATION}/tracker", None),
    ("POST", f"{CONVERSATION}/tracker/events", {"event": "slot", "name": "language", "value": "fr"}),
    ("PUT", f"{CONVERSATION}/tracker/events", []),
    ("POST", f"{CONVERSATION}/execute", {"name": "utter_greet"}),
    ("POST", f"{CONVERSATION}/trigger_intent", {"name": "greet"}),
    ("POST", f"{CONVERSATION}/messages", {"text": "salam", "sender": "user"}),
    ("GET", "/status", None),
    ("PUT", "/model", {"model_file": "/nonexistent/model.tar.gz"}),
    ("DELETE", "/model", None),
]


@pytest.mark.parametrize("method, path, body", PROTECTED, ids=[f"{m} {p}" for m, p, _ in PROTECTED])
@pytest.mark.parametrize("token", [None, "", "wrong-token"], ids=["no token", "empty token", "wrong token"])
def test_the_api_refuses_a_call_without_the_token(server, method, path, body, token):
    url = f"{server}{path}" if token is None else f"{server}{path}?token={token}"
    status, _ = call(url, method, body)
    assert status in (401, 403), (method, path, status)


def test_the_api_answers_with_the_token(server):
    """Every call above gets past the authentication with the token (/model at the end
    of this module: it may unload the model)."""
    for method, path, body in PROTECTED:
        if path == "/model":
            continue
        status, answer = call(api_url(server, path), method, body)
        assert status not in (401, 403), (method, path, status, answer[:200])


# --- a WhatsApp member's conversation, from the web chat and the REST channel ----------


def tracker(server: str, conversation: str) -> list:
    status, body = call(api_url(server, f"/conversations/{conversation}/tracker"), "GET")
    assert status == 200
    return json.loads(body)["events"]


@pytest.fixture(scope="module")
def whatsapp_conversations(server, model_path):
    """Two members' WhatsApp conversations, written as the operator would (API, token)."""
    events = [
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "fin wsal dossier dyali", "parse_data": {
            "intent": {"name": "check_file_status", "confidence": 1.0}, "entities": []}},
        {"event": "slot", "name": "language", "value": "dar-latn"},
    ]
    for conversation in (WHATSAPP_MEMBER, LEGACY_MEMBER):
        status, _ = call(api_url(server, f"/conversations/{conversation}/tracker/events"), "POST", events)
        assert status == 200
    return {conversation: tracker(server, conversation) for conversation in (WHATSAPP_MEMBER, LEGACY_MEMBER)}


def webchat(server: str, sender: str, message: str = "salam"):
    return call(f"{server}/webhooks/webchat/webhook", "POST", {"sender": sender, "message": message})


def test_a_whatsapp_members_id_reaches_nothing_of_theirs_through_the_web_chat_or_rest(
    server, whatsapp_conversations
):
    for member in (WHATSAPP_MEMBER, LEGACY_MEMBER, f"tw:+{LEGACY_MEMBER}"):
        # The web chat: a sender it did not issue is refused.
        status, body = webchat(server, member, '/change_language{"language":"ar"}')
        assert status == 403, body
        # The REST channel: the id lands in its own namespace.
        status, body = call(f"{server}/webhooks/rest/webhook", "POST",
                            {"sender": member, "message": '/change_language{"language":"ar"}'})
        assert status == 200, body
        assert all(message["recipient_id"] == f"rest:{member}" for message in json.loads(body))
        assert any(e.get("event") == "user" for e in tracker(server, f"rest:{member}"))
    # A cross-site text/plain post, which a browser sends without asking, is refused too.
    status, _ = call(f"{server}/webhooks/webchat/webhook", "POST",
                     json.dumps({"sender": WHATSAPP_MEMBER, "message": "salam"}).encode(), "text/plain")
    assert status == 415
    # The page's own way in works, into a conversation of its own.
    status, body = call(f"{server}/webhooks/webchat/conversation", "POST", b"")
    sender = json.loads(body)["sender"]
    status, body = webchat(server, sender)
    assert status == 200 and json.loads(body)
    assert all(message["recipient_id"] == sender.split(".")[0] for message in json.loads(body))

    for conversation, before in whatsapp_conversations.items():
        assert tracker(server, conversation) == before, conversation


def test_the_model_endpoints_answer_with_the_token(server):
    """Last in this module: DELETE /model unloads the model."""
    status, _ = call(api_url(server, "/model"), "PUT", {"model_file": "/nonexistent/model.tar.gz"})
    assert status not in (401, 403)
    status, _ = call(api_url(server, "/model"), "DELETE")
    assert status == 204
