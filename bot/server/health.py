"""Health endpoints of the Rasa server (credentials.yml key `bot.server.health.HealthInput`):

    GET /health/        liveness: 200 {"status": "ok"} whenever the event loop answers
    GET /health/ready   readiness: 200 when the model is loaded and the conversation
                        database, the lock store (Redis) and the action server all
                        answer; 503 otherwise, with what failed:
                        {"ready": false, "checks": {"tracker_store": "OperationalError", ...}}

nginx (deploy/nginx*.conf) and compose health checks use /health/ready, so that an
instance that cannot run a turn gets no traffic. Each check is bounded (`timeout`
seconds) and runs off the event loop. The tracker-store check also creates the tables
when the database came up after Rasa, and fails when Rasa fell back to its in-memory
store (an unimportable `type:` in endpoints.yml), which keeps nothing and redacts
nothing. No check reads or logs a conversation.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Dict, Optional, Text

import aiohttp
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

OK = "ok"


class HealthInput(InputChannel):
    """Not a channel members talk to: Rasa's way to add routes from credentials.yml."""

    @classmethod
    def name(cls) -> Text:
        return "health"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        credentials = credentials or {}
        return cls(timeout=float(credentials.get("timeout") or 3.0),
                   allow_in_memory=bool(credentials.get("allow_in_memory", False)))

    def __init__(self, timeout: float = 3.0, allow_in_memory: bool = False) -> None:
        self.timeout = timeout
        self.allow_in_memory = allow_in_memory
        self._was_ready: Optional[bool] = None

    def url_prefix(self) -> Text:
        return "/health"  # absolute: /health/..., not /webhooks/health/...

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        health = Blueprint("amo_health", __name__)

        @health.route("/", methods=["GET"])
        async def alive(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @health.route("/ready", methods=["GET"])
        async def ready(request: Request) -> HTTPResponse:
            checks = await self.checks(getattr(request.app.ctx, "agent", None))
            is_ready = all(value == OK for value in checks.values())
            self._log_change(is_ready, checks)
            return response.json({"ready": is_ready, "checks": checks}, status=200 if is_ready else 503)

        return health

    async def checks(self, agent: Any) -> Dict[str, str]:
        if agent is None or not agent.is_ready():
            return {"model": "not loaded"}
        names = ("tracker_store", "lock_store", "action_server")
        results = await asyncio.gather(
            self._bounded(self._tracker_store, agent),
            self._bounded(self._lock_store, agent),
            self._bounded(self._action_server, agent),
        )
        return {"model": OK, **dict(zip(names, results))}

    async def _bounded(self, check: Callable[[Any], Awaitable[str]], agent: Any) -> str:
        try:
            return await asyncio.wait_for(check(agent), self.timeout)
        except asyncio.TimeoutError:
            return f"no answer within {self.timeout:.0f} s"
        except Exception as error:  # noqa: BLE001 - reported, by type only
            return type(error).__name__

    async def _tracker_store(self, agent: Any) -> str:
        store = agent.tracker_store
        if isinstance(store, FailSafeTrackerStore):
            store = store._tracker_store
        if isinstance(store, InMemoryTrackerStore):
            return OK if self.allow_in_memory else "in-memory store (endpoints.yml's tracker store did not load)"
        check = getattr(store, "check", None)
        if check is None:
            return OK  # a store we cannot probe (not ours)
        # In the store's own database threads: a hung database holds those, not the
        # threads the channels and the lock store use.
        await store.in_thread(check, "readiness check")
        return OK

    async def _lock_store(self, agent: Any) -> str:
        red = getattr(agent.lock_store, "red", None)
        if red is None:
            return OK  # in-memory lock store: one instance, nothing to reach
        await asyncio.to_thread(red.ping)
        return OK

    async def _action_server(self, agent: Any) -> str:
        endpoint = getattr(agent, "action_endpoint", None)
        if endpoint is None or not endpoint.url:
            return "no action endpoint"
        url = endpoint.url.rsplit("/webhook", 1)[0] + "/health"
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            async with session.get(url) as answer:
                return OK if answer.status == 200 else f"status {answer.status}"

    def _log_change(self, is_ready: bool, checks: Dict[str, str]) -> None:
        if is_ready == self._was_ready:
            return
        self._was_ready = is_ready
        if is_ready:
            logger.info("Readiness: ready (model, tracker store, lock store, action server all answer)")
        else:
            failed = ", ".join(f"{name}: {value}" for name, value in checks.items() if value != OK)
            logger.error("Readiness: NOT ready (%s)", failed)
