"""WhatsApp Cloud API channel (Meta Graph API): `WhatsAppInput` / `WhatsAppOutput`.

credentials.yml:  bot.server.channels.whatsapp.WhatsAppInput:   (secrets from WHATSAPP_* env vars)
Webhook URL:      https://<host>/webhooks/whatsapp/webhook

Every POST is authenticated by its X-Hub-Signature-256 header before it is parsed;
the webhook answers 200 at once and runs the turn in the background, because Meta
retries slow or failed deliveries (retries are dropped by message id).
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, List, Optional, Sequence, Text, Tuple

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.server.channels import SHARE_MEDIA, BackgroundTurns, credential
from bot.server.channels.dedup import MessageIdStore
from bot.server.channels.outgoing import (
    Option,
    OptionMemory,
    RetryPolicy,
    nested_code,
    numbered_text,
    options_from_buttons,
    post_with_retry,
    split_text,
    truncate,
)

logger = logging.getLogger(__name__)

GRAPH_URL = "https://graph.facebook.com"
DEFAULT_API_VERSION = "v21.0"
MAX_BODY_BYTES = 256 * 1024

# WhatsApp limits (Cloud API "messages" reference).
TEXT_LIMIT = 4096
INTERACTIVE_BODY_LIMIT = 1024
MAX_REPLY_BUTTONS = 3
BUTTON_TITLE_LIMIT = 20
BUTTON_ID_LIMIT = 256
MAX_LIST_ROWS = 10
ROW_TITLE_LIMIT = 24
ROW_DESCRIPTION_LIMIT = 72
ROW_ID_LIMIT = 200
LIST_BUTTON_LABEL = "Options · خيارات"  # members write French or Arabic script

# A reaction or a system notice (number change) is not something to answer.
_IGNORED_TYPES = {"reaction", "system"}


class MalformedPayload(ValueError):
    """The webhook body is JSON but not shaped like a WhatsApp notification."""


@dataclass(frozen=True)
class IncomingMessage:
    message_id: str
    sender_id: str
    text: str
    typed: bool  # typed text (may be a number answering numbered options)


def incoming_messages(payload: Any) -> List[IncomingMessage]:
    """The member messages in a webhook notification (entry[].changes[].value);
    delivery statuses and other change fields are skipped."""
    messages = []
    for entry in _list(_dict(payload), "entry"):
        for change in _list(_dict(entry), "changes", required=False):
            value = _dict(change).get("value")
            if value is None:
                continue
            for message in _list(_dict(value), "messages", required=False):
                parsed = _message(_dict(message))
                if parsed is not None:
                    messages.append(parsed)
    return messages


def _message(message: Dict[str, Any]) -> Optional[IncomingMessage]:
    message_id, sender, kind = (_string(message, key) for key in ("id", "from", "type"))
    if kind in _IGNORED_TYPES:
        return None
    typed = kind == "text"
    if typed:
        text = _string(_dict(message.get("text")), "body")
    elif kind == "interactive":
        text = _interactive_reply(_dict(message.get("interactive")))
    elif kind == "button":
        button = _dict(message.get("button"))
        text = button.get("payload") or _string(button, "text")
    else:  # image, audio, video, document, sticker, location, contacts, unknown
        text = SHARE_MEDIA
    if not str(text).strip():
        return None
    return IncomingMessage(message_id, sender, str(text), typed)


def _interactive_reply(interactive: Dict[str, Any]) -> str:
    kind = interactive.get("type")
    if kind in ("button_reply", "list_reply"):
        # We put the Rasa payload in the id of the buttons and rows we send.
        return _string(_dict(interactive.get(kind)), "id")
    return SHARE_MEDIA


def _dict(value: Any) -> Dict[str, Any]:
    if not isinstance(value, dict):
        raise MalformedPayload(f"expected an object, got {type(value).__name__}")
    return value


def _list(container: Dict[str, Any], key: str, required: bool = True) -> List[Any]:
    value = container.get(key)
    if value is None and not required:
        return []
    if not isinstance(value, list):
        raise MalformedPayload(f"'{key}' is not a list")
    return value


def _string(container: Dict[str, Any], key: str) -> str:
    value = container.get(key)
    if not isinstance(value, str):
        raise MalformedPayload(f"'{key}' is not a string")
    return value


def is_signed(body: bytes, signature: Optional[str], app_secret: Optional[str]) -> bool:
    """Checks Meta's X-Hub-Signature-256 ("sha256=" + HMAC-SHA256 of the raw body)."""
    if not app_secret or not signature:
        return False
    expected = "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.strip().encode("utf-8", "replace"))


def render(text: str, buttons: Sequence[Dict[str, Any]]) -> Tuple[List[Dict[str, Any]], List[Option]]:
    """Graph API message objects for a text with Rasa buttons, and the options
    sent as numbered text (to remember), if it came to that.

    Up to 3 short titles: reply buttons; up to 10: a list; else numbered text.
    """
    options = options_from_buttons(buttons)
    chunks = split_text(text, TEXT_LIMIT)
    if chunks and len(chunks[-1]) > INTERACTIVE_BODY_LIMIT:
        chunks[-1:] = split_text(chunks[-1], INTERACTIVE_BODY_LIMIT)
    interactive = _interactive(chunks[-1], options) if chunks and options else None
    if interactive is None:
        return [_text(chunk) for chunk in split_text(numbered_text(text, options), TEXT_LIMIT)], options
    return [_text(chunk) for chunk in chunks[:-1]] + [interactive], []


def _interactive(body: str, options: Sequence[Option]) -> Optional[Dict[str, Any]]:
    if len(options) <= MAX_REPLY_BUTTONS and all(
        len(o.title) <= BUTTON_TITLE_LIMIT and len(o.payload) <= BUTTON_ID_LIMIT for o in options
    ):
        buttons = [{"type": "reply", "reply": {"id": o.payload, "title": o.title}} for o in options]
        action: Dict[str, Any] = {"buttons": buttons}
        kind = "button"
    elif len(options) <= MAX_LIST_ROWS and all(len(o.payload) <= ROW_ID_LIMIT for o in options):
        rows = [_row(o) for o in options]
        action = {"button": LIST_BUTTON_LABEL, "sections": [{"rows": rows}]}
        kind = "list"
    else:
        return None
    return {"type": "interactive", "interactive": {"type": kind, "body": {"text": body}, "action": action}}


def _row(option: Option) -> Dict[str, str]:
    row = {"id": option.payload, "title": truncate(option.title, ROW_TITLE_LIMIT)}
    if len(option.title) > ROW_TITLE_LIMIT:
        row["description"] = truncate(option.title, ROW_DESCRIPTION_LIMIT)
    return row


def _text(body: str) -> Dict[str, Any]:
    return {"type": "text", "text": {"body": body, "preview_url": False}}


class WhatsAppOutput(OutputChannel):
    """Sends bot messages through the Graph API (aiohttp, never blocking)."""

    @classmethod
    def name(cls) -> Text:
        return "whatsapp"

    def __init__(
        self,
        access_token: Optional[str],
        phone_number_id: Optional[str],
        option_memory: OptionMemory,
        api_version: str = DEFAULT_API_VERSION,
        graph_url: str = GRAPH_URL,
        retry: RetryPolicy = RetryPolicy(),
    ) -> None:
        self._access_token = access_token
        self._url = f"{graph_url.rstrip('/')}/{api_version}/{phone_number_id}/messages"
        self._configured = bool(access_token and phone_number_id)
        self._option_memory = option_memory
        self._retry = retry

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        for chunk in split_text(text, TEXT_LIMIT):
            await self._send(recipient_id, _text(chunk))

    async def send_text_with_buttons(
        self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]], **kwargs: Any
    ) -> None:
        messages, numbered = render(text or "", buttons)
        # Also when nothing was numbered: a "2" must not pick from older options.
        self._option_memory.remember(recipient_id, numbered)
        for message in messages:
            await self._send(recipient_id, message)

    async def send_image_url(self, recipient_id: Text, image: Text, **kwargs: Any) -> None:
        await self._send(recipient_id, {"type": "image", "image": {"link": image}})

    async def send_custom_json(
        self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any
    ) -> None:
        """Sends a Graph API message object as it is (e.g. a template)."""
        await self._send(recipient_id, dict(json_message))

    async def _send(self, recipient_id: str, message: Dict[str, Any]) -> bool:
        if not self._configured:
            logger.error("WhatsApp message not sent: access token or phone number id missing.")
            return False
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": recipient_id}
        return await post_with_retry(
            self._url,
            what="WhatsApp send",
            retry=self._retry,
            error_code=lambda answer: nested_code(answer, "error", "code"),
            json={**body, **message},
            headers={"Authorization": f"Bearer {self._access_token}"},
        )


class WhatsAppInput(InputChannel):
    """Receives WhatsApp Cloud API webhooks at /webhooks/whatsapp/webhook."""

    @classmethod
    def name(cls) -> Text:
        return "whatsapp"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls(
            verify_token=credential(credentials, "verify_token", "WHATSAPP_VERIFY_TOKEN"),
            app_secret=credential(credentials, "app_secret", "WHATSAPP_APP_SECRET"),
            access_token=credential(credentials, "access_token", "WHATSAPP_ACCESS_TOKEN"),
            phone_number_id=credential(credentials, "phone_number_id", "WHATSAPP_PHONE_NUMBER_ID"),
            api_version=(credentials or {}).get("api_version") or DEFAULT_API_VERSION,
            message_ids=MessageIdStore.from_environment(),
        )

    def __init__(
        self,
        verify_token: Optional[str],
        app_secret: Optional[str],
        access_token: Optional[str],
        phone_number_id: Optional[str],
        message_ids: MessageIdStore,
        api_version: str = DEFAULT_API_VERSION,
        graph_url: str = GRAPH_URL,
        retry: RetryPolicy = RetryPolicy(),
        option_memory: Optional[OptionMemory] = None,
    ) -> None:
        self.verify_token = verify_token
        self.app_secret = app_secret
        self.access_token = access_token
        self.phone_number_id = phone_number_id
        self.api_version = api_version
        self.graph_url = graph_url
        self.retry = retry
        self.message_ids = message_ids
        self.option_memory = option_memory or OptionMemory()
        self.turns = BackgroundTurns(self.name())
        if not app_secret:
            logger.warning("WHATSAPP_APP_SECRET is not set: every WhatsApp webhook POST is rejected.")
        if not verify_token:
            logger.warning("WHATSAPP_VERIFY_TOKEN is not set: webhook verification will fail.")

    def get_output_channel(self) -> OutputChannel:
        return WhatsAppOutput(
            self.access_token,
            self.phone_number_id,
            self.option_memory,
            api_version=self.api_version,
            graph_url=self.graph_url,
            retry=self.retry,
        )

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("whatsapp_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            token = request.args.get("hub.verify_token") or ""
            if (
                request.args.get("hub.mode") == "subscribe"
                and self.verify_token
                and hmac.compare_digest(token.encode(), self.verify_token.encode())
            ):
                return response.text(request.args.get("hub.challenge") or "")
            return response.text("forbidden", status=403)

        @webhook.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> HTTPResponse:
            body = await _read_bounded(request, MAX_BODY_BYTES)
            if body is None:
                return response.text("payload too large", status=413)
            if not is_signed(body, request.headers.get("X-Hub-Signature-256"), self.app_secret):
                return response.text("forbidden", status=403)
            try:
                messages = incoming_messages(json.loads(body))
            except (ValueError, RecursionError) as error:  # JSON or shape
                logger.warning("Rejected a WhatsApp webhook body: %s", type(error).__name__)
                return response.text("bad request", status=400)
            for message in messages:
                self.turns.start(message.sender_id, self._handle(message, on_new_message))
            return response.text("")

        @webhook.listener("before_server_stop")
        async def finish_turns(*_: Any) -> None:
            await self.turns.drain()

        return webhook

    async def _handle(
        self, message: IncomingMessage, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> None:
        if not await asyncio.to_thread(self.message_ids.first_time, message.message_id):
            logger.debug("Dropped a redelivered WhatsApp message.")
            return
        text = message.text
        if message.typed:
            text = self.option_memory.resolve(message.sender_id, text)
        await on_new_message(
            UserMessage(
                text,
                self.get_output_channel(),
                message.sender_id,
                input_channel=self.name(),
                message_id=message.message_id,
                metadata={"channel": self.name()},
            )
        )


async def _read_bounded(request: Request, limit: int) -> Optional[bytes]:
    """The raw body, or None as soon as it grows past `limit` bytes."""
    declared = request.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    body = bytearray()
    while True:
        chunk = await request.stream.read()
        if chunk is None:
            return bytes(body)
        body.extend(chunk)
        if len(body) > limit:
            return None
