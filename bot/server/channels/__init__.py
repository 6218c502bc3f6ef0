"""Messaging channels: WhatsApp Cloud API (`whatsapp`) and Twilio WhatsApp
(`twilio_whatsapp`). Setup: docs/channels.md."""
from __future__ import annotations

import asyncio
import logging
import os
from typing import Any, Awaitable, Dict, Optional, Set

logger = logging.getLogger(__name__)

# The user message for what only a human could read (image, voice note, location...):
# the intent share_media answers, in the member's language, that only text is read.
SHARE_MEDIA = "/share_media"


def credential(credentials: Optional[Dict[str, Any]], key: str, variable: str) -> Optional[str]:
    """The credentials.yml value, else the environment variable, so that
    credentials.yml can name a channel without holding its secrets."""
    value = (credentials or {}).get(key)
    if value not in (None, ""):
        return str(value)
    return os.environ.get(variable) or None


class BackgroundTurns:
    """Runs conversation turns after the webhook has answered.

    Providers retry a webhook that answers slowly, so handlers answer first and
    process here. A member's turns run one after the other, in arrival order (a
    quick burst of messages, or a number answering options just sent); different
    members' turns run concurrently. Tasks are kept referenced (the event loop holds
    only weak references) and a failure is logged by type only: its text may quote
    the member's message.
    """

    def __init__(self, channel: str) -> None:
        self._channel = channel
        self._tasks: Set["asyncio.Task[None]"] = set()
        self._latest: Dict[str, "asyncio.Task[None]"] = {}

    def start(self, member: str, turn: Awaitable[None]) -> None:
        task = asyncio.ensure_future(self._after(self._latest.get(member), turn))
        self._tasks.add(task)
        self._latest[member] = task
        task.add_done_callback(lambda done: self._forget(member, done))

    async def drain(self) -> None:
        """Waits for the turns already started (at server shutdown, in tests)."""
        while self._tasks:
            await asyncio.gather(*self._tasks)

    def _forget(self, member: str, task: "asyncio.Task[None]") -> None:
        self._tasks.discard(task)
        if self._latest.get(member) is task:
            del self._latest[member]

    async def _after(self, previous: "Optional[asyncio.Task[None]]", turn: Awaitable[None]) -> None:
        if previous is not None:
            await asyncio.wait([previous])  # never raises: `previous` logs its own failure
        try:
            await turn
        except Exception as error:  # noqa: BLE001 - logged, must not reach the event loop
            logger.error("%s turn failed: %s", self._channel, type(error).__name__)
