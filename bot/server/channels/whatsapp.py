"""WhatsApp Cloud API channel (Meta Graph API): `WhatsAppInput` / `WhatsAppOutput`.

credentials.yml:  bot.server.channels.whatsapp.WhatsAppInput:   (secrets from WHATSAPP_* env vars)
Webhook URL:      https://<host>/webhooks/whatsapp/webhook

Every POST is authenticated by its X-Hub-Signature-256 header before it is parsed;
the webhook answers 200 at once and runs the turns in the background, at least once,
with an exactly-once effect (de-duplicated by message id): see webhook.py, the base it
shares with the Twilio connector. Conversation ids are "wa:<wa_id>".
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from typing import Any, Dict, List, Optional, Sequence, Text, Tuple

from rasa.core.channels.channel import InputChannel, OutputChannel
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.server.channels import SHARE_MEDIA
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
from bot.server.channels.webhook import remember_options, BadDelivery, Incoming, TurnPolicy, WebhookInput, credential

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


class MalformedPayload(BadDelivery):
    """The webhook body (or one message in it) is JSON but not shaped as Meta documents."""


# What the Cloud API connector used to call its parsed messages.
IncomingMessage = Incoming


def incoming_messages(payload: Any) -> List[Incoming]:
    """The member messages in a webhook notification (entry[].changes[].value);
    delivery statuses and other change fields are skipped. Raises MalformedPayload
    when the notification itself is malformed; a malformed message is skipped alone
    (logged by position), so that it does not cost the others their answer."""
    messages = []
    for entry in _list(_dict(payload), "entry"):
        for change in _list(_dict(entry), "changes", required=False):
            value = _dict(change).get("value")
            if value is None:
                continue
            for position, message in enumerate(_list(_dict(value), "messages", required=False)):
                try:
                    parsed = _message(_dict(message))
                except MalformedPayload as error:
                    logger.warning("Skipped a malformed WhatsApp message (#%d of its delivery): %s", position, error)
                    continue
                if parsed is not None:
                    messages.append(parsed)
    return messages


def _message(message: Dict[str, Any]) -> Optional[Incoming]:
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
    return Incoming(message_id, sender, str(text), typed)


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


def wa_id(conversation_id: str) -> str:
    """The WhatsApp number of a conversation id ("wa:212600000001" -> "212600000001")."""
    return conversation_id[3:] if conversation_id.startswith("wa:") else conversation_id


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
        await remember_options(self._option_memory, recipient_id, numbered)
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
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": wa_id(recipient_id)}
        return await post_with_retry(
            self._url,
            what="WhatsApp send",
            retry=self._retry,
            error_code=lambda answer: nested_code(answer, "error", "code"),
            json={**body, **message},
            headers={"Authorization": f"Bearer {self._access_token}"},
        )


class WhatsAppInput(WebhookInput):
    """Receives WhatsApp Cloud API webhooks at /webhooks/whatsapp/webhook."""

    conversation_prefix = "wa"
    max_body_bytes = MAX_BODY_BYTES

    @classmethod
    def name(cls) -> Text:
        return "whatsapp"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        message_ids, option_memory = cls.shared_state()
        return cls(
            verify_token=credential(credentials, "verify_token", "WHATSAPP_VERIFY_TOKEN"),
            app_secret=credential(credentials, "app_secret", "WHATSAPP_APP_SECRET"),
            access_token=credential(credentials, "access_token", "WHATSAPP_ACCESS_TOKEN"),
            phone_number_id=credential(credentials, "phone_number_id", "WHATSAPP_PHONE_NUMBER_ID"),
            api_version=(credentials or {}).get("api_version") or DEFAULT_API_VERSION,
            # Another Graph API address: a test double (tests/faults) or a proxy.
            graph_url=credential(credentials, "graph_url", "WHATSAPP_GRAPH_URL") or GRAPH_URL,
            message_ids=message_ids,
            option_memory=option_memory,
            policy=TurnPolicy.from_environment(),
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
        policy: Optional[TurnPolicy] = None,
    ) -> None:
        super().__init__(message_ids, option_memory, policy)
        self.verify_token = verify_token
        self.app_secret = app_secret
        self.access_token = access_token
        self.phone_number_id = phone_number_id
        self.api_version = api_version
        self.graph_url = graph_url
        self.retry = retry
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

    def is_signed(self, request: Request, body: bytes) -> bool:
        return is_signed(body, request.headers.get("X-Hub-Signature-256"), self.app_secret)

    def parse(self, request: Request, body: bytes) -> List[Incoming]:
        return incoming_messages(json.loads(body))

    def add_routes(self, webhook: Blueprint) -> None:
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
