"""Twilio WhatsApp channel over real HTTP: Twilio-format form posts, signed with
Twilio's own RequestValidator, and a fake Twilio REST API recording what is sent."""
from __future__ import annotations

import logging
from typing import Dict, Optional

import aiohttp
import pytest
from twilio.request_validator import RequestValidator

from bot.server.channels.busy import BUSY_TEXTS
from bot.server.channels.dedup import MessageIdStore
from bot.server.channels.outgoing import OptionMemory, RetryPolicy
from bot.server.channels.twilio_whatsapp import TwilioWhatsAppInput, TwilioWhatsAppOutput, user_text
from bot.server.channels.webhook import TurnPolicy
from tests.channels import FakeProvider, RecordingAgent, run_async, serve

AUTH_TOKEN = "twilio-auth-token"
ACCOUNT_SID = "AC00000000000000000000000000000000"
BOT_NUMBER = "+14155238886"
MEMBER = "whatsapp:+212600000001"  # made up
CONVERSATION = "tw:+212600000001"  # the conversation id carries the channel
PUBLIC_URL = "https://amo.example.org/webhooks/twilio_whatsapp/webhook"


def make_channel(api_url: str = "http://127.0.0.1:9", webhook_url: Optional[str] = PUBLIC_URL,
                 auth_token: Optional[str] = AUTH_TOKEN, message_ids: Optional[MessageIdStore] = None,
                 attempts: int = 3) -> TwilioWhatsAppInput:
    return TwilioWhatsAppInput(ACCOUNT_SID, auth_token, BOT_NUMBER, webhook_url=webhook_url, api_url=api_url,
                               retry=RetryPolicy(base_delay=0), message_ids=message_ids,
                               policy=TurnPolicy(retry_delay=0, attempts=attempts))


def twilio_form(body: str = "", **extra: str) -> Dict[str, str]:
    """The fields Twilio posts for an incoming WhatsApp message."""
    return {"SmsMessageSid": "SM1", "NumMedia": "0", "ProfileName": "Amina", "SmsSid": "SM1",
            "WaId": "212600000001", "SmsStatus": "received", "Body": body, "To": f"whatsapp:{BOT_NUMBER}",
            "NumSegments": "1", "MessageSid": "SM1", "AccountSid": ACCOUNT_SID, "From": MEMBER,
            "ApiVersion": "2010-04-01", **extra}


def signature(form: Dict[str, str], url: str = PUBLIC_URL, token: str = AUTH_TOKEN) -> Dict[str, str]:
    return {"X-Twilio-Signature": RequestValidator(token).compute_signature(url, form)}


async def post(channel: TwilioWhatsAppInput, agent: RecordingAgent, form: Dict[str, str],
               headers: Dict[str, str]) -> int:
    async with serve(channel, agent) as url:
        async with aiohttp.ClientSession() as session:
            async with session.post(f"{url}/webhook", data=form, headers=headers) as response:
                status = response.status
        await channel.turns.drain()
    return status


@run_async
async def test_signed_request_reaches_the_agent():
    agent = RecordingAgent()
    form = twilio_form("واش خاصني نخلص كل شهر؟")

    assert await post(make_channel(), agent, form, signature(form)) == 200

    [received] = agent.messages
    assert (received.text, received.sender_id, received.input_channel) == (form["Body"], CONVERSATION,
                                                                            "twilio_whatsapp")
    assert received.metadata == {"channel": "twilio_whatsapp"}


@run_async
async def test_without_configured_url_the_request_url_is_what_is_checked():
    agent = RecordingAgent()
    form = twilio_form("salam")
    channel = make_channel(webhook_url=None)

    async with serve(channel, agent) as url:
        async with aiohttp.ClientSession() as session:
            async with session.post(f"{url}/webhook", data=form,
                                    headers=signature(form, url=f"{url}/webhook")) as response:
                assert response.status == 200
        await channel.turns.drain()

    assert agent.texts == ["salam"]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"},
        signature(twilio_form("salam"), token="another-token"),
        signature(twilio_form("salam"), url="http://127.0.0.1/webhooks/twilio_whatsapp/webhook"),
        signature(twilio_form("autre chose")),
    ],
)
@run_async
async def test_unsigned_or_wrongly_signed_request_is_rejected(headers):
    agent = RecordingAgent()

    assert await post(make_channel(), agent, twilio_form("salam"), headers) == 403
    assert agent.messages == []


@run_async
async def test_without_auth_token_every_request_is_rejected():
    agent = RecordingAgent()
    form = twilio_form("salam")

    assert await post(make_channel(auth_token=None), agent, form, signature(form)) == 403
    assert agent.messages == []


@pytest.mark.parametrize(
    "form, expected",
    [
        (twilio_form("", NumMedia="1", MediaContentType0="image/jpeg", MediaUrl0="https://api.twilio.com/m"),
         ["/share_media"]),
        (twilio_form("", Latitude="33.57", Longitude="-7.59"), ["/share_media"]),
        (twilio_form("Voici ma carte", NumMedia="1", MediaContentType0="image/jpeg"), ["Voici ma carte"]),
        (twilio_form("", ButtonPayload="/check_eligibility", ButtonText="Suis-je concerné ?"),
         ["/check_eligibility"]),
        (twilio_form(""), []),
        (twilio_form("   "), []),
        (twilio_form("", SmsStatus="delivered", MessageStatus="delivered"), []),
    ],
)
@run_async
async def test_media_locations_buttons_and_empty_messages(form, expected):
    agent = RecordingAgent()

    assert await post(make_channel(), agent, form, signature(form)) == 200
    assert agent.texts == expected


@run_async
async def test_oversize_body_is_rejected():
    agent = RecordingAgent()
    form = twilio_form("x" * 100_000)

    assert await post(make_channel(), agent, form, signature(form)) == 413
    assert agent.messages == []


@run_async
async def test_buttons_are_sent_as_numbered_text_and_answered_by_number():
    buttons = [{"title": "Suis-je concerné ?", "payload": "/check_eligibility"},
               {"title": "Comment m'inscrire ?", "payload": "/ask_registration_steps"}]
    agent = RecordingAgent(replies=[{"text": "Bonjour ! Que voulez-vous savoir ?", "buttons": buttons}])
    first, second = twilio_form("bonjour"), twilio_form("2")

    async with FakeProvider().running() as twilio:
        channel = make_channel(api_url=twilio.url)
        assert await post(channel, agent, first, signature(first)) == 200
        assert await post(channel, agent, second, signature(second)) == 200

    assert agent.texts == ["bonjour", "/ask_registration_steps"]
    request = twilio.requests[0]
    assert request["path"] == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert request["headers"]["Authorization"].startswith("Basic ")
    assert request["form"] == {
        "To": MEMBER,
        "From": f"whatsapp:{BOT_NUMBER}",
        "Body": "Bonjour ! Que voulez-vous savoir ?\n\n1. Suis-je concerné ?\n2. Comment m'inscrire ?",
    }


@run_async
async def test_a_turn_is_numbered_on_across_its_messages_and_a_number_picks_from_the_whole_turn():
    """An answer and a question with buttons: "1"-"2" then "3"-"4" (one per payload), and
    a typed "3" is the question's first option, not a number the answer also used."""
    agent = RecordingAgent(replies=[
        {"text": "Les enfants sont couverts jusqu'à 21 ans.",
         "buttons": [{"title": "Et les étudiants ?", "payload": "/ask_students"},
                     {"title": "Et mon conjoint ?", "payload": "/ask_spouse"}]},
        {"text": "Cette réponse vous a-t-elle aidé ?",
         "buttons": [{"title": "Oui", "payload": "/affirm"}, {"title": "Oui, merci", "payload": "/affirm"},
                     {"title": "Non", "payload": "/deny"}]},
    ])
    forms = [twilio_form(text, MessageSid=f"SM{n}") for n, text in enumerate(("enfants", "3", "1"))]

    async with FakeProvider().running() as twilio:
        channel = make_channel(api_url=twilio.url)
        for form in forms:
            assert await post(channel, agent, form, signature(form)) == 200

    assert agent.texts == ["enfants", "/affirm", "/ask_students"]
    assert [sent["Body"] for sent in twilio.sent[:2]] == [
        "Les enfants sont couverts jusqu'à 21 ans.\n\n1. Et les étudiants ?\n2. Et mon conjoint ?",
        "Cette réponse vous a-t-elle aidé ?\n\n3. Oui\n4. Non",
    ]


@run_async
async def test_a_replayed_message_sid_runs_one_turn(tmp_path):
    agent = RecordingAgent()
    form = twilio_form("salam", MessageSid="SMreplayed")
    channel = make_channel(message_ids=MessageIdStore.from_url(f"sqlite:///{tmp_path}/ids.db"))

    statuses = [await post(channel, agent, form, signature(form)) for _ in range(3)]

    assert statuses == [200, 200, 200]
    assert agent.texts == ["salam"]


@run_async
async def test_a_failed_turn_gets_the_busy_answer_and_the_retry_is_answered(tmp_path):
    class Outage(RecordingAgent):
        down = True

        async def handle_message(self, message):
            if self.down:
                raise ConnectionError("lock store down")
            await super().handle_message(message)

    agent = Outage(replies=[{"text": "مرحبا"}])
    form = twilio_form("سلام، بغيت نعرف واش معني", MessageSid="SMlost")
    async with FakeProvider().running() as twilio:
        channel = make_channel(api_url=twilio.url, message_ids=MessageIdStore.from_url(f"sqlite:///{tmp_path}/i.db"),
                               attempts=2)
        assert await post(channel, agent, form, signature(form)) == 200
        agent.down = False
        assert await post(channel, agent, form, signature(form)) == 200  # Twilio's or the member's retry
        assert await post(channel, agent, form, signature(form)) == 200  # dropped: done

    assert [sent["Body"] for sent in twilio.sent] == [BUSY_TEXTS["dar"], "مرحبا"]


@run_async
async def test_an_unsigned_large_body_is_refused_before_it_is_read():
    agent = RecordingAgent()
    channel = make_channel()

    async def chunks():  # no Content-Length: the bound holds while streaming
        for _ in range(160):
            yield b"Body=" + b"x" * 65536

    async with serve(channel, agent) as url:
        async with aiohttp.ClientSession() as session:
            async with session.post(f"{url}/webhook", data=chunks()) as response:
                assert response.status == 413
    assert agent.messages == []


@run_async
async def test_long_text_is_split_at_1600_characters():
    text = ("يمكنك تسجيل زوجتك وأطفالك لدى الصندوق الوطني للضمان الاجتماعي. Les enfants sont couverts ! " * 60)
    async with FakeProvider().running() as twilio:
        output = TwilioWhatsAppOutput(ACCOUNT_SID, AUTH_TOKEN, BOT_NUMBER, OptionMemory(), api_url=twilio.url)
        await output.send_response(MEMBER, {"text": text})

    bodies = [sent["Body"] for sent in twilio.sent]
    assert len(bodies) == 4
    assert all(len(body) <= 1600 and body[-1] in ".!" for body in bodies)
    assert " ".join(bodies) == text.strip()


@run_async
async def test_send_does_not_retry_a_client_error_and_logs_no_content(caplog):
    caplog.set_level(logging.DEBUG)
    error = {"code": 63016, "message": "outside the allowed window", "status": 400}
    async with FakeProvider([400], error_body=error).running() as twilio:
        output = TwilioWhatsAppOutput(ACCOUNT_SID, AUTH_TOKEN, BOT_NUMBER, OptionMemory(), api_url=twilio.url)
        await output.send_response(MEMBER, {"text": "Bonjour"})

    assert len(twilio.requests) == 1
    assert "status=400 error_code=63016" in caplog.text
    assert "Bonjour" not in caplog.text and "212600000001" not in caplog.text


@pytest.mark.parametrize(
    "form, expected",
    [({"Body": " salam "}, "salam"), ({"Body": "", "NumMedia": "2"}, "/share_media"), ({}, None),
     ({"Body": "", "NumMedia": ""}, None)],
)
def test_user_text(form, expected):
    assert user_text(form) == expected


def test_from_credentials_falls_back_to_environment(monkeypatch):
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT_SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "env-token")
    monkeypatch.setenv("TWILIO_WHATSAPP_NUMBER", BOT_NUMBER)
    monkeypatch.setenv("TWILIO_WEBHOOK_URL", PUBLIC_URL)

    channel = TwilioWhatsAppInput.from_credentials({"auth_token": "yaml-token"})

    assert (channel.account_sid, channel.auth_token) == (ACCOUNT_SID, "yaml-token")
    assert (channel.twilio_number, channel.webhook_url) == (BOT_NUMBER, PUBLIC_URL)
