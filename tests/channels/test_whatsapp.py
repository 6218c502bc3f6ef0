"""WhatsApp Cloud API channel over real HTTP: the webhook served by Sanic on
loopback, Meta's documented payload shapes, and a fake Graph API recording what
the bot sends."""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
from typing import Any, Dict, List, Optional, Tuple

import aiohttp
import pytest

from bot.server.channels.busy import BUSY_TEXTS
from bot.server.channels.dedup import MessageIdStore, SQLOptionMemory, channel_engine
from bot.server.channels.outgoing import OptionMemory, RetryPolicy
from bot.server.channels.webhook import TurnPolicy
from bot.server.channels.whatsapp import WhatsAppInput, WhatsAppOutput, incoming_messages
from tests.channels import FakeProvider, RecordingAgent, run_async, serve

SECRET = "app-secret-for-tests"
VERIFY_TOKEN = "verify-me"
MEMBER = "212600000001"  # a made-up wa_id
ARABIC_QUESTION = "كيفاش نسجل مراتي فـ AMO؟"


CONVERSATION = f"wa:{MEMBER}"  # the conversation id carries the channel
FAST = TurnPolicy(retry_delay=0)


def make_channel(
    tmp_path, graph_url: str = "http://127.0.0.1:9", app_secret: Optional[str] = SECRET,
    policy: TurnPolicy = FAST, option_memory: Optional[OptionMemory] = None,
) -> WhatsAppInput:
    return WhatsAppInput(
        verify_token=VERIFY_TOKEN,
        app_secret=app_secret,
        access_token="token",
        phone_number_id="PHONE_ID",
        message_ids=MessageIdStore.from_url(f"sqlite:///{tmp_path}/channels.db"),
        graph_url=graph_url,
        retry=RetryPolicy(base_delay=0),
        option_memory=option_memory,
        policy=policy,
    )


def notification(*messages: Dict[str, Any], statuses: Optional[List[Dict[str, Any]]] = None) -> Dict[str, Any]:
    """A webhook notification as Meta documents it."""
    value: Dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550001111", "phone_number_id": "PHONE_ID"},
    }
    if messages:
        value["contacts"] = [{"profile": {"name": "Amina"}, "wa_id": MEMBER}]
        value["messages"] = list(messages)
    if statuses:
        value["statuses"] = statuses
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "WABA_ID", "changes": [{"value": value, "field": "messages"}]}],
    }


def message(kind: str, content: Any, message_id: str = "wamid.HBgMMjEyNjAwMDAwMDAxFQIAEhgg") -> Dict[str, Any]:
    return {"from": MEMBER, "id": message_id, "timestamp": "1700000000", "type": kind, kind: content}


def text_message(body: str, message_id: str = "wamid.text1") -> Dict[str, Any]:
    return message("text", {"body": body}, message_id)


def signed(body: bytes, secret: str = SECRET) -> Dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={digest}", "Content-Type": "application/json"}


async def post(url: str, body: Any, headers: Dict[str, str]) -> int:
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{url}/webhook", data=body, headers=headers) as response:
            return response.status


async def deliver(channel: WhatsAppInput, agent: RecordingAgent, *payloads: Dict[str, Any]) -> List[int]:
    """Posts each payload, signed, and waits for the background turns."""
    statuses = []
    async with serve(channel, agent) as url:
        for payload in payloads:
            body = json.dumps(payload).encode()  # ensure_ascii: \uXXXX escapes, as Meta sends
            statuses.append(await post(url, body, signed(body)))
        await channel.turns.drain()
    return statuses


# -- verification ------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, status, text",
    [
        ({"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"}, 200, "1158201444"),
        ({"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1158201444"}, 403, "forbidden"),
        ({"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"}, 403, "forbidden"),
        ({"hub.challenge": "1"}, 403, "forbidden"),
    ],
)
@run_async
async def test_webhook_verification(tmp_path, params, status, text):
    async with serve(make_channel(tmp_path), RecordingAgent()) as url:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{url}/webhook", params=params) as response:
                assert (response.status, await response.text()) == (status, text)


# -- incoming ----------------------------------------------------------------------


@run_async
async def test_signed_arabic_text_reaches_the_agent(tmp_path):
    agent = RecordingAgent()
    payload = notification(text_message(ARABIC_QUESTION))
    assert "\\u0643" in json.dumps(payload)  # the body really carries escapes

    assert await deliver(make_channel(tmp_path), agent, payload) == [200]

    [received] = agent.messages
    assert (received.text, received.sender_id) == (ARABIC_QUESTION, CONVERSATION)
    assert (received.input_channel, received.metadata) == ("whatsapp", {"channel": "whatsapp"})
    assert received.message_id == "wamid.text1"
    assert isinstance(received.output_channel.output, WhatsAppOutput)  # held until the turn succeeded


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Hub-Signature-256": "sha256=" + "0" * 64},
        {"X-Hub-Signature-256": "not-a-signature"},
        {"X-Hub-Signature-256": "sha256=é"},
        "signed-with-another-secret",
        "signed-other-body",
    ],
)
@run_async
async def test_missing_or_wrong_signature_is_rejected_before_processing(tmp_path, headers):
    agent = RecordingAgent()
    body = json.dumps(notification(text_message("salam"))).encode()
    if headers == "signed-with-another-secret":
        headers = signed(body, secret="another-secret")
    elif headers == "signed-other-body":
        headers = signed(body.replace(b"salam", b"hello"))
    channel = make_channel(tmp_path)

    async with serve(channel, agent) as url:
        assert await post(url, body, headers) == 403
        await channel.turns.drain()

    assert agent.messages == []


@run_async
async def test_without_app_secret_every_post_is_rejected(tmp_path, caplog):
    agent = RecordingAgent()
    body = json.dumps(notification(text_message("salam"))).encode()
    channel = make_channel(tmp_path, app_secret=None)

    async with serve(channel, agent) as url:
        statuses = [await post(url, body, signed(body, secret="")) for _ in range(2)]

    assert statuses == [403, 403]
    assert agent.messages == []
    assert caplog.text.count("WHATSAPP_APP_SECRET is not set") == 1


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"",
        b"\xff\xfe\x00binary",
        b"[]",
        b'{"entry": "x"}',
        b'{"object": "whatsapp_business_account"}',
        json.dumps({"entry": [{"changes": [{"value": {"messages": "not a list"}}]}]}).encode(),
        b"[" * 100_000,
    ],
)
@run_async
async def test_malformed_body_with_valid_signature_is_a_400(tmp_path, body):
    agent = RecordingAgent()
    channel = make_channel(tmp_path)

    async with serve(channel, agent) as url:
        assert await post(url, body, signed(body)) == 400

    assert agent.messages == []


@pytest.mark.parametrize("chunked", [False, True])
@run_async
async def test_oversize_body_is_rejected(tmp_path, chunked):
    agent = RecordingAgent()
    body = json.dumps(notification(text_message("x" * 1024 * 1024))).encode()
    channel = make_channel(tmp_path)

    async def chunks():  # no Content-Length: the size is found while reading
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    async with serve(channel, agent) as url:
        assert await post(url, chunks() if chunked else body, signed(body)) == 413

    assert agent.messages == []


@run_async
async def test_status_callbacks_are_acknowledged_and_ignored(tmp_path):
    agent = RecordingAgent()
    statuses = [{"id": "wamid.out1", "status": status, "timestamp": "1700000001", "recipient_id": MEMBER}
                for status in ("sent", "delivered", "read")]

    assert await deliver(make_channel(tmp_path), agent, notification(statuses=statuses)) == [200]
    assert agent.messages == []


@pytest.mark.parametrize(
    "kind, content",
    [
        ("image", {"mime_type": "image/jpeg", "sha256": "abc", "id": "MEDIA_ID"}),
        ("audio", {"mime_type": "audio/ogg; codecs=opus", "id": "MEDIA_ID", "voice": True}),
        ("video", {"mime_type": "video/mp4", "id": "MEDIA_ID"}),
        ("document", {"filename": "cin.pdf", "mime_type": "application/pdf", "id": "MEDIA_ID"}),
        ("sticker", {"mime_type": "image/webp", "id": "MEDIA_ID", "animated": False}),
        ("location", {"latitude": 33.57, "longitude": -7.59, "name": "Agence"}),
        ("contacts", [{"name": {"formatted_name": "X"}, "phones": [{"phone": "+212600000002"}]}]),
        ("unsupported", {"errors": [{"code": 131051}]}),
        ("interactive", {"type": "nfm_reply", "nfm_reply": {"response_json": "{}"}}),
    ],
)
@run_async
async def test_non_text_messages_become_share_media(tmp_path, kind, content):
    agent = RecordingAgent()

    await deliver(make_channel(tmp_path), agent, notification(message(kind, content)))

    assert agent.texts == ["/share_media"]


@pytest.mark.parametrize(
    "kind, content, expected",
    [
        ("interactive", {"type": "button_reply", "button_reply": {"id": "/ask_tadamon", "title": "Tadamon"}},
         "/ask_tadamon"),
        ("interactive", {"type": "list_reply", "list_reply": {"id": "/help", "title": "Tous les sujets"}}, "/help"),
        ("button", {"payload": "/check_eligibility", "text": "Suis-je concerné ?"}, "/check_eligibility"),
        ("button", {"text": "Oui"}, "Oui"),
    ],
)
@run_async
async def test_replies_to_buttons_and_lists_become_their_payload(tmp_path, kind, content, expected):
    agent = RecordingAgent()

    await deliver(make_channel(tmp_path), agent, notification(message(kind, content)))

    assert agent.texts == [expected]


@run_async
async def test_reactions_and_blank_texts_are_ignored(tmp_path):
    agent = RecordingAgent()
    reaction = message("reaction", {"message_id": "wamid.out1", "emoji": "👍"})

    await deliver(make_channel(tmp_path), agent, notification(reaction, text_message("  ", "wamid.blank")))

    assert agent.messages == []


@run_async
async def test_messages_of_one_notification_are_handled_in_order(tmp_path):
    agent = RecordingAgent()
    messages = [text_message(f"message {n}", f"wamid.{n}") for n in range(5)]

    await deliver(make_channel(tmp_path), agent, notification(*messages))

    assert agent.texts == [f"message {n}" for n in range(5)]


@run_async
async def test_malformed_messages_are_skipped_one_by_one(tmp_path, caplog):
    agent = RecordingAgent()
    without_sender = {"id": "wamid.x", "type": "text", "text": {"body": "salam"}}
    payload = notification(text_message("première", "wamid.a"), without_sender,
                           message("text", {"body": 42}, "wamid.y"), text_message("deuxième", "wamid.b"))

    assert await deliver(make_channel(tmp_path), agent, payload) == [200]

    assert agent.texts == ["première", "deuxième"]
    assert caplog.text.count("Skipped a malformed WhatsApp message") == 2


@run_async
async def test_a_failing_turn_is_retried_its_answers_sent_once_and_nothing_leaks(tmp_path, caplog):
    class FailingOnce(RecordingAgent):
        async def handle_message(self, message):
            await super().handle_message(message)  # the answer is held, then dropped
            if len(self.messages) == 1:
                raise RuntimeError(f"boom for {message.sender_id}: {message.text}")

    agent = FailingOnce(replies=[{"text": "réponse"}])
    payload = notification(text_message("première", "wamid.a"), text_message("deuxième", "wamid.b"))

    async with FakeProvider().running() as graph:
        assert await deliver(make_channel(tmp_path, graph_url=graph.url), agent, payload) == [200]

    assert agent.texts == ["première", "première", "deuxième"]
    assert [sent["text"]["body"] for sent in graph.sent] == ["réponse", "réponse"]  # one per message
    assert "turn failed (attempt 1/3): RuntimeError" in caplog.text
    assert "première" not in caplog.text and MEMBER not in caplog.text


class Outage(RecordingAgent):
    """An agent whose turns fail while `down` (the tracker store or lock store is out)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.down = True

    async def handle_message(self, message):
        if self.down:
            self.messages.append(message)
            raise ConnectionError("database down")
        await super().handle_message(message)


@run_async
async def test_a_turn_that_keeps_failing_gets_the_busy_answer_and_runs_again_on_redelivery(tmp_path, caplog):
    """At least once: the id is released after the failure, so Meta's redelivery is
    answered; once done, further redeliveries are dropped."""
    agent = Outage(replies=[{"text": "Bonjour ! Que voulez-vous savoir ?"}])
    payload = notification(text_message("bonjour, je veux m'inscrire", "wamid.lost"))

    async with FakeProvider().running() as graph:
        channel = make_channel(tmp_path, graph_url=graph.url)
        assert await deliver(channel, agent, payload) == [200]
        assert [sent["text"]["body"] for sent in graph.sent] == [BUSY_TEXTS["fr"]]
        assert len(agent.messages) == 3  # three attempts
        assert channel.message_ids.status("wamid.lost") is None  # released

        agent.down = False
        assert await deliver(channel, agent, payload, payload) == [200, 200]

    assert [sent["text"]["body"] for sent in graph.sent] == [BUSY_TEXTS["fr"], "Bonjour ! Que voulez-vous savoir ?"]
    assert channel.message_ids.status("wamid.lost") == "done"
    assert "turn failed (attempt 3/3): ConnectionError" in caplog.text


@pytest.mark.parametrize("text, language", [("واش خاصني نخلص؟", "dar"), ("هل يجب أن أدفع؟", "ar"),
                                            ("wach khassni n5elles?", "dar"), ("Dois-je payer ?", "fr")])
@run_async
async def test_the_busy_answer_is_in_the_members_language(tmp_path, text, language):
    async with FakeProvider().running() as graph:
        await deliver(make_channel(tmp_path, graph_url=graph.url, policy=TurnPolicy(attempts=1)), Outage(),
                      notification(text_message(text, "wamid.busy")))

    assert [sent["text"]["body"] for sent in graph.sent] == [BUSY_TEXTS[language]]


@run_async
async def test_concurrent_turns_are_bounded_and_all_run(tmp_path):
    class Slow(RecordingAgent):
        async def handle_message(self, message):
            await asyncio.sleep(0.01)
            await super().handle_message(message)

    agent = Slow()
    messages = [dict(text_message(f"m{n}", f"wamid.{n}"), **{"from": f"2126000{n:05d}"}) for n in range(200)]
    channel = make_channel(tmp_path, policy=TurnPolicy(workers=4, retry_delay=0))

    assert await deliver(channel, agent, notification(*messages)) == [200]

    assert sorted(agent.texts) == sorted(f"m{n}" for n in range(200))
    assert channel.turns.peak == 4


@run_async
async def test_a_full_queue_refuses_the_delivery_so_that_meta_redelivers(tmp_path):
    release = asyncio.Event()

    class Stuck(RecordingAgent):
        async def handle_message(self, message):
            await release.wait()
            await super().handle_message(message)

    def delivery(first: int) -> bytes:
        return json.dumps(notification(*[dict(text_message(f"m{n}", f"wamid.{n}"), **{"from": f"21260000{n:04d}"})
                                         for n in range(first, first + 5)])).encode()

    agent = Stuck()
    channel = make_channel(tmp_path, policy=TurnPolicy(workers=1, max_waiting=2, retry_delay=0))

    async with serve(channel, agent) as url:
        assert await post(url, delivery(0), signed(delivery(0))) == 200  # queued whole
        assert await post(url, delivery(5), signed(delivery(5))) == 503  # 4 already wait
        release.set()
        await channel.turns.drain()
        assert await post(url, delivery(5), signed(delivery(5))) == 200  # Meta's redelivery
        await channel.turns.drain()

    assert sorted(agent.texts) == sorted(f"m{n}" for n in range(10))  # each once


@run_async
async def test_a_graceful_stop_runs_what_was_waiting(tmp_path):
    class Slow(RecordingAgent):
        async def handle_message(self, message):
            await asyncio.sleep(0.05)
            await super().handle_message(message)

    agent = Slow()
    channel = make_channel(tmp_path, policy=TurnPolicy(workers=1, retry_delay=0))
    body = json.dumps(notification(*[text_message(f"m{n}", f"wamid.{n}") for n in range(6)])).encode()

    async with serve(channel, agent) as url:
        assert await post(url, body, signed(body)) == 200
        assert channel.turns.waiting > 0  # the server stops with turns waiting

    assert agent.texts == [f"m{n}" for n in range(6)]
    assert all(channel.message_ids.status(f"wamid.{n}") == "done" for n in range(6))


@run_async
async def test_two_instances_share_de_duplication_and_numbered_options(tmp_path):
    """Behind a load balancer: the options offered by one instance are picked on the
    other, and a redelivery reaching the other instance is dropped."""
    url = f"sqlite:///{tmp_path}/shared.db"
    buttons = [{"title": f"Sujet {n}", "payload": f"/topic_{n}"} for n in range(1, 13)]
    agent = RecordingAgent(replies=[{"text": "Choisissez un sujet :", "buttons": buttons}])
    first_message = notification(text_message("aide", "wamid.1"))

    def instance(graph_url):
        engine = channel_engine(url)
        return WhatsAppInput(VERIFY_TOKEN, SECRET, "token", "PHONE_ID", MessageIdStore(engine), graph_url=graph_url,
                             retry=RetryPolicy(base_delay=0), option_memory=SQLOptionMemory(engine), policy=FAST)

    async with FakeProvider().running() as graph:
        await deliver(instance(graph.url), agent, first_message)
        other = instance(graph.url)
        await deliver(other, agent, first_message, notification(text_message("٢", "wamid.2")))

    assert agent.texts == ["aide", "/topic_2"]


def test_a_claim_left_by_a_killed_instance_is_taken_over_later(tmp_path):
    clock = [1000.0]
    store = MessageIdStore(channel_engine(f"sqlite:///{tmp_path}/ids.db"), stale_after=600, clock=lambda: clock[0])

    assert store.claim("wamid.1") is True
    assert store.claim("wamid.1") is False  # in flight elsewhere
    clock[0] += 601
    assert store.claim("wamid.1") is True  # its instance died
    store.done("wamid.1")
    clock[0] += 10_000
    assert store.claim("wamid.1") is False  # done stays done


def test_shared_option_memory_forgets_after_its_ttl(tmp_path):
    from bot.server.channels.outgoing import Option

    clock = [0.0]
    memory = SQLOptionMemory(channel_engine(f"sqlite:///{tmp_path}/o.db"), ttl_seconds=60, clock=lambda: clock[0])
    memory.remember("wa:1", [Option("A", "/a"), Option("B", "/b")])

    assert (memory.resolve("wa:1", "2"), memory.resolve("wa:1", "3"), memory.resolve("wa:2", "1")) == ("/b", "3", "1")
    memory.remember("wa:1", [Option("C", "/c")])
    assert memory.resolve("wa:1", "1.") == "/c"
    clock[0] = 61
    assert memory.resolve("wa:1", "1") == "1"


@run_async
async def test_a_redelivered_message_is_processed_once_even_after_a_restart(tmp_path):
    payload = notification(text_message("salam", "wamid.same"))
    first, second = RecordingAgent(), RecordingAgent()

    assert await deliver(make_channel(tmp_path), first, payload, payload) == [200, 200]
    # A new channel and store on the same database file: the restart case.
    assert await deliver(make_channel(tmp_path), second, payload) == [200]

    assert first.texts == ["salam"]
    assert second.messages == []


@run_async
async def test_numbered_options_are_answered_by_number(tmp_path):
    buttons = [{"title": f"Sujet {n}", "payload": f"/topic_{n}"} for n in range(1, 13)]
    agent = RecordingAgent(replies=[{"text": "Choisissez un sujet :", "buttons": buttons}])

    async with FakeProvider().running() as graph:
        channel = make_channel(tmp_path, graph_url=graph.url)
        await deliver(channel, agent, notification(text_message("aide", "wamid.1")),
                      notification(text_message("٢", "wamid.2")), notification(text_message("12", "wamid.3")))

    assert agent.texts == ["aide", "/topic_2", "/topic_12"]
    assert "12. Sujet 12" in graph.sent[0]["text"]["body"]


# -- one turn, rendered as a whole ---------------------------------------------------


def topics(count: int, first: int = 1) -> List[Dict[str, str]]:
    return [{"title": f"Sujet {n}", "payload": f"/topic_{n}"} for n in range(first, first + count)]


def reply_buttons(sent: Dict[str, Any]) -> List[str]:
    """The ids of an interactive message's reply buttons or list rows, checked against
    WhatsApp's limits: at most 3 buttons, or ONE list of at most 10 rows."""
    action = sent["interactive"]["action"]
    if sent["interactive"]["type"] == "button":
        ids = [button["reply"]["id"] for button in action["buttons"]]
        assert len(ids) <= 3
    else:
        [section] = action["sections"]
        ids = [row["id"] for row in section["rows"]]
        assert len(ids) <= 10
    assert len(set(ids)) == len(ids), "a duplicate payload"
    return ids


@run_async
async def test_options_numbered_in_a_turn_are_numbered_on_and_a_number_picks_from_the_whole_turn(tmp_path):
    """An answer with 12 options and a question with 11: "1"-"12" then "13"-"23", and a
    typed "14" is the question's second option, "2" the answer's second."""
    agent = RecordingAgent(replies=[{"text": "Tous les sujets :", "buttons": topics(12)},
                                    {"text": "Ou bien :", "buttons": topics(11, first=13)}])

    async with FakeProvider().running() as graph:
        channel = make_channel(tmp_path, graph_url=graph.url)
        await deliver(channel, agent, notification(text_message("aide", "wamid.1")),
                      notification(text_message("14", "wamid.2")), notification(text_message("٢", "wamid.3")))

    assert agent.texts == ["aide", "/topic_14", "/topic_2"]
    answer, question = (sent["text"]["body"] for sent in graph.sent[:2])
    assert re.findall(r"^(\d+)\. ", answer, re.M) == [str(n) for n in range(1, 13)]
    assert re.findall(r"^(\d+)\. ", question, re.M) == [str(n) for n in range(13, 24)]


@run_async
async def test_reply_buttons_after_numbered_options_leave_the_numbers_to_the_turn(tmp_path):
    """The question's buttons are sent as buttons (one id per payload); a "2" typed
    after the turn still picks the answer's second option."""
    question = [{"title": "Oui", "payload": "/affirm"}, {"title": "Oui, merci", "payload": "/affirm"},
                {"title": "Non", "payload": "/deny"}]
    agent = RecordingAgent(replies=[{"text": "Tous les sujets :", "buttons": topics(12)},
                                    {"text": "Cette réponse vous a-t-elle aidé ?", "buttons": question}])

    async with FakeProvider().running() as graph:
        channel = make_channel(tmp_path, graph_url=graph.url)
        await deliver(channel, agent, notification(text_message("aide", "wamid.1")),
                      notification(text_message("2", "wamid.2")))

    assert agent.texts == ["aide", "/topic_2"]
    numbered, buttons = graph.sent[:2]
    assert numbered["type"] == "text" and "12. Sujet 12" in numbered["text"]["body"]
    assert reply_buttons(buttons) == ["/affirm", "/deny"]


@run_async
async def test_each_message_of_a_turn_keeps_its_own_list_or_buttons(tmp_path):
    agent = RecordingAgent(replies=[{"text": "Choisissez :", "buttons": topics(5)},
                                    {"text": "Autre chose ?", "buttons": topics(2, first=6)}])

    async with FakeProvider().running() as graph:
        await deliver(make_channel(tmp_path, graph_url=graph.url), agent, notification(text_message("aide")))

    assert [sent["interactive"]["type"] for sent in graph.sent] == ["list", "button"]
    assert [reply_buttons(sent) for sent in graph.sent] == [[f"/topic_{n}" for n in range(1, 6)],
                                                             ["/topic_6", "/topic_7"]]


@run_async
async def test_an_image_in_a_turn_keeps_its_place_between_the_texts(tmp_path):
    agent = RecordingAgent(replies=[{"text": "Voici la carte :", "image": "https://example.org/carte.png"},
                                    {"text": "Autre chose ?"}])

    async with FakeProvider().running() as graph:
        await deliver(make_channel(tmp_path, graph_url=graph.url), agent, notification(text_message("carte")))

    assert [sent["type"] for sent in graph.sent] == ["text", "image", "text"]
    assert graph.sent[1]["image"] == {"link": "https://example.org/carte.png"}


@run_async
async def test_rasas_output_methods_still_work_when_called_directly():
    memory = OptionMemory()
    async with FakeProvider().running() as graph:
        output = WhatsAppOutput("token", "PHONE_ID", memory, graph_url=graph.url, retry=RetryPolicy(base_delay=0))
        await output.send_text_message(MEMBER, "Bonjour")
        await output.send_text_with_buttons(MEMBER, "Choisissez :", topics(12))
        await output.send_image_url(MEMBER, "https://example.org/carte.png")
        await output.send_custom_json(MEMBER, {"type": "template", "template": {"name": "rappel"}})

    assert [sent["type"] for sent in graph.sent] == ["text", "text", "image", "template"]
    assert "12. Sujet 12" in graph.sent[1]["text"]["body"]
    assert memory.resolve(MEMBER, "12") == "/topic_12"


# -- outgoing ----------------------------------------------------------------------


async def send(graph: FakeProvider, response: Dict[str, Any], memory: Optional[OptionMemory] = None) -> None:
    output = WhatsAppOutput("token", "PHONE_ID", memory or OptionMemory(), graph_url=graph.url,
                            retry=RetryPolicy(base_delay=0))
    await output.send_response(MEMBER, response)


def buttons(count: int, title: str = "Option") -> List[Dict[str, str]]:
    return [{"title": f"{title} {n}", "payload": f"/intent_{n}"} for n in range(1, count + 1)]


@run_async
async def test_two_buttons_become_reply_buttons():
    async with FakeProvider().running() as graph:
        await send(graph, {"text": "مرحبا! بماذا أساعدك؟", "buttons": buttons(2)})

    [request] = graph.requests
    assert request["path"] == "/v21.0/PHONE_ID/messages"
    assert request["headers"]["Authorization"] == "Bearer token"
    assert request["json"] == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": MEMBER,
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": "مرحبا! بماذا أساعدك؟"},
            "action": {"buttons": [{"type": "reply", "reply": {"id": "/intent_1", "title": "Option 1"}},
                                   {"type": "reply", "reply": {"id": "/intent_2", "title": "Option 2"}}]},
        },
    }


@run_async
async def test_five_buttons_become_a_list():
    async with FakeProvider().running() as graph:
        await send(graph, {"text": "Choisissez :", "buttons": buttons(5)})

    interactive = graph.sent[0]["interactive"]
    assert interactive["type"] == "list"
    assert len(interactive["action"]["button"]) <= 20
    [section] = interactive["action"]["sections"]
    assert [row["id"] for row in section["rows"]] == [f"/intent_{n}" for n in range(1, 6)]


@run_async
async def test_long_titles_are_truncated_to_the_row_limit():
    long_title = "Comment déclarer mes enfants à charge ?"
    async with FakeProvider().running() as graph:
        await send(graph, {"text": "Choisissez :", "buttons": [{"title": long_title, "payload": "/ask_family"}]})

    interactive = graph.sent[0]["interactive"]
    [row] = interactive["action"]["sections"][0]["rows"]
    assert interactive["type"] == "list"  # a 20-character button would cut more
    assert len(row["title"]) == 24 and row["title"].endswith("…")
    assert row["description"] == long_title and row["id"] == "/ask_family"


@run_async
async def test_twelve_buttons_become_numbered_text_without_payloads():
    memory = OptionMemory()
    async with FakeProvider().running() as graph:
        await send(graph, {"text": "Tous les sujets :", "buttons": buttons(12, "Sujet")}, memory)

    [sent] = graph.sent
    body = sent["text"]["body"]
    assert sent["type"] == "text"
    assert body.startswith("Tous les sujets :\n\n1. Sujet 1\n")
    assert "12. Sujet 12" in body and "/intent" not in body
    assert memory.resolve(MEMBER, "12") == "/intent_12"


@run_async
async def test_long_text_is_sent_in_chunks_within_the_limit():
    text = ("La CNSS rembourse vos soins selon la tarification nationale de référence. " * 150).strip()
    async with FakeProvider().running() as graph:
        await send(graph, {"text": text})

    bodies = [sent["text"]["body"] for sent in graph.sent]
    assert len(bodies) == 3
    assert all(len(body) <= 4096 and body.endswith(".") for body in bodies)
    assert " ".join(bodies) == text


@run_async
async def test_long_text_with_buttons_keeps_the_buttons_under_a_short_body():
    text = ("التأمين الإجباري عن المرض يسيره الصندوق الوطني للضمان الاجتماعي. " * 40).strip()
    async with FakeProvider().running() as graph:
        await send(graph, {"text": text, "buttons": buttons(2)})

    *texts, last = graph.sent
    assert texts and all(sent["type"] == "text" for sent in texts)
    assert last["type"] == "interactive" and len(last["interactive"]["body"]["text"]) <= 1024
    assert " ".join([sent["text"]["body"] for sent in texts] + [last["interactive"]["body"]["text"]]) == text


@run_async
async def test_send_retries_a_server_error_and_logs_no_content(caplog):
    caplog.set_level(logging.DEBUG)
    async with FakeProvider([500], error_body={"error": {"code": 1, "message": "x"}}).running() as graph:
        await send(graph, {"text": ARABIC_QUESTION})

    assert len(graph.requests) == 2
    assert graph.sent[0] == graph.sent[1]
    assert "status=500 error_code=1" in caplog.text
    assert ARABIC_QUESTION not in caplog.text and MEMBER not in caplog.text


@run_async
async def test_send_does_not_retry_a_client_error(caplog):
    error = {"error": {"code": 131047, "message": "Re-engagement message", "fbtrace_id": "A"}}
    async with FakeProvider([400], error_body=error).running() as graph:
        await send(graph, {"text": "Bonjour"})

    assert len(graph.requests) == 1
    assert "status=400 error_code=131047" in caplog.text
    assert "Bonjour" not in caplog.text and MEMBER not in caplog.text


# -- parsing and the message-id store ----------------------------------------------


def test_incoming_messages_skips_other_change_fields():
    payload = {"entry": [{"changes": [{"field": "account_update", "value": {"event": "VERIFIED"}}]}]}

    assert incoming_messages(payload) == []


def test_incoming_messages_skips_a_message_without_sender():
    payload = notification({"id": "wamid.1", "type": "text", "text": {"body": "salam"}}, text_message("ok"))

    assert [message.text for message in incoming_messages(payload)] == ["ok"]


def test_message_id_store_keeps_only_the_newest_ids(tmp_path):
    store = MessageIdStore.from_url(f"sqlite:///{tmp_path}/nested/dir/ids.db", keep=3)

    assert [store.first_time(f"wamid.{n}") for n in range(5)] == [True] * 5
    assert len(store) == 3
    assert store.first_time("wamid.4") is False  # among the newest three
    assert store.first_time("wamid.0") is True  # pruned, so new again


def test_message_id_store_persists_across_instances(tmp_path):
    url = f"sqlite:///{tmp_path}/ids.db"
    MessageIdStore.from_url(url).first_time("wamid.1")

    assert MessageIdStore.from_url(url).first_time("wamid.1") is False


def test_from_credentials_falls_back_to_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("AMO_CHANNEL_DB_URL", f"sqlite:///{tmp_path}/env.db")
    monkeypatch.setenv("WHATSAPP_VERIFY_TOKEN", "from-env")
    monkeypatch.setenv("WHATSAPP_APP_SECRET", "secret-env")
    monkeypatch.setenv("WHATSAPP_ACCESS_TOKEN", "access-env")
    monkeypatch.setenv("WHATSAPP_PHONE_NUMBER_ID", "phone-env")

    channel = WhatsAppInput.from_credentials({"verify_token": "from-yaml", "app_secret": ""})

    assert (channel.verify_token, channel.app_secret) == ("from-yaml", "secret-env")
    assert (channel.access_token, channel.phone_number_id, channel.api_version) == ("access-env", "phone-env", "v21.0")
    assert (tmp_path / "env.db").exists()
    assert WhatsAppInput.from_credentials(None).verify_token == "from-env"


# -- with the trained assistant --------------------------------------------------


def test_the_assistant_answers_over_whatsapp_in_the_members_language(tmp_path, agent):
    """Arabic then French through the real model; then a tap on a button it sent."""
    arabic_script = re.compile("[\u0600-\u06ff]")

    async def scenario() -> Tuple[List[Dict[str, Any]], ...]:
        async with FakeProvider().running() as graph:
            channel = make_channel(tmp_path, graph_url=graph.url)
            arabic = text_message("السلام عليكم، بغيت نعرف على AMO", "wamid.ar")
            await deliver(channel, agent, notification(arabic))
            after_arabic = len(graph.sent)
            french = text_message("Bonjour, comment m'inscrire à l'AMO ?", "wamid.fr")
            await deliver(channel, agent, notification(french))
            after_french = len(graph.sent)
            [button_id, *_] = _button_ids(graph.sent)
            tap = {"type": "button_reply", "button_reply": {"id": button_id, "title": "x"}}
            await deliver(channel, agent, notification(message("interactive", tap, "wamid.tap")))
        sent = graph.sent
        return sent[:after_arabic], sent[after_arabic:after_french], sent[after_french:]

    arabic_sent, french_sent, after_tap = asyncio.run(scenario())

    assert arabic_sent and french_sent and after_tap
    assert all(sent["to"] == MEMBER for sent in arabic_sent + french_sent + after_tap)
    assert any(arabic_script.search(_visible_text(sent)) for sent in arabic_sent)
    assert not any(arabic_script.search(_visible_text(sent)) for sent in french_sent + after_tap)
    lines = [line for sent in arabic_sent + french_sent + after_tap for line in _visible_text(sent).splitlines()]
    assert not any(line.lstrip().startswith("/") for line in lines)  # no raw payload shown


def _button_ids(sent: List[Dict[str, Any]]) -> List[str]:
    """The payloads behind the reply buttons and list rows the bot sent."""
    actions = [message["interactive"]["action"] for message in sent if message["type"] == "interactive"]
    ids = [button["reply"]["id"] for action in actions for button in action.get("buttons", [])]
    return ids + [row["id"] for action in actions for section in action.get("sections", []) for row in section["rows"]]


def _visible_text(sent: Dict[str, Any]) -> str:
    """What the member reads in a sent Graph API message."""
    if sent["type"] == "text":
        return sent["text"]["body"]
    interactive = sent["interactive"]
    action = interactive["action"]
    titles = [b["reply"]["title"] for b in action.get("buttons", [])]
    titles += [row["title"] for section in action.get("sections", []) for row in section["rows"]]
    return "\n".join([interactive["body"]["text"], *titles])
