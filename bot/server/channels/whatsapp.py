"""WhatsApp Cloud API channel (Meta Graph API): `WhatsAppInput` / `WhatsAppOutput`.

credentials.yml:  bot.server.channels.whatsapp.WhatsAppInput:   (secrets from WHATSAPP_* env vars)
Webhook URL:      https://<host>/webhooks/whatsapp/webhook

Every POST is authenticated by its X-Hub-Signature-256 header before it is parsed;
the webhook answers 200 at once and runs the turns in the background, at least once,
with an exactly-once effect (de-duplicated by message id): see webhook.py, the base it
shares with the Twilio connector. Conversation ids are "wa:<wa_id>".
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import Any, Dict, List, Mapping, Optional, Text

from rasa.core.channels.channel import InputChannel
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.server.channels import SHARE_MEDIA
from bot.server.channels.dedup import MessageIdStore
from bot.server.channels.outgoing import OptionMemory, RetryPolicy, nested_code, post_with_retry, whatsapp_message
from bot.server.channels.webhook import BadDelivery, Incoming, TurnOutput, TurnPolicy, WebhookInput, credential

logger = logging.getLogger(__name__)

GRAPH_URL = "https://graph.facebook.com"
DEFAULT_API_VERSION = "v21.0"
MAX_BODY_BYTES = 256 * 1024

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


def wa_id(conversation_id: str) -> str:
    """The WhatsApp number of a conversation id ("wa:212600000001" -> "212600000001")."""
    return conversation_id[3:] if conversation_id.startswith("wa:") else conversation_id


class WhatsAppOutput(TurnOutput):
    """Sends a turn's bot messages through the Graph API (aiohttp, never blocking), as
    outgoing.whatsapp_message renders them: reply buttons, a list, or numbered text."""

    render = staticmethod(whatsapp_message)

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
        super().__init__(option_memory)
        self._access_token = access_token
        self._url = f"{graph_url.rstrip('/')}/{api_version}/{phone_number_id}/messages"
        self._configured = bool(access_token and phone_number_id)
        self._retry = retry

    def attachments(self, message: Mapping[str, Any]) -> List[Dict[str, Any]]:
        pieces = []
        if message.get("image"):
            pieces.append({"type": "image", "image": {"link": message["image"]}})
        if message.get("custom"):  # a Graph API message object, sent as it is (a template)
            pieces.append(dict(message["custom"]))
        return pieces

    async def send_custom_json(
        self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any
    ) -> None:
        await self.send_turn(recipient_id, [{"custom": json_message}])

    async def send_piece(self, recipient_id: Text, piece: Dict[str, Any]) -> None:
        await self._send(recipient_id, piece)

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

    def get_output_channel(self) -> WhatsAppOutput:
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
