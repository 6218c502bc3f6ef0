"""The base of the two WhatsApp connectors (Cloud API: whatsapp.py, Twilio:
twilio_whatsapp.py): one webhook skeleton, at-least-once with an exactly-once effect.

    GET  /webhooks/<name>/          health: {"status": "ok", "waiting": n, "running": n}
    POST /webhooks/<name>/webhook   the provider's delivery

A delivery is read as a stream and cut at `max_body_bytes` (413) before anything
else, then its signature is checked (403), then it is parsed (400 only when the body
as a whole is unusable; a malformed message inside a good delivery is skipped alone,
the others are processed). Each message is queued and the webhook answers at once:
providers retry slow webhooks. If `max_waiting` turns already wait, the whole
delivery is refused with 503 and the provider redelivers it later.

A queued message runs in `BackgroundTurns` (N workers; one conversation's messages one
after the other, in arrival order). Its turn:
1. claims the message id in the shared MessageIdStore (a done id, or one in flight
   on another instance, is dropped);
2. resolves a typed number against the options last offered (SQLOptionMemory);
3. runs the turn with the bot's replies held back, and sends them only once the turn
   succeeded, so that a retried turn never sends its answers twice; they are rendered
   as one turn (`TurnOutput`): options numbered in text are numbered on across the
   turn's messages, and the turn's numbered options are remembered once, so that a
   typed "4" is the turn's fourth option;
4. marks the id done. A failed turn is retried (`attempts`, with a growing delay);
   after the last failure the member gets "the service is busy, your message is
   kept, try again in a few minutes" (busy.py) in their language, and the id is
   released so that a redelivery runs it again.
At a graceful stop (`before_server_stop`) the waiting turns are drained; what cannot
finish within `drain_seconds` is released and logged.

Conversation ids carry the channel: `wa:<phone>` (Cloud API), `tw:<phone>` (Twilio),
so that no other channel's sender id can reach a WhatsApp member's conversation.
Nothing a member wrote is ever logged: failures are logged by type.
"""
from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import logging
import os
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Deque, Dict, List, Mapping, Optional, Sequence, Set, Text, Tuple

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.server.channels.busy import busy_language, busy_text
from bot.server.channels.dedup import MessageIdStore, SQLOptionMemory
from bot.server.channels.outgoing import Option, OptionMemory, render_turn

logger = logging.getLogger(__name__)

Job = Callable[[], Awaitable[None]]

# The channel database's calls (message ids, numbered options) run in these threads,
# each bounded by STATE_TIMEOUT seconds: a hung database holds these threads, never the
# event loop, the default executor or the lock store's threads.
_STATE_THREADS = concurrent.futures.ThreadPoolExecutor(8, thread_name_prefix="channel-db")
STATE_TIMEOUT = 5.0


class ChannelStateUnavailable(RuntimeError):
    """The channel database did not answer within STATE_TIMEOUT seconds."""


async def state_call(call: Callable[..., Any], *args: Any) -> Any:
    """`call(*args)` (a blocking MessageIdStore / SQLOptionMemory method) in a channel
    database thread, bounded by STATE_TIMEOUT."""
    future = asyncio.get_running_loop().run_in_executor(_STATE_THREADS, call, *args)
    try:
        return await asyncio.wait_for(future, STATE_TIMEOUT)
    except asyncio.TimeoutError:
        raise ChannelStateUnavailable(f"{getattr(call, '__name__', 'call')} timed out") from None


def credential(credentials: Optional[Dict[str, Any]], key: str, variable: str) -> Optional[str]:
    """The credentials.yml value, else the environment variable, so that
    credentials.yml can name a channel without holding its secrets."""
    value = (credentials or {}).get(key)
    if value not in (None, ""):
        return str(value)
    return os.environ.get(variable) or None


def env_number(name: str, default: float) -> float:
    value = os.environ.get(name)
    try:
        return float(value) if value not in (None, "") else default
    except ValueError:
        logger.warning("%s=%r is not a number: using %s", name, value, default)
        return default


@dataclass(frozen=True)
class TurnPolicy:
    """How turns run: `workers` at once per channel, at most `max_waiting` queued,
    `attempts` tries per turn waiting `retry_delay`, 2x... between them, and at most
    `drain_seconds` at a graceful stop. AMO_CHANNEL_* variables override the defaults."""

    workers: int = 8
    max_waiting: int = 2000
    attempts: int = 3
    retry_delay: float = 1.0
    drain_seconds: float = 60.0

    @classmethod
    def from_environment(cls) -> "TurnPolicy":
        default = cls()
        return cls(
            workers=max(1, int(env_number("AMO_CHANNEL_WORKERS", default.workers))),
            max_waiting=max(1, int(env_number("AMO_CHANNEL_MAX_WAITING", default.max_waiting))),
            attempts=max(1, int(env_number("AMO_CHANNEL_TURN_ATTEMPTS", default.attempts))),
            retry_delay=env_number("AMO_CHANNEL_RETRY_DELAY", default.retry_delay),
            drain_seconds=env_number("AMO_CHANNEL_DRAIN_SECONDS", default.drain_seconds),
        )


async def remember_options(memory: OptionMemory, conversation_id: str, options: Any) -> None:
    """Remembers the numbered options sent; a failure is logged, not raised: the reply
    goes out anyway, and a "2" typed then stays "2"."""
    try:
        await state_call(memory.remember, conversation_id, options)
    except Exception as error:  # noqa: BLE001
        logger.error("Numbered options not remembered: %s", type(error).__name__)


class BackgroundTurns:
    """Runs conversation turns after the webhook has answered, `workers` at a time.

    A conversation's jobs run one after the other, in arrival order (a quick burst of
    messages, or a number answering options just sent); different conversations' jobs
    run concurrently, never more than `workers`. A job's failure is logged by type
    only: its text may quote the member's message.
    """

    def __init__(self, channel: str, workers: int = 8, max_waiting: int = 2000) -> None:
        self._channel = channel
        self._workers = workers
        self._max_waiting = max_waiting
        self._jobs: Dict[str, Deque[Job]] = {}
        self._queue: "Optional[asyncio.Queue[str]]" = None
        self._tasks: Set["asyncio.Task[None]"] = set()
        self.running = 0
        self.peak = 0

    @property
    def waiting(self) -> int:
        return sum(len(jobs) for jobs in self._jobs.values()) - self.running

    @property
    def full(self) -> bool:
        return self.waiting >= self._max_waiting

    def start(self, member: str, job: Job) -> None:
        """Queues `job` for `member` (the webhook checks `full` before a delivery, so
        that a delivery is queued whole or refused whole)."""
        if self._queue is None:
            self._queue = asyncio.Queue()
        if member in self._jobs:
            self._jobs[member].append(job)  # run by the worker serving this member
        else:
            self._jobs[member] = collections.deque([job])
            self._queue.put_nowait(member)
        while len(self._tasks) < self._workers:
            task = asyncio.ensure_future(self._work())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def drain(self, timeout: Optional[float] = None) -> List[Job]:
        """Waits until every queued job has run (at a graceful stop, in tests); returns
        the jobs that had not started when `timeout` ran out (they will not run)."""
        if self._queue is not None:
            try:
                await asyncio.wait_for(self._queue.join(), timeout)
            except asyncio.TimeoutError:
                pass
        left = [job for jobs in self._jobs.values() for job in list(jobs)[1:]]
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self._jobs.clear()
        self._queue = None
        return left

    async def _work(self) -> None:
        assert self._queue is not None
        queue = self._queue
        while True:
            member = await queue.get()
            jobs = self._jobs.get(member)
            try:
                while jobs:
                    self.running += 1
                    self.peak = max(self.peak, self.running)
                    try:
                        await jobs[0]()
                    except asyncio.CancelledError:
                        raise
                    except Exception as error:  # noqa: BLE001 - logged, must not stop the worker
                        logger.error("%s turn failed: %s", self._channel, type(error).__name__)
                    finally:
                        self.running -= 1
                        jobs.popleft()
            finally:
                self._jobs.pop(member, None)
                queue.task_done()


@dataclass(frozen=True)
class Incoming:
    """One member message of a delivery, as the channel understood it."""

    message_id: Optional[str]
    address: str  # the provider's address of the member (wa_id, "whatsapp:+212…")
    text: str
    typed: bool  # typed text (may be a number answering numbered options)


class BadDelivery(ValueError):
    """A signed body that is unusable as a whole (not JSON, not the provider's shape)."""


class TurnOutput(OutputChannel):
    """A provider's output channel, which sends a turn's bot messages as a whole
    (`send_turn`): rendered once through `render` (outgoing.whatsapp_message or
    outgoing.twilio_message, by render_turn), sent piece by piece in order, the turn's
    numbered options remembered once. Rasa's own methods (send_response,
    send_text_message, send_text_with_buttons, ...) send a turn of one message.

    A provider fills in `render`, `send_piece` and, for what it can show besides text
    and buttons, `attachments`."""

    def __init__(self, option_memory: OptionMemory) -> None:
        self.option_memory = option_memory

    @staticmethod
    def render(
        text: str, buttons: Sequence[Mapping[str, Any]], first_number: int = 1
    ) -> Tuple[List[Any], List[Option]]:
        """What to send for one bot message, and the options it numbered in text."""
        raise NotImplementedError

    def attachments(self, message: Mapping[str, Any]) -> List[Any]:
        """What to send for a message's parts other than text and buttons (an image)."""
        return []

    async def send_piece(self, recipient_id: Text, piece: Any) -> None:
        """Sends one rendered piece to the provider."""
        raise NotImplementedError

    async def send_turn(self, recipient_id: Text, messages: Sequence[Mapping[str, Any]]) -> None:
        pieces, numbered = render_turn(messages, self.render, self.attachments)
        if any(message.get("buttons") for message in messages):
            # Also when nothing was numbered (all sent as buttons): a "2" must not pick
            # from older options. A turn without buttons leaves the last ones in place.
            await remember_options(self.option_memory, recipient_id, numbered)
        for piece in pieces:
            await self.send_piece(recipient_id, piece)

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        await self.send_turn(recipient_id, [message])

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self.send_turn(recipient_id, [{"text": text}])

    async def send_text_with_buttons(
        self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]], **kwargs: Any
    ) -> None:
        await self.send_turn(recipient_id, [{"text": text, "buttons": buttons}])

    async def send_image_url(self, recipient_id: Text, image: Text, **kwargs: Any) -> None:
        await self.send_turn(recipient_id, [{"image": image}])


class HeldOutput(OutputChannel):
    """Holds a turn's replies; `release()` sends them through the real channel as one
    turn (TurnOutput.send_turn), once the turn succeeded. A failed and retried turn
    thus never sends the same answers twice."""

    def __init__(self, output: TurnOutput) -> None:
        self.output = output
        self.held: List[Tuple[Text, Dict[Text, Any]]] = []

    def name(self) -> Text:  # type: ignore[override] - Rasa reads it as "latest" channel
        return self.output.name()

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        self.held.append((recipient_id, dict(message)))

    async def release(self) -> None:
        held, self.held = self.held, []
        # Rasa sends all of a turn's replies to its member; grouping by recipient only
        # makes sure that no reply could reach another conversation.
        for recipient_id in dict.fromkeys(recipient for recipient, _ in held):
            await self.output.send_turn(recipient_id, [message for recipient, message in held
                                                       if recipient == recipient_id])


class WebhookInput(InputChannel):
    """The webhook skeleton; a provider fills in `conversation_prefix`, `max_body_bytes`,
    `is_signed`, `parse`, `get_output_channel` (and `add_routes`, `accepted`)."""

    conversation_prefix = ""
    max_body_bytes = 64 * 1024

    def __init__(
        self,
        message_ids: Optional[MessageIdStore] = None,
        option_memory: Optional[OptionMemory] = None,
        policy: Optional[TurnPolicy] = None,
    ) -> None:
        self.message_ids = message_ids
        self.option_memory = option_memory if option_memory is not None else OptionMemory()
        self.policy = policy or TurnPolicy()
        self.turns = BackgroundTurns(self.name(), self.policy.workers, self.policy.max_waiting)
        self._claimed: Set[str] = set()

    @staticmethod
    def shared_state() -> Tuple[MessageIdStore, SQLOptionMemory]:
        """The stores of AMO_CHANNEL_DB_URL (from_credentials uses them)."""
        message_ids = MessageIdStore.from_environment()
        return message_ids, SQLOptionMemory(message_ids._engine)

    # -- what a provider fills in -----------------------------------------------------

    def is_signed(self, request: Request, body: bytes) -> bool:
        raise NotImplementedError

    def parse(self, request: Request, body: bytes) -> List[Incoming]:
        """The member messages of a signed delivery; raises BadDelivery."""
        raise NotImplementedError

    def add_routes(self, webhook: Blueprint) -> None:
        """Routes besides health and the POST (Meta's GET verification)."""

    def accepted(self) -> HTTPResponse:
        return response.text("")

    # -- conversation ids ---------------------------------------------------------------

    def conversation_id(self, address: str) -> str:
        return f"{self.conversation_prefix}:{address}"

    def address(self, conversation_id: str) -> str:
        prefix = f"{self.conversation_prefix}:"
        return conversation_id[len(prefix):] if conversation_id.startswith(prefix) else conversation_id

    # -- the webhook ---------------------------------------------------------------------

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint(f"{self.name()}_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok", "waiting": self.turns.waiting, "running": self.turns.running})

        self.add_routes(webhook)

        @webhook.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> HTTPResponse:
            body = await read_bounded_body(request, self.max_body_bytes)
            if body is None:
                return response.text("payload too large", status=413)
            if not self.is_signed(request, body):
                return response.text("forbidden", status=403)
            try:
                messages = self.parse(request, body)
            except (BadDelivery, ValueError, RecursionError) as error:
                logger.warning("Rejected a %s webhook body: %s", self.name(), type(error).__name__)
                return response.text("bad request", status=400)
            if messages and self.turns.full:
                logger.error("%s: %d turns waiting, delivery refused (503): the provider redelivers it",
                             self.name(), self.turns.waiting)
                return response.text("busy", status=503)
            agent = getattr(request.app.ctx, "agent", None)
            for message in messages:
                member = self.conversation_id(message.address)
                self.turns.start(member, self._job(message, member, on_new_message, agent))
            return self.accepted()

        @webhook.listener("before_server_stop")
        async def finish_turns(*_: Any) -> None:
            await self.stop()

        return webhook

    async def stop(self) -> None:
        """Drains the waiting turns; what did not run is released for redelivery."""
        left = await self.turns.drain(self.policy.drain_seconds)
        stuck = sorted(self._claimed)
        for message_id in stuck:
            await self._store(self.message_ids.release, message_id)
        if left or stuck:
            logger.error("%s stopped with %d turns not run and %d interrupted: released for redelivery",
                         self.name(), len(left), len(stuck))

    def _job(self, message: Incoming, member: str, on_new_message: Callable[[UserMessage], Awaitable[Any]],
             agent: Any) -> Job:
        return lambda: self._turn(message, member, on_new_message, agent)

    async def _turn(self, message: Incoming, member: str, on_new_message: Callable[[UserMessage], Awaitable[Any]],
                    agent: Any) -> None:
        message_id = message.message_id if self.message_ids is not None else None
        claimed = False
        for attempt in range(1, self.policy.attempts + 1):
            try:
                if message_id and not claimed:
                    if not await self._store(self.message_ids.claim, message_id):
                        logger.debug("Dropped a redelivered %s message.", self.name())
                        return
                    claimed = True
                    self._claimed.add(message_id)
                text = message.text
                if message.typed:
                    text = await state_call(self.option_memory.resolve, member, text)
                held = HeldOutput(self.get_output_channel())
                await on_new_message(UserMessage(text, held, member, input_channel=self.name(),
                                                 message_id=message_id, metadata={"channel": self.name()}))
                await held.release()
                break
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - retried, then answered
                final = attempt == self.policy.attempts
                logger.log(logging.ERROR if final else logging.WARNING, "%s turn failed (attempt %d/%d): %s",
                           self.name(), attempt, self.policy.attempts, type(error).__name__)
                if final:
                    await self._answer_busy(message, member, agent)
                    if claimed:
                        await self._store(self.message_ids.release, message_id)
                        self._claimed.discard(message_id)
                    return
                await asyncio.sleep(self.policy.retry_delay * 2 ** (attempt - 1))
        if claimed:
            await self._store(self.message_ids.done, message_id)
            self._claimed.discard(message_id)

    async def _answer_busy(self, message: Incoming, member: str, agent: Any) -> None:
        language = await busy_language(agent, message.text)
        try:
            await self.get_output_channel().send_text_message(member, busy_text(language))
        except Exception as error:  # noqa: BLE001
            logger.error("%s busy answer not sent: %s", self.name(), type(error).__name__)

    async def _store(self, call: Callable[[str], Any], message_id: str) -> Any:
        """A MessageIdStore call in a worker thread; raises as the store does, except
        done/release whose failure is only logged (the turn already ran or failed)."""
        if call.__name__ == "claim":
            return await state_call(call, message_id)
        try:
            return await state_call(call, message_id)
        except Exception as error:  # noqa: BLE001
            logger.error("%s message id not marked %s: %s", self.name(), call.__name__, type(error).__name__)
            return None


async def read_bounded_body(request: Request, limit: int) -> Optional[bytes]:
    """The raw body of a streamed request, or None as soon as it grows past `limit`
    bytes (a declared Content-Length over the limit is refused before reading)."""
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
