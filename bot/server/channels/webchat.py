"""Web chat channel: the Rasa server itself serves the chat page, its assets and a
hardened REST webhook of rest.py (credentials.yml key `bot.server.channels.webchat.WebChatInput`).

    GET  /webhooks/webchat/                the page (bot/server/channels/webchat/index.html)
    GET  /webhooks/webchat/static/<file>   its script, style sheet and fonts
    POST /webhooks/webchat/webhook         {"sender": str, "message": str, "metadata"?: {}}
                                           -> the bot messages, as Rasa's REST channel answers

    POST /webhooks/webchat/conversation    -> {"sender": "web:<random>.<signature>"}

The webhook is HardenedRestInput's (bot/server/channels/rest.py): JSON only (415),
bounded streamed body (413), 400 with {"error": reason} for anything but a well-formed
chat message.

The conversation id is the server's, never the client's choice: /conversation issues
"web:<128 random bits>.<HMAC-SHA256 of it>" keyed by AMO_WEBCHAT_SECRET, and the webhook
answers 403 to any other sender, so a visitor can reach no conversation but the one it
was given (not a WhatsApp member's, "wa:…"). The conversation is "web:<random>"; the
signature is never stored. Without AMO_WEBCHAT_SECRET a secret is made per process
(development: ids do not survive a restart, the page asks for a new one); production
(AMO_ENV=production) refuses to start without it (bot/shared/production.py).

Answers of the file-status flow are sent with "private": true, so that the page keeps
them out of the browser's storage (chat.js).

Socket.IO is avoided on purpose: Rasa 3.6 drops its replies when session persistence
is on (rasa#13027); one request per message is all a chat page needs.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, NamedTuple, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.server.channels.rest import HardenedRestInput, RefusedSender, _error

SECRET_ENV = "AMO_WEBCHAT_SECRET"
PREFIX = "web:"
_TOKEN = re.compile(r"web:([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})")
_PROCESS_SECRET = secrets.token_bytes(32)
# Responses whose text is the member's file (or says how their look-up went): marked
# "private" for the page, which does not keep them in the browser's storage.
PRIVATE_RESPONSES = ("utter_file_status", "utter_ask_member_", "utter_identifier_", "utter_invalid_identifier",
                     "utter_invalid_birth_date")


def webchat_secret(environ: Any = os.environ) -> bytes:
    value = environ.get(SECRET_ENV)
    return value.encode("utf-8") if value else _PROCESS_SECRET


def _signature(secret: bytes, conversation: str) -> str:
    digest = hmac.new(secret, conversation.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def issue_sender(secret: bytes) -> str:
    """A new conversation's sender token: "web:<random>.<signature>"."""
    conversation = PREFIX + secrets.token_urlsafe(16)
    return f"{conversation}.{_signature(secret, conversation)}"


def conversation_of(sender: str, secret: bytes) -> Optional[str]:
    """The conversation ("web:<random>") a sender token names, if the server issued it."""
    found = _TOKEN.fullmatch(sender)
    if not found:
        return None
    conversation = PREFIX + found.group(1)
    return conversation if hmac.compare_digest(found.group(2), _signature(secret, conversation)) else None


class MarkingCollector(CollectingOutputChannel):
    """Collects the answers like Rasa's REST channel, marking the file-status ones private."""

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        before = len(self.messages)
        private = str(message.get("utter_action") or "").startswith(PRIVATE_RESPONSES)
        await super().send_response(recipient_id, message)
        if private:
            for collected in self.messages[before:]:
                collected["private"] = True

STATIC_DIR = Path(__file__).with_name("webchat")
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


class WebChatInput(HardenedRestInput):
    """The web chat page and the hardened REST webhook it talks to."""

    @classmethod
    def name(cls) -> Text:
        return "webchat"

    def conversation_id(self, sender: str) -> str:
        conversation = conversation_of(sender, webchat_secret())
        if conversation is None:
            raise RefusedSender("unknown conversation: ask POST conversation for a new one")
        return conversation

    def collector(self) -> CollectingOutputChannel:
        return MarkingCollector()

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

        @webchat.route("/conversation", methods=["POST"])
        async def conversation(request: Request) -> HTTPResponse:
            return response.json(
                {"sender": issue_sender(webchat_secret())}, headers={"Cache-Control": "no-store"}
            )

        self._add_webhook(webchat, on_new_message)
        return webchat
