"""What text-only messaging channels share on the way out: splitting long texts,
rendering buttons as numbered options (and remembering which number meant which
payload), and posting to a provider's HTTP API with bounded retries.

No Rasa import here: these are plain rules, unit-tested on their own.
"""
from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, List, Mapping, Optional, Sequence, Tuple

import aiohttp

logger = logging.getLogger(__name__)

# Coarsest boundary first: paragraphs, lines, sentences (Latin and Arabic
# punctuation), words. A piece longer than the limit is cut at the next finer one.
_BOUNDARIES = (
    re.compile(r"\n\s*\n"),
    re.compile(r"\n"),
    re.compile(r"(?<=[.!?؟…])\s+"),
    re.compile(r"\s+"),
)


def split_text(text: str, limit: int) -> List[str]:
    """Cuts `text` into chunks of at most `limit` characters.

    Chunks end on the coarsest boundary that fits; a single word longer than the
    limit is the only thing ever cut in the middle. Only whitespace at the cuts is
    dropped, so the chunks joined again equal the text modulo whitespace.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    text = text.strip()
    return _split(text, limit, 0) if text else []


def _split(text: str, limit: int, level: int) -> List[str]:
    if len(text) <= limit:
        return [text]
    if level == len(_BOUNDARIES):
        return [text[start : start + limit] for start in range(0, len(text), limit)]

    chunks: List[str] = []
    current = ""
    for piece, separator in _pieces(text, _BOUNDARIES[level]):
        candidate = current + separator + piece if current else piece
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            chunks.append(current)
        if len(piece) <= limit:
            current = piece
        else:
            *done, current = _split(piece, limit, level + 1)
            chunks.extend(done)
    if current:
        chunks.append(current)
    return chunks


def _pieces(text: str, boundary: "re.Pattern[str]") -> List[Tuple[str, str]]:
    """(piece, separator before it) pairs; pieces are never empty."""
    pieces: List[Tuple[str, str]] = []
    start, separator = 0, ""
    for match in boundary.finditer(text):
        if match.start() > start:
            pieces.append((text[start : match.start()], separator))
        start, separator = match.end(), match.group()
    if start < len(text):
        pieces.append((text[start:], separator))
    return pieces


@dataclass(frozen=True)
class Option:
    """One choice offered to the member: what they see and what the bot receives."""

    title: str
    payload: str


def options_from_buttons(buttons: Sequence[Mapping[str, Any]]) -> List[Option]:
    """Rasa buttons ({"title", "payload"}) as options; a button without a payload
    sends its title, as Rasa's own channels do."""
    options = []
    for button in buttons:
        title = str(button.get("title") or "").strip()
        payload = str(button.get("payload") or title).strip()
        if title or payload:
            options.append(Option(title=title or payload, payload=payload))
    return options


def numbered_text(text: str, options: Sequence[Option]) -> str:
    """The text followed by "1. title" lines: the member answers with the number,
    never sees a raw "/intent" payload."""
    lines = [f"{number}. {option.title}" for number, option in enumerate(options, 1)]
    return "\n\n".join(part for part in (text.strip(), "\n".join(lines)) if part)


def truncate(title: str, limit: int) -> str:
    """Cuts a title to `limit` characters, marking the cut with an ellipsis."""
    title = title.strip()
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"


_NUMBER_ANSWER = re.compile(r"^\s*(\d{1,3})\s*[.)]?\s*$")


def picked_option(payloads: Sequence[str], text: str) -> Optional[str]:
    """The payload a typed number ("2", "٢", "2.") picks among `payloads`, else None."""
    match = _NUMBER_ANSWER.match(text)
    if not match:
        return None
    number = int(match.group(1))  # int() reads Arabic-Indic digits too
    return payloads[number - 1] if 1 <= number <= len(payloads) else None


class OptionMemory:
    """Remembers, per conversation, the payloads behind the numbered options last
    sent, so that an answer "2" (or "٢") becomes the second option's payload.

    This one lives in the process: bounded (least recently used conversations are
    forgotten first) and time-limited (a number typed an hour later is just a
    number). Several instances, or a restart, need the shared one:
    bot.server.channels.dedup.SQLOptionMemory, with the same rule.
    """

    def __init__(
        self,
        max_members: int = 10_000,
        ttl_seconds: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._entries: "OrderedDict[str, Tuple[float, Tuple[str, ...]]]" = OrderedDict()
        self._max_members = max_members
        self._ttl = ttl_seconds
        self._clock = clock

    @staticmethod
    def looks_like_a_number(text: str) -> bool:
        return _NUMBER_ANSWER.match(text) is not None

    def remember(self, member: str, options: Sequence[Option]) -> None:
        self._entries.pop(member, None)
        self._entries[member] = (self._clock(), tuple(o.payload for o in options))
        while len(self._entries) > self._max_members:
            self._entries.popitem(last=False)

    def resolve(self, member: str, text: str) -> str:
        """The payload `text` picks, or `text` itself when it picks none."""
        entry = self._entries.get(member)
        if not self.looks_like_a_number(text) or entry is None:
            return text
        remembered_at, payloads = entry
        if self._clock() - remembered_at > self._ttl:
            del self._entries[member]
            return text
        picked = picked_option(payloads, text)
        if picked is None:
            return text
        self._entries.move_to_end(member)
        return picked


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential backoff: `attempts` tries, waiting base, 2*base, ..."""

    attempts: int = 3
    base_delay: float = 0.5
    timeout: float = 10.0


def _is_retryable(status: int) -> bool:
    return status == 429 or status >= 500


async def post_with_retry(
    url: str,
    *,
    what: str,
    retry: RetryPolicy,
    error_code: Callable[[Any], Optional[str]],
    **request: Any,
) -> bool:
    """POSTs to a provider API; True when it answered 2xx.

    Retries rate limits, server errors and network failures; never other 4xx.
    Logs only the status and the provider's error code: never the request,
    which holds the member's text and phone number.
    """
    timeout = aiohttp.ClientTimeout(total=retry.timeout)
    for attempt in range(1, retry.attempts + 1):
        status: Optional[int] = None
        code: Optional[str] = None
        try:
            async with aiohttp.ClientSession(timeout=timeout) as session:
                async with session.post(url, **request) as response:
                    status = response.status
                    if status < 300:
                        return True
                    code = error_code(await _json_or_none(response))
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            code = type(error).__name__
        final = attempt == retry.attempts or (status is not None and not _is_retryable(status))
        logger.log(
            logging.ERROR if final else logging.WARNING,
            "%s failed (attempt %d/%d): status=%s error_code=%s",
            what,
            attempt,
            retry.attempts,
            status,
            code,
        )
        if final:
            return False
        await asyncio.sleep(retry.base_delay * 2 ** (attempt - 1))
    return False


async def _json_or_none(response: aiohttp.ClientResponse) -> Any:
    try:
        return await response.json(content_type=None)
    except ValueError:
        return None


def nested_code(body: Any, *path: str) -> Optional[str]:
    """`body[path[0]][path[1]]...` as a string, or None when absent."""
    for key in path:
        if not isinstance(body, dict):
            return None
        body = body.get(key)
    return None if body is None or isinstance(body, (dict, list)) else str(body)

