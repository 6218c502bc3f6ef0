"""Web chat channel: the Rasa server itself serves the chat page, its assets and a
hardened REST webhook (credentials.yml key `bot.server.channels.webchat.WebChatInput`).

    GET  /webhooks/webchat/                the page (bot/server/channels/webchat/index.html)
    GET  /webhooks/webchat/static/<file>   its script, style sheet and fonts
    POST /webhooks/webchat/webhook         {"sender": str, "message": str, "metadata"?: {}}
                                           -> the bot messages, as Rasa's REST channel answers

The webhook is the REST channel with its holes closed (see the Rasa field notes): the
built-in one answers 500 to an empty or malformed body and reads up to 100 MB. Here the
body is read as a stream and cut at `MAX_BODY_BYTES` (413), and anything but a JSON
object with a non-empty `sender` and `message` of bounded length is answered 400 with
{"error": reason}. The page uses the same webhook, so API clients can too.

Socket.IO is avoided on purpose: Rasa 3.6 drops its replies when session persistence
is on (rasa#13027); one request per message is all a chat page needs.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, NamedTuple, Text

import structlog
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.exceptions import PayloadTooLarge
from sanic.request import Request
from sanic.response import HTTPResponse

structlogger = structlog.get_logger()

STATIC_DIR = Path(__file__).with_name("webchat")
MAX_BODY_BYTES = 64 * 1024
MAX_MESSAGE_CHARS = 5_000
MAX_SENDER_CHARS = 128

# Only these kinds of file are served; anything else in STATIC_DIR stays private.
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".woff2": "font/woff2",
    ".txt": "text/plain; charset=utf-8",
}
# Fonts never change under the same name; the page, script and style sheet are
# revalidated on each load (a cheap 304) so an upgrade shows at once.
FONT_CACHE = "public, max-age=604800"
REVALIDATE = "no-cache"
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; object-src 'none'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
}

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


class Asset(NamedTuple):
    body: bytes
    content_type: str
    etag: str
    cache_control: str


def load_assets(directory: Path = STATIC_DIR) -> Dict[str, Asset]:
    """The servable files under `directory`, by path relative to it ("fonts/x.woff2").

    Requests are answered from this table only, so no path a client sends ever reaches
    the file system: traversal ("../webchat.py", "%2e%2e/", absolute paths) is a 404.
    """
    assets = {}
    for path in sorted(directory.rglob("*")):
        content_type = CONTENT_TYPES.get(path.suffix)
        if content_type is None or not path.is_file():
            continue
        body = path.read_bytes()
        assets[path.relative_to(directory).as_posix()] = Asset(
            body=body,
            content_type=content_type,
            etag='"{}"'.format(hashlib.sha256(body).hexdigest()[:16]),
            cache_control=FONT_CACHE if path.suffix == ".woff2" else REVALIDATE,
        )
    return assets


def _asset_response(request: Request, asset: Asset) -> HTTPResponse:
    headers = {
        "Cache-Control": asset.cache_control,
        "ETag": asset.etag,
        "X-Content-Type-Options": "nosniff",
    }
    if asset.content_type.startswith("text/html"):
        headers.update(PAGE_HEADERS)
    if request.headers.get("if-none-match") == asset.etag:
        return response.empty(status=304, headers=headers)
    return response.raw(asset.body, content_type=asset.content_type, headers=headers)


def _error(status: int, reason: str) -> HTTPResponse:
    return response.json({"error": reason}, status=status)


class HardenedRestInput(RestInput):
    """Rasa's REST channel, same URL (/webhooks/rest/webhook) and same JSON, but a
    bad or oversized body gets 400/413 instead of Rasa's 500 and 100 MB limit."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

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
            try:
                body = b"".join([chunk async for chunk in request.stream])
            except PayloadTooLarge:
                return _error(413, f"the body is larger than {MAX_BODY_BYTES} bytes")
            try:
                chat = parse_chat_request(body, self.name())
            except BadChatRequest as error:
                return _error(400, str(error))

            collector = CollectingOutputChannel()
            try:
                await on_new_message(
                    UserMessage(
                        chat.message,
                        collector,
                        chat.sender,
                        input_channel=self.name(),
                        metadata=chat.metadata,
                    )
                )
            except Exception:
                # Never log the text: members type their CIN and phone numbers.
                structlogger.exception(f"{self.name()}.message.failure")
                return _error(503, "the assistant could not answer, try again")
            return response.json(collector.messages)


class WebChatInput(HardenedRestInput):
    """The web chat page and the hardened REST webhook it talks to."""

    @classmethod
    def name(cls) -> Text:
        return "webchat"

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        assets = load_assets()
        webchat = Blueprint("webchat", __name__)

        @webchat.route("/", methods=["GET"])
        async def page(request: Request) -> HTTPResponse:
            # The page loads "static/…" and posts to "webhook" relative to its own
            # URL, which therefore has to end with a slash.
            if not request.path.endswith("/"):
                return response.redirect(request.path + "/")
            return _asset_response(request, assets["index.html"])

        @webchat.route("/static/<name:path>", methods=["GET"])
        async def static(request: Request, name: Text) -> HTTPResponse:
            asset = assets.get(name)
            if asset is None:
                return _error(404, "no such file")
            return _asset_response(request, asset)

        self._add_webhook(webchat, on_new_message)
        return webchat
