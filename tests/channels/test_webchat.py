"""The web chat channel over real HTTP on loopback: a Sanic app with the channel's
blueprint and a fake agent in place of Rasa's (no model needed)."""
from __future__ import annotations

import asyncio
import http.client
import json
import re
import socket
import threading
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

import pytest
from rasa.core.channels.channel import UserMessage
from sanic import Sanic

from bot.server.channels.busy import BUSY_TEXTS
from bot.server.channels.rest import MAX_BODY_BYTES, HardenedRestInput
from bot.server.channels.webchat import (
    STATIC_DIR,
    WebChatInput,
    conversation_of,
    issue_sender,
    load_assets,
    webchat_secret,
)

PREFIX = "/webhooks/webchat"
FAILING_TEXT = "fail:"
TIMING_OUT_TEXT = "timeout:"
HANGING_TEXT = "hang:"
# The REST and web chat channels' bound on one turn, short here (60 s by default).
TURN_SECONDS = 2
# A sender the server issued (same process, same secret), and the conversation it names.
SENDER = issue_sender(webchat_secret())
CONVERSATION = conversation_of(SENDER, webchat_secret())


class FakeAgent:
    """Records what reaches the agent and answers like a bot with a button."""

    def __init__(self) -> None:
        self.received: List[UserMessage] = []

    async def handle(self, message: UserMessage) -> None:
        self.received.append(message)
        if message.text.startswith(FAILING_TEXT):
            raise RuntimeError("the agent failed")
        if message.text.startswith(TIMING_OUT_TEXT):
            raise asyncio.TimeoutError()  # as a lock wait or a store call that took too long
        if message.text.startswith(HANGING_TEXT):
            await asyncio.Event().wait()  # never set: a turn that hangs
        if message.text == "status?":
            # As Rasa sends a response of a custom action: with its name.
            await message.output_channel.send_response(
                message.sender_id, {"text": "Vos droits sont ouverts depuis le 01/06/2025.",
                                    "utter_action": "utter_file_status_active"}
            )
            await message.output_channel.send_response(message.sender_id, {"text": "Autre chose ?"})
            return
        await message.output_channel.send_text_with_buttons(
            message.sender_id,
            f"echo: {message.text}",
            [{"title": "واش أنا معني؟", "payload": "/check_eligibility"}],
        )


class Response:
    def __init__(self, status: int, headers: Dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)


class Server:
    def __init__(self, port: int, agent: FakeAgent) -> None:
        self.port, self.agent = port, agent

    def request(
        self,
        method: str,
        path: str,
        body=None,
        headers: Optional[Dict[str, str]] = None,
        chunked: bool = False,
    ) -> Response:
        # http.client sends the path as given: no "../" normalisation on the way.
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers or {}, encode_chunked=chunked)
            answer = connection.getresponse()
            return Response(answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read())
        finally:
            connection.close()

    def post(self, body: bytes, **kwargs) -> Response:
        headers = {"Content-Type": "application/json"}
        return self.request("POST", f"{PREFIX}/webhook", body=body, headers=headers, **kwargs)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    agent = FakeAgent()
    app = Sanic("webchat_test")
    channels = WebChatInput(), HardenedRestInput()
    for channel in channels:
        channel.turn_seconds = TURN_SECONDS
    app.blueprint(channels[0].blueprint(agent.handle), url_prefix=PREFIX)
    app.blueprint(channels[1].blueprint(agent.handle), url_prefix="/webhooks/rest")
    port = _free_port()
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def start():
        served = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
        await served.startup()
        await served.after_start()
        return served

    async def stop():
        await served.close()

    served = asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=30)
    yield Server(port, agent)
    asyncio.run_coroutine_threadsafe(stop(), loop).result(timeout=30)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=30)


@pytest.fixture
def agent(server: Server) -> FakeAgent:
    server.agent.received.clear()
    return server.agent


# --- the page and its assets -------------------------------------------------------


def test_page_is_served_as_html_with_a_strict_content_policy(server):
    page = server.request("GET", f"{PREFIX}/")
    assert page.status == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-cache"
    assert page.body == (STATIC_DIR / "index.html").read_bytes()


def test_page_without_trailing_slash_redirects_so_relative_urls_resolve(server):
    answer = server.request("GET", PREFIX)
    assert answer.status in (301, 302)
    assert answer.headers["location"] == f"{PREFIX}/"


def test_unchanged_page_is_answered_304(server):
    etag = server.request("GET", f"{PREFIX}/").headers["etag"]
    again = server.request("GET", f"{PREFIX}/", headers={"If-None-Match": etag})
    assert again.status == 304
    assert again.body == b""


@pytest.mark.parametrize(
    "name, content_type, cache",
    [
        ("chat.js", "text/javascript; charset=utf-8", "no-cache"),
        ("chat.css", "text/css; charset=utf-8", "no-cache"),
        ("fonts/noto-sans-arabic-arabic-400-normal.woff2", "font/woff2", "public, max-age=604800"),
        ("fonts/OFL.txt", "text/plain; charset=utf-8", "no-cache"),
    ],
)
def test_assets_are_served_with_their_type_and_cache_policy(server, name, content_type, cache):
    asset = server.request("GET", f"{PREFIX}/static/{name}")
    assert asset.status == 200
    assert asset.headers["content-type"] == content_type
    assert asset.headers["cache-control"] == cache
    assert asset.headers["x-content-type-options"] == "nosniff"
    assert asset.body == (STATIC_DIR / name).read_bytes()


def test_every_file_the_page_and_style_sheet_refer_to_is_served(server):
    page = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    style = (STATIC_DIR / "chat.css").read_text(encoding="utf-8")
    wanted = re.findall(r'(?:src|href)="static/([^"]+)"', page)
    wanted += [f"fonts/{name}" for name in re.findall(r'url\("fonts/([^"]+)"\)', style)]
    assert len(wanted) >= 4  # script, style sheet, two font weights
    for name in wanted:
        assert server.request("GET", f"{PREFIX}/static/{name}").status == 200, name


@pytest.mark.parametrize(
    "path",
    [
        "../webchat.py",
        "..%2Fwebchat.py",
        "%2e%2e/%2e%2e/policies.py",
        "fonts/../../webchat.py",
        "/etc/passwd",
        "%2Fetc%2Fpasswd",
        "..\\webchat.py",
        "missing.js",
        "fonts",
    ],
)
def test_paths_outside_the_assets_are_not_found(server, path):
    answer = server.request("GET", f"{PREFIX}/static/{path}")
    assert answer.status == 404
    assert b"import" not in answer.body and b"root:" not in answer.body


def test_only_known_kinds_of_file_are_servable(tmp_path: Path):
    (tmp_path / "fonts").mkdir()
    for name in ("page.html", "notes.py", "secret.env", "fonts/a.woff2", "fonts/a.woff"):
        (tmp_path / name).write_bytes(b"x")
    assert sorted(load_assets(tmp_path)) == ["fonts/a.woff2", "page.html"]


# --- the webhook ---------------------------------------------------------------------


def test_a_good_message_returns_the_bot_messages(server, agent):
    body = {"sender": SENDER, "message": "  salam, chno hiya AMO?  ", "metadata": {"page": "home"}}
    answer = server.post(json.dumps(body).encode())
    assert answer.status == 200
    assert answer.json() == [
        {
            "recipient_id": CONVERSATION,
            "text": "echo: salam, chno hiya AMO?",
            "buttons": [{"title": "واش أنا معني؟", "payload": "/check_eligibility"}],
        }
    ]
    [message] = agent.received
    assert (message.sender_id, message.input_channel) == (CONVERSATION, "webchat")
    assert message.metadata == {"page": "home", "channel": "webchat"}


def test_arabic_text_and_emoji_pass_unchanged(server, agent):
    text = "شنو هي AMO؟ 🙏"
    answer = server.post(json.dumps({"sender": SENDER, "message": text}, ensure_ascii=False).encode())
    assert answer.status == 200
    assert answer.json()[0]["text"] == f"echo: {text}"


def test_the_client_cannot_choose_another_channel_name(server, agent):
    body = {"sender": SENDER, "message": "salam", "input_channel": "twilio", "metadata": {"channel": "x"}}
    assert server.post(json.dumps(body).encode()).status == 200
    assert agent.received[0].input_channel == "webchat"
    assert agent.received[0].metadata == {"channel": "webchat"}


def _json(value) -> bytes:
    return json.dumps(value).encode()


BAD_BODIES: List[Tuple[str, bytes, str]] = [
    ("empty body", b"", "empty"),
    ("blank body", b"  \n ", "empty"),
    ("malformed JSON", b'{"sender": "m", "message": ', "not valid JSON"),
    ("JSON nested too deep", b"[" * 20_000 + b"]" * 20_000, "not valid JSON"),
    ("JSON array", _json(["m", "salam"]), "JSON object"),
    ("JSON string", _json("salam"), "JSON object"),
    ("JSON null", b"null", "JSON object"),
    ("missing sender", _json({"message": "salam"}), '"sender" must be a string'),
    ("numeric sender", _json({"sender": 42, "message": "salam"}), '"sender" must be a string'),
    ("empty sender", _json({"sender": " ", "message": "salam"}), '"sender" is empty'),
    ("missing message", _json({"sender": "m"}), '"message" must be a string'),
    ("null message", _json({"sender": "m", "message": None}), '"message" must be a string'),
    ("list message", _json({"sender": "m", "message": ["salam"]}), '"message" must be a string'),
    ("blank message", _json({"sender": "m", "message": " \n\t "}), '"message" is empty'),
    ("message too long", _json({"sender": "m", "message": "a" * 5001}), "longer than 5000"),
    ("sender too long", _json({"sender": "m" * 129, "message": "salam"}), "longer than 128"),
    ("NUL in message", _json({"sender": "m", "message": "sa\x00lam"}), "control characters"),
    ("escape in sender", _json({"sender": "m\x1b[31m", "message": "salam"}), "control characters"),
    ("lone surrogate", b'{"sender": "m", "message": "\\ud800"}', "control characters"),
    ("binary body", bytes(range(256)), "not UTF-8"),
    ("metadata not an object", _json({"sender": "m", "message": "x", "metadata": "x"}), '"metadata"'),
]


@pytest.mark.parametrize("body, reason", [case[1:] for case in BAD_BODIES], ids=[case[0] for case in BAD_BODIES])
def test_bad_bodies_are_answered_400_and_reach_no_agent(server, agent, body, reason):
    answer = server.post(body)
    assert answer.status == 400
    assert reason in answer.json()["error"]
    assert agent.received == []


def test_a_message_of_exactly_the_limit_is_accepted(server, agent):
    assert server.post(_json({"sender": SENDER, "message": "a" * 5000})).status == 200


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_body_over_the_size_limit_is_answered_413(server, agent, chunked):
    padding = "a" * (MAX_BODY_BYTES + 1)
    body = _json({"sender": "m", "message": "salam", "padding": padding})
    answer = server.post(iter([body[i : i + 8192] for i in range(0, len(body), 8192)]) if chunked else body, chunked=chunked)
    assert answer.status == 413
    assert "larger than" in answer.json()["error"]
    assert agent.received == []


def test_a_megabyte_body_is_answered_413(server, agent):
    answer = server.post(b"{" + b" " * 1_000_000 + b"}")
    assert answer.status == 413


def test_a_failing_agent_gives_503_and_no_message_text_in_the_logs(server, agent, capsys, caplog):
    body = {"sender": SENDER, "message": FAILING_TEXT + " ma CIN AB123456"}
    answer = server.post(_json(body))
    assert answer.status == 503
    assert answer.json() == [{"recipient_id": CONVERSATION, "text": BUSY_TEXTS["fr"]}]
    captured = capsys.readouterr()
    assert "AB123456" not in captured.out + captured.err + caplog.text


@pytest.mark.parametrize("path, sender, conversation", [(f"{PREFIX}/webhook", SENDER, CONVERSATION),
                                                       ("/webhooks/rest/webhook", "m1", "rest:m1")],
                         ids=["webchat", "rest"])
@pytest.mark.parametrize("failure", [FAILING_TEXT, TIMING_OUT_TEXT], ids=["raises", "times-out"])
@pytest.mark.parametrize("text, language", [("واش خاصني نخلص كل شهر؟", "dar"), ("هل يجب أن أدفع كل شهر؟", "ar"),
                                            ("wach khassni n5elles?", "dar"), ("Dois-je payer ?", "fr")])
def test_a_turn_that_cannot_run_is_answered_busy_as_bot_messages_in_the_members_language(
        server, agent, path, sender, conversation, failure, text, language):
    answer = server.request("POST", path, body=_json({"sender": sender, "message": f"{failure} {text}"}),
                            headers={"Content-Type": "application/json"})
    assert answer.status == 503
    assert answer.json() == [{"recipient_id": conversation, "text": BUSY_TEXTS[language]}]


def test_get_on_the_webhook_is_not_allowed(server):
    assert server.request("GET", f"{PREFIX}/webhook").status == 405


# --- the hardened REST channel (/webhooks/rest/webhook) ----------------------------


def test_the_rest_channel_keeps_its_url_health_and_answers(server, agent):
    assert server.request("GET", "/webhooks/rest/").json() == {"status": "ok"}
    answer = server.request("POST", "/webhooks/rest/webhook", body=b'{"sender": "m1", "message": "salam"}',
                            headers={"Content-Type": "application/json"})
    assert answer.status == 200 and answer.json()[0]["text"] == "echo: salam"
    assert agent.received[-1].sender_id == "rest:m1"
    assert agent.received[-1].input_channel == "rest"
    assert agent.received[-1].metadata["channel"] == "rest"


@pytest.mark.parametrize("body", [b"", b"{", b"[]", b'{"sender": "m1"}', b'{"sender": "m1", "message": "   "}'])
def test_the_rest_channel_answers_400_not_500_to_a_bad_body(server, agent, body):
    answer = server.request("POST", "/webhooks/rest/webhook", body=body, headers={"Content-Type": "application/json"})
    assert answer.status == 400 and "error" in answer.json()
    assert agent.received == []


def test_the_rest_channel_bounds_the_body(server, agent):
    body = b'{"sender": "m1", "message": "' + b"a" * MAX_BODY_BYTES + b'"}'
    answer = server.request("POST", "/webhooks/rest/webhook", body=body, headers={"Content-Type": "application/json"})
    assert answer.status == 413 and agent.received == []


# --- conversation ids the client cannot choose (review finding 3) --------------------

WHATSAPP_MEMBER = ["wa:212600000001", "212600000001", "tw:whatsapp:+212600000001", "whatsapp:+212600000001"]


def test_the_page_gets_a_new_signed_conversation_id_each_time(server, agent):
    first, second = (server.request("POST", f"{PREFIX}/conversation") for _ in range(2))
    assert first.status == 200 and first.headers["cache-control"] == "no-store"
    senders = [first.json()["sender"], second.json()["sender"]]
    assert senders[0] != senders[1]
    for sender in senders:
        assert server.post(_json({"sender": sender, "message": "salam"})).status == 200
    # The conversation is "web:<random>": the signature is never part of it.
    reached = [message.sender_id for message in agent.received]
    assert reached == [sender.split(".")[0] for sender in senders]
    assert all(r.startswith("web:") and "." not in r for r in reached)


FORGED = WHATSAPP_MEMBER + [
    "web-0123456789abcdef0123456789abcdef",  # the ids the page used to make up
    CONVERSATION,  # the conversation without its signature
    SENDER[:-1] + ("A" if SENDER[-1] != "A" else "B"),  # a signature one character off
    issue_sender(b"another server's secret"),
    SENDER + "x",
]


@pytest.mark.parametrize("sender", FORGED)
def test_the_web_chat_refuses_a_sender_it_did_not_issue(server, agent, sender):
    answer = server.post(_json({"sender": sender, "message": "salam"}))
    assert answer.status == 403 and "conversation" in answer.json()["error"]
    assert agent.received == []


@pytest.mark.parametrize("sender", WHATSAPP_MEMBER)
def test_the_rest_channel_cannot_name_another_channels_conversation(server, agent, sender):
    answer = server.request("POST", "/webhooks/rest/webhook", body=_json({"sender": sender, "message": "salam"}),
                            headers={"Content-Type": "application/json"})
    assert answer.status == 200
    assert agent.received[-1].sender_id == f"rest:{sender}"


# --- JSON only: no cross-site form or text/plain POST (review finding 15) --------------


@pytest.mark.parametrize("path", [f"{PREFIX}/webhook", "/webhooks/rest/webhook"])
@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded",
                     "multipart/form-data; boundary=x", "application/jsonp"]
)
def test_the_webhooks_accept_only_json(server, agent, path, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    answer = server.request("POST", path, body=_json({"sender": SENDER, "message": "salam"}), headers=headers)
    assert answer.status == 415
    assert agent.received == []


def test_json_with_a_charset_is_accepted(server, agent):
    answer = server.request("POST", f"{PREFIX}/webhook", body=_json({"sender": SENDER, "message": "salam"}),
                            headers={"Content-Type": "Application/JSON; charset=utf-8"})
    assert answer.status == 200


# --- the page keeps no file-status answer in the browser (review finding 14) ------------


def test_file_status_answers_are_marked_private_for_the_page(server, agent):
    answer = server.post(_json({"sender": SENDER, "message": "status?"}))
    assert answer.status == 200
    private, other = answer.json()
    assert private["private"] is True and "01/06/2025" in private["text"]
    assert "private" not in other


def test_the_page_stores_no_private_answer_and_asks_the_server_for_its_id():
    script = (STATIC_DIR / "chat.js").read_text(encoding="utf-8")
    assert "getRandomValues" not in script  # no id made up in the browser
    assert 'fetch("conversation"' in script
    assert "if (!answer.private) remember(bot)" in script


NODE = __import__("shutil").which("node")
HARNESS = Path(__file__).with_name("chatjs_harness.js")


def run_page(messages, replies):
    """chat.js itself, run by node over a stub DOM: what it posted and what it stored."""
    if NODE is None:
        pytest.skip("node is not installed")
    import subprocess

    done = subprocess.run([NODE, str(HARNESS), str(STATIC_DIR / "chat.js"), json.dumps(messages)],
                          input=json.dumps(replies), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    result["stored"] = json.loads(result["storage"]["amo-webchat"])
    return result


def test_the_page_shows_the_servers_busy_answer_and_gives_the_member_their_message_back():
    busy = [{"recipient_id": CONVERSATION, "text": BUSY_TEXTS["dar"]}]
    page = run_page(["salam", "واش خاصني نخلص؟"],
                    [[200, {"sender": SENDER}], [200, [{"text": "Bonjour"}]], [503, busy]])
    assert page["status"] == BUSY_TEXTS["dar"]
    assert page["input"] == "واش خاصني نخلص؟"
    assert [m["text"] for m in page["stored"]["messages"]] == ["salam", "Bonjour"]  # nothing of the failed turn


@pytest.mark.parametrize("status, body, words", [(503, None, "down"), (502, {"error": "bad gateway"}, "down"),
                                                 (413, {"error": "too large"}, "rejected")])
def test_a_failure_without_the_busy_answer_gets_the_pages_own_words(status, body, words):
    page = run_page(["salam"], [[200, {"sender": SENDER}], [status, body]])
    assert page["status"] == UI_FRENCH[words]
    assert page["input"] == "salam"


# The page's own words (chat.js UI.fr), read from the script.
UI_FRENCH = {key: re.search(rf'^    {key}: "([^"]+)",$', (STATIC_DIR / "chat.js").read_text(encoding="utf-8"),
                            re.M).group(1) for key in ("down", "rejected")}


def test_the_page_keeps_no_file_status_answer_in_the_browsers_storage():
    """Review finding 14, on the script itself: a private answer is shown, never stored,
    and the member's message it answers is stored masked whole."""
    status = "Vos droits sont ouverts depuis le 01/06/2025. Bénéficiaires déclarés : 1 conjoint."
    page = run_page(
        ["salam", "25 janvier 1990"],
        [[200, {"sender": SENDER}], [200, [{"text": "Bonjour"}]],
         [200, [{"text": status, "private": True}, {"text": "Autre chose ?"}]]],
    )
    stored = page["stored"]
    kept = json.dumps(stored, ensure_ascii=False)
    assert "01/06/2025" not in kept and "conjoint" not in kept and "janvier 1990" not in kept
    assert [m["text"] for m in stored["messages"]] == ["salam", "Bonjour", "•••", "Autre chose ?"]
    assert stored["sender"] == SENDER


def test_the_page_uses_the_servers_id_and_asks_again_when_it_is_refused():
    page = run_page(
        ["salam"],
        [[200, {"sender": "web:old.sig"}], [403, {"error": "unknown conversation"}],
         [200, {"sender": SENDER}], [200, [{"text": "Bonjour"}]]],
    )
    posted = page["posted"]
    assert [p["url"] for p in posted] == ["conversation", "webhook", "conversation", "webhook"]
    assert posted[-1]["body"] == {"sender": SENDER, "message": "salam"}
    assert page["stored"]["sender"] == SENDER


@pytest.mark.parametrize("path, sender, conversation", [(f"{PREFIX}/webhook", SENDER, CONVERSATION),
                                                       ("/webhooks/rest/webhook", "m2", "rest:m2")],
                         ids=["webchat", "rest"])
def test_a_turn_that_hangs_is_answered_busy_once_its_bound_is_over(server, agent, path, sender, conversation):
    answer = server.request("POST", path, body=_json({"sender": sender, "message": f"{HANGING_TEXT} Dois-je payer ?"}),
                            headers={"Content-Type": "application/json"})
    assert answer.status == 503
    assert answer.json() == [{"recipient_id": conversation, "text": BUSY_TEXTS["fr"]}]
