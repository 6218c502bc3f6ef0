"""Fault tests: the real servers (Rasa, the action server) on this machine's
PostgreSQL and Redis, with faults injected by the tests themselves: a TCP proxy on
loopback in front of PostgreSQL and Redis that can refuse, drop or hang connections,
and server processes killed with SIGKILL.

The member talks over the WhatsApp channel (signed Meta deliveries) to a fake Graph
API that records what the bot sends each member, so every step says what the member
received. Each test prints its transcript (`pytest -s` shows it) and writes it to
results/faults/<test>.txt."""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import socket
import threading
import time
import urllib.error
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Dict, List, Optional, Set

from tests.helpers import ROOT

RESULTS = ROOT / "results" / "faults"
APP_SECRET = "fault-tests-app-secret"


class FaultProxy:
    """A TCP proxy on 127.0.0.1 (its own thread and event loop) in front of `target`.

    Modes: "pass" forwards; "refuse" closes the listening socket and every open
    connection (new connections get ECONNREFUSED); "hang" accepts connections and
    keeps the open ones, but forwards nothing either way until the mode changes (a
    frozen database); "drop" resets every open connection once, then passes.
    """

    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.port = _free_port()
        self.mode = "pass"
        self._flowing = None  # asyncio.Event, set while forwarding
        self._server = None
        self._writers: Set[asyncio.StreamWriter] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._call(self._start())

    def _call(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    async def _start(self) -> None:
        if self._flowing is None:
            self._flowing = asyncio.Event()
            self._flowing.set()
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port, reuse_address=True)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._writers.update((writer, up_writer))

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            try:
                while True:
                    data = await source.read(65536)
                    if not data:
                        break
                    await self._flowing.wait()  # "hang": held here, nothing forwarded
                    sink.write(data)
                    await sink.drain()
            except (OSError, asyncio.CancelledError):
                pass
            finally:
                sink.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._writers.difference_update((writer, up_writer))

    async def _set(self, mode: str) -> None:
        if mode in ("refuse", "drop"):
            for writer in list(self._writers):
                transport = writer.transport
                if transport is not None:
                    transport.abort()  # RST: the client sees the connection die
            self._writers.clear()
        if mode == "refuse" and self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        if mode in ("pass", "drop", "hang") and self._server is None:
            await self._start()
        if mode == "hang":
            self._flowing.clear()
        else:
            self._flowing.set()
        self.mode = "pass" if mode == "drop" else mode

    def set(self, mode: str) -> None:
        assert mode in ("pass", "refuse", "hang", "drop"), mode
        self._call(self._set(mode))

    def close(self) -> None:
        self.set("refuse")
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class FakeGraphAPI:
    """Meta's Graph API on loopback: records every message the bot sends, by member."""

    def __init__(self) -> None:
        self.sent: List[Dict[str, Any]] = []
        self.lock = threading.Lock()
        graph = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                with graph.lock:
                    graph.sent.append(body)
                answer = b'{"messages": [{"id": "wamid.out"}]}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def texts_to(self, phone: str) -> List[str]:
        """The text of each message sent to `phone` (an interactive message's body)."""
        with self.lock:
            return [_body(message) for message in self.sent if message.get("to") == phone]

    def rendered_to(self, phone: str) -> List[str]:
        """Each message sent to `phone` as the member sees it, buttons included."""
        with self.lock:
            return [_visible(message) for message in self.sent if message.get("to") == phone]

    def close(self) -> None:
        self.server.shutdown()


def _body(message: Dict[str, Any]) -> str:
    if message.get("type") == "text":
        return message["text"]["body"]
    if message.get("type") == "interactive":
        return message["interactive"]["body"]["text"]
    return json.dumps(message, ensure_ascii=False)


def _visible(message: Dict[str, Any]) -> str:
    if message.get("type") == "text":
        return message["text"]["body"]
    if message.get("type") == "interactive":
        interactive = message["interactive"]
        action = interactive["action"]
        titles = [b["reply"]["title"] for b in action.get("buttons", [])]
        titles += [row["title"] for section in action.get("sections", []) for row in section["rows"]]
        return interactive["body"]["text"] + "".join(f" [{title}]" for title in titles)
    return json.dumps(message, ensure_ascii=False)


class Member:
    """A WhatsApp member writing to one Rasa server; `say` returns what they received."""

    def __init__(self, graph: FakeGraphAPI, base_url: str, phone: Optional[str] = None) -> None:
        self.graph = graph
        self.base_url = base_url
        self.phone = phone or "2126" + str(uuid.uuid4().int)[:8]
        self.last_rendered: List[str] = []

    def post(self, text: str, message_id: Optional[str] = None) -> int:
        message_id = message_id or f"wamid.{uuid.uuid4().hex}"
        body = json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{
            "field": "messages", "value": {"messaging_product": "whatsapp", "messages": [{
                "from": self.phone, "id": message_id, "timestamp": str(int(time.time())), "type": "text",
                "text": {"body": text}}]}}]}]}).encode()
        digest = hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
        request = urllib.request.Request(f"{self.base_url}/webhooks/whatsapp/webhook", data=body, headers={
            "Content-Type": "application/json", "X-Hub-Signature-256": f"sha256={digest}"})
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status
        except urllib.error.HTTPError as error:
            return error.code

    def say(self, text: str, message_id: Optional[str] = None, timeout: float = 60) -> List[str]:
        """Posts `text` and waits until the channel has run its turn; the messages it sent."""
        before = len(self.graph.texts_to(self.phone))
        status = self.post(text, message_id)
        assert status == 200, status
        wait_for_turns(self.base_url, timeout)
        self.last_rendered = self.graph.rendered_to(self.phone)[before:]
        return self.graph.texts_to(self.phone)[before:]


def wait_for_turns(base_url: str, timeout: float = 60) -> None:
    """Until the WhatsApp channel has no turn waiting or running."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.2)
        state = get_json(f"{base_url}/webhooks/whatsapp/")[1]
        if state.get("waiting") == 0 and state.get("running") == 0:
            return
    raise TimeoutError(f"turns still running after {timeout} s")


def get_json(url: str, timeout: float = 10) -> "tuple[int, dict]":
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


class Transcript:
    """What happened and what the member received, step by step."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.lines: List[str] = []

    def step(self, what: str) -> None:
        self.lines.append(f"== {what}")

    def exchange(self, who: str, text: str, received: List[str], seconds: Optional[float] = None) -> None:
        """`received`: texts, or a Member (its last rendered messages, buttons shown)."""
        if isinstance(received, Member):
            received = received.last_rendered
        timing = f" ({seconds:.1f} s)" if seconds is not None else ""
        self.lines.append(f"{who} > {text}{timing}")
        for message in received or ["(nothing)"]:
            self.lines.append(f"   bot > {message}")

    def note(self, text: str) -> None:
        self.lines.append(f"   {text}")

    def write(self) -> Path:
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = RESULTS / f"{self.name}.txt"
        text = "\n".join(self.lines) + "\n"
        path.write_text(text, encoding="utf-8")
        print(f"\n--- {self.name} ---\n{text}")
        return path
