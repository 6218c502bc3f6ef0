"""Rasa's REST channel, hardened (credentials.yml key `bot.server.channels.rest.HardenedRestInput`).

    GET  /webhooks/rest/          {"status": "ok"}
    POST /webhooks/rest/webhook   {"sender": str, "message": str, "metadata"?: {}}
                                  -> the bot messages, as Rasa's REST channel answers

The built-in REST channel answers 500 to an empty or malformed body and reads up to
100 MB. Here the body is read as a stream and cut at `MAX_BODY_BYTES` (413), and
anything but a JSON object with a non-empty `sender` and `message` of bounded length is
answered 400 with {"error": reason}. The web chat page (webchat.py) posts to the same
kind of webhook under its own prefix.

Only `Content-Type: application/json` is read (415 otherwise): a cross-site form or
`text/plain` POST, which a browser sends without asking, is refused.

The conversation is "rest:<sender>", never the sender alone, so a REST client cannot
name another channel's conversation ("wa:…", "tw:…", "web:…") whatever it sends.

A turn that cannot run (tracker store, lock store or action server down) is answered
503 with the busy answer of busy.py as the bot's messages, in the member's language:
[{"recipient_id": conversation, "text": "the service is busy, your message is kept,
try again in a few minutes"}]; the status tells a client that the turn did not run,
and the web chat page shows that text and gives the member their message back (chat.js).
"""
from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, Text

import structlog
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.exceptions import PayloadTooLarge
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.server.channels.busy import busy_language, busy_text
from bot.server.channels.webhook import env_number

structlogger = structlog.get_logger()

MAX_BODY_BYTES = 64 * 1024
MAX_MESSAGE_CHARS = 5_000
MAX_SENDER_CHARS = 128

# C0 controls but tab, newline and carriage return; DEL; lone UTF-16 surrogates
# (valid in JSON escapes, but no text: they break UTF-8 encoding further on).
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


class BadChatRequest(ValueError):
    """A webhook body that is answered 400, with the message as the reason."""


@dataclass(frozen=True)
class ChatRequest:
    sender: str
    message: str
    metadata: Dict[str, Any]


def parse_chat_request(body: bytes, channel: str = "webchat") -> ChatRequest:
    """The checked content of a webhook body; raises BadChatRequest if unusable."""
    if not body.strip():
        raise BadChatRequest("the body is empty")
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadChatRequest("the body is not UTF-8 text")
    except (ValueError, RecursionError):  # RecursionError: "[[[[…" nested too deep
        raise BadChatRequest("the body is not valid JSON")
    if not isinstance(data, dict):
        raise BadChatRequest("the body must be a JSON object")
    metadata = data.get("metadata")
    if metadata is None:
        metadata = {}
    elif not isinstance(metadata, dict):
        raise BadChatRequest('"metadata" must be a JSON object')
    return ChatRequest(
        sender=_text_field(data, "sender", MAX_SENDER_CHARS),
        message=_text_field(data, "message", MAX_MESSAGE_CHARS),
        metadata={**metadata, "channel": channel},
    )


def _text_field(data: Dict[str, Any], name: str, max_chars: int) -> str:
    value = data.get(name)
    if not isinstance(value, str):
        raise BadChatRequest(f'"{name}" must be a string')
    if not value.strip():
        raise BadChatRequest(f'"{name}" is empty')
    if len(value) > max_chars:
        raise BadChatRequest(f'"{name}" is longer than {max_chars} characters')
    if _NOT_TEXT.search(value):
        raise BadChatRequest(f'"{name}" contains control characters')
    return value.strip()


def _error(status: int, reason: str) -> HTTPResponse:
    return response.json({"error": reason}, status=status)


class RefusedSender(ValueError):
    """A sender the channel does not accept as a conversation (answered 403)."""


def is_json(request: Request) -> bool:
    media_type = (request.headers.get("content-type") or "").split(";", 1)[0].strip().lower()
    return media_type == "application/json"


class HardenedRestInput(RestInput):
    """Rasa's REST channel, same URL (/webhooks/rest/webhook) and same JSON, but a
    bad or oversized body gets 400/413 instead of Rasa's 500 and 100 MB limit."""

    def __init__(self) -> None:
        # A turn is bounded by the action, store and lock timeouts; this bounds what they
        # do not cover (a hung model, a Rasa bug), so the client gets the busy answer.
        self.turn_seconds = env_number("AMO_REST_TURN_SECONDS", 60.0)

    @classmethod
    def name(cls) -> Text:
        return "rest"

    def conversation_id(self, sender: str) -> str:
        """The conversation a request's sender names: in this channel's own namespace."""
        return f"{self.name()}:{sender}"

    def collector(self) -> CollectingOutputChannel:
        return CollectingOutputChannel()

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        blueprint = Blueprint(f"{self.name()}_hardened", __name__)

        @blueprint.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        self._add_webhook(blueprint, on_new_message)
        return blueprint

    def _add_webhook(
        self, blueprint: Blueprint, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> None:
        @blueprint.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> HTTPResponse:
            # Streamed so that the size bound holds before the body is in memory,
            # whether the client sent a Content-Length or chunks.
            request.stream.request_max_size = MAX_BODY_BYTES
            if not is_json(request):
                return _error(415, "the body must be sent as Content-Type: application/json")
            try:
                body = b"".join([chunk async for chunk in request.stream])
            except PayloadTooLarge:
                return _error(413, f"the body is larger than {MAX_BODY_BYTES} bytes")
            try:
                chat = parse_chat_request(body, self.name())
            except BadChatRequest as error:
                return _error(400, str(error))
            try:
                conversation = self.conversation_id(chat.sender)
            except RefusedSender as error:
                return _error(403, str(error))

            collector = self.collector()
            try:
                await asyncio.wait_for(
                    on_new_message(
                        UserMessage(
                            chat.message,
                            collector,
                            conversation,
                            input_channel=self.name(),
                            metadata=chat.metadata,
                        )
                    ),
                    self.turn_seconds,
                )
            except Exception as error:
                # Never log the text, nor a traceback or an error message that may quote
                # it (database errors quote their parameters): the error type only.
                structlogger.error(f"{self.name()}.message.failure", error_type=type(error).__name__)
                return await self._busy(request, chat.message, conversation)
            return response.json(collector.messages)

    async def _busy(self, request: Request, text: str, conversation: str) -> HTTPResponse:
        """The busy answer, alone: what the failed turn said before it failed is dropped,
        as the WhatsApp channels drop a failed turn's replies."""
        language = await busy_language(getattr(request.app.ctx, "agent", None), text)
        answer = CollectingOutputChannel()
        await answer.send_text_message(conversation, busy_text(language))
        return response.json(answer.messages, status=503)
