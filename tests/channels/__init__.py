"""Helpers for the channel tests: the channel's blueprint served by a real Sanic
server on loopback (registered the way `rasa run` registers it), an agent stand-in
that records the messages reaching it, and a fake provider API that records what
the bot sends."""
from __future__ import annotations

import asyncio
import functools
import json
import socket
import uuid
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Dict, Iterable, List, Optional, Sequence

from aiohttp import web
from aiohttp.test_utils import TestServer
from rasa.core.channels.channel import InputChannel, UserMessage, register
from sanic import Sanic


def run_async(test):
    """Runs an `async def` test in its own event loop (no pytest-asyncio here)."""

    @functools.wraps(test)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))

    return wrapper


class RecordingAgent:
    """Stands in for rasa's Agent: records each message and answers with `replies`
    (Rasa response dicts) through the message's output channel."""

    def __init__(self, replies: Sequence[Dict[str, Any]] = ()) -> None:
        self.messages: List[UserMessage] = []
        self.replies = replies

    async def handle_message(self, message: UserMessage) -> None:
        self.messages.append(message)
        for reply in self.replies:
            await message.output_channel.send_response(message.sender_id, dict(reply))

    @property
    def texts(self) -> List[str]:
        return [message.text for message in self.messages]


@asynccontextmanager
async def serve(channel: InputChannel, agent: RecordingAgent) -> AsyncIterator[str]:
    """Serves `channel` on loopback; yields its base URL (.../webhooks/<name>)."""
    # Sanic's own switch for several apps in one process (sanic_testing sets it too).
    Sanic.test_mode = True
    app = Sanic(f"test_{uuid.uuid4().hex}", configure_logging=False)
    app.ctx.agent = agent
    register([channel], app, route="/webhooks/")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = await app.create_server(sock=sock, return_asyncio_server=True)
    await server.startup()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/webhooks/{channel.name()}"
    finally:
        await server.before_stop()  # the channel finishes its background turns here
        server.close()
        await server.wait_closed()
        await server.after_stop()


class FakeProvider:
    """A provider API on loopback answering the scripted statuses in turn
    (then 200), recording every request it receives."""

    def __init__(self, statuses: Iterable[int] = (), error_body: Optional[Dict[str, Any]] = None) -> None:
        self.statuses = list(statuses)
        self.error_body = error_body or {}
        self.requests: List[Dict[str, Any]] = []
        self.url = ""

    async def _handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        content_type = request.headers.get("Content-Type", "")
        self.requests.append(
            {
                "path": request.path,
                "headers": dict(request.headers),
                "json": json.loads(raw) if "json" in content_type else None,
                "form": dict(await request.post()) if "form" in content_type else None,
            }
        )
        status = self.statuses.pop(0) if self.statuses else 200
        body = self.error_body if status >= 300 else {"ok": True}
        return web.json_response(body, status=status)

    @property
    def sent(self) -> List[Dict[str, Any]]:
        """The bodies sent, JSON or form."""
        return [request["json"] if request["json"] is not None else request["form"] for request in self.requests]

    @asynccontextmanager
    async def running(self) -> AsyncIterator["FakeProvider"]:
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._handle)
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        self.url = str(server.make_url("")).rstrip("/")
        try:
            yield self
        finally:
            await server.close()
