"""Twilio WhatsApp channel: `TwilioWhatsAppInput` / `TwilioWhatsAppOutput`.

credentials.yml:  bot.server.channels.twilio_whatsapp.TwilioWhatsAppInput:   (secrets from TWILIO_* env vars)
Webhook URL:      https://<host>/webhooks/twilio_whatsapp/webhook  (also TWILIO_WEBHOOK_URL)

Replaces Rasa's `twilio` channel, which accepts unsigned requests, answers 500 to
a media-only message, blocks the event loop with the synchronous Twilio client and
shows raw "/intent" payloads as separate messages. The webhook skeleton (bounded
streamed body, signature check, de-duplication by MessageSid, background turns at
least once, busy answer, drain at stop) is webhook.py's, shared with the Cloud API
connector. Conversation ids are "tw:<number>" ("tw:+212600000001").
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Mapping, Optional, Sequence, Text, Tuple
from urllib.parse import parse_qs

import aiohttp
from rasa.core.channels.channel import InputChannel
from sanic import response
from sanic.request import Request, RequestParameters
from sanic.response import HTTPResponse
from twilio.request_validator import RequestValidator

from bot.server.channels import SHARE_MEDIA
from bot.server.channels.dedup import MessageIdStore
from bot.server.channels.outgoing import Option, OptionMemory, RetryPolicy, nested_code, post_with_retry, twilio_message
from bot.server.channels.webhook import Incoming, TurnOutput, TurnPolicy, WebhookInput, credential

logger = logging.getLogger(__name__)

TWILIO_API_URL = "https://api.twilio.com"
MAX_BODY_BYTES = 64 * 1024  # a Twilio webhook form is a few hundred bytes
_EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def whatsapp_address(number: Optional[str]) -> Optional[str]:
    """Twilio addresses WhatsApp numbers as "whatsapp:+<number>"; a conversation id
    "tw:+<number>" gives the same."""
    if not number:
        return None
    if number.startswith("tw:"):
        number = number[3:]
    return number if number.startswith("whatsapp:") else f"whatsapp:{number}"


def phone_number(address: str) -> str:
    """"whatsapp:+212600000001" -> "+212600000001" (the conversation id's part)."""
    return address[len("whatsapp:"):] if address.startswith("whatsapp:") else address


def user_text(form: Dict[str, str]) -> Optional[str]:
    """What the member said, from Twilio's webhook fields; None when nothing to answer.

    A quick-reply template sends its payload in ButtonPayload; media, a location or
    a contact card without a caption gets the share_media answer.
    """
    body = (form.get("ButtonPayload") or form.get("Body") or "").strip()
    if body:
        return body
    has_media = form.get("NumMedia", "0").strip() not in ("", "0")
    has_location = bool(form.get("Latitude") and form.get("Longitude"))
    return SHARE_MEDIA if has_media or has_location else None


def twilio_fields(
    text: str, buttons: Sequence[Mapping[str, Any]], first_number: int = 1
) -> Tuple[List[Dict[str, str]], List[Option]]:
    """outgoing.twilio_message's bodies as the form fields of Twilio messages."""
    bodies, numbered = twilio_message(text, buttons, first_number)
    return [{"Body": body} for body in bodies], numbered


class TwilioWhatsAppOutput(TurnOutput):
    """Sends a turn's bot messages through Twilio's REST API with aiohttp (never
    blocking the loop): text bodies, buttons as numbered options."""

    render = staticmethod(twilio_fields)

    @classmethod
    def name(cls) -> Text:
        return "twilio_whatsapp"

    def __init__(
        self,
        account_sid: Optional[str],
        auth_token: Optional[str],
        twilio_number: Optional[str],
        option_memory: OptionMemory,
        api_url: str = TWILIO_API_URL,
        retry: RetryPolicy = RetryPolicy(),
    ) -> None:
        super().__init__(option_memory)
        self._auth = aiohttp.BasicAuth(account_sid, auth_token) if account_sid and auth_token else None
        self._url = f"{api_url.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"
        self._from = whatsapp_address(twilio_number)
        self._retry = retry

    def attachments(self, message: Mapping[str, Any]) -> List[Dict[str, str]]:
        return [{"MediaUrl": message["image"]}] if message.get("image") else []

    async def send_piece(self, recipient_id: Text, piece: Dict[str, str]) -> None:
        await self._send(recipient_id, piece)

    async def _send(self, recipient_id: str, fields: Dict[str, str]) -> bool:
        if self._auth is None or self._from is None:
            logger.error("Twilio message not sent: account sid, auth token or number missing.")
            return False
        return await post_with_retry(
            self._url,
            what="Twilio send",
            retry=self._retry,
            error_code=lambda answer: nested_code(answer, "code"),
            data={"To": whatsapp_address(recipient_id), "From": self._from, **fields},
            auth=self._auth,
        )


class TwilioWhatsAppInput(WebhookInput):
    """Receives Twilio WhatsApp webhooks at /webhooks/twilio_whatsapp/webhook."""

    conversation_prefix = "tw"
    max_body_bytes = MAX_BODY_BYTES

    @classmethod
    def name(cls) -> Text:
        return "twilio_whatsapp"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        message_ids, option_memory = cls.shared_state()
        return cls(
            account_sid=credential(credentials, "account_sid", "TWILIO_ACCOUNT_SID"),
            auth_token=credential(credentials, "auth_token", "TWILIO_AUTH_TOKEN"),
            twilio_number=credential(credentials, "twilio_number", "TWILIO_WHATSAPP_NUMBER"),
            webhook_url=credential(credentials, "webhook_url", "TWILIO_WEBHOOK_URL"),
            message_ids=message_ids,
            option_memory=option_memory,
            policy=TurnPolicy.from_environment(),
        )

    def __init__(
        self,
        account_sid: Optional[str],
        auth_token: Optional[str],
        twilio_number: Optional[str],
        webhook_url: Optional[str] = None,
        api_url: str = TWILIO_API_URL,
        retry: RetryPolicy = RetryPolicy(),
        option_memory: Optional[OptionMemory] = None,
        message_ids: Optional[MessageIdStore] = None,
        policy: Optional[TurnPolicy] = None,
    ) -> None:
        super().__init__(message_ids, option_memory, policy)
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.twilio_number = twilio_number
        self.webhook_url = webhook_url
        self.api_url = api_url
        self.retry = retry
        if not auth_token:
            logger.warning("TWILIO_AUTH_TOKEN is not set: every Twilio webhook POST is rejected.")
        if not webhook_url:
            logger.warning(
                "TWILIO_WEBHOOK_URL is not set: signatures are checked against the URL the "
                "server sees, which behind a proxy is not the one Twilio signed."
            )

    def get_output_channel(self) -> TwilioWhatsAppOutput:
        return TwilioWhatsAppOutput(
            self.account_sid,
            self.auth_token,
            self.twilio_number,
            self.option_memory,
            api_url=self.api_url,
            retry=self.retry,
        )

    def is_signed(self, request: Request, body: bytes) -> bool:
        signature = request.headers.get("X-Twilio-Signature")
        if not self.auth_token or not signature:
            return False
        url = self.webhook_url or request.url
        return RequestValidator(self.auth_token).validate(url, _form(body), signature)

    def parse(self, request: Request, body: bytes) -> List[Incoming]:
        params = _form(body)
        form = {key: params.get(key) for key in params}
        sender, text = form.get("From"), user_text(form)
        if not sender or not text:
            return []
        # Typed unless it is a quick-reply's payload: may be a number picking an option.
        return [Incoming(form.get("MessageSid") or None, phone_number(sender), text, not form.get("ButtonPayload"))]

    def accepted(self) -> HTTPResponse:
        return response.text(_EMPTY_TWIML, content_type="text/xml")


def _form(body: bytes) -> RequestParameters:
    """The posted form with its empty fields: Twilio signs "Body" even when it is
    empty (a media-only message), and Sanic's `request.form` drops blank values."""
    return RequestParameters(parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True))
