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
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

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


def numbered_text(text: str, options: Sequence[Option], start: int = 1) -> str:
    """The text followed by "1. title" lines: the member answers with the number,
    never sees a raw "/intent" payload. `start`: the first number, when options
    were already numbered earlier in the same turn (numbers stay unique in a turn)."""
    lines = [f"{number}. {option.title}" for number, option in enumerate(options, start)]
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


# Rendering for the channels (helper E2, issue 13 item 7). What each channel shows,
# from the providers' documented limits; tests/test_channel_limits.py renders every
# response of the domain and every form question through these functions.
#
# WhatsApp Cloud API: a text of up to 4,096 characters; an interactive message has a
# body of up to 1,024, and either up to 3 reply buttons (titles up to 20 characters,
# unique; ids up to 256) or ONE list of up to 10 rows (titles up to 24, descriptions
# up to 72, ids up to 200; the list's button label up to 20).
WHATSAPP_TEXT_LIMIT = 4096
WHATSAPP_BODY_LIMIT = 1024
WHATSAPP_MAX_REPLY_BUTTONS = 3
WHATSAPP_BUTTON_TITLE_LIMIT = 20
WHATSAPP_BUTTON_ID_LIMIT = 256
WHATSAPP_MAX_LIST_ROWS = 10
WHATSAPP_ROW_TITLE_LIMIT = 24
WHATSAPP_ROW_DESCRIPTION_LIMIT = 72
WHATSAPP_ROW_ID_LIMIT = 200
WHATSAPP_LIST_LABEL_LIMIT = 20
WHATSAPP_LIST_LABEL = "Options · خيارات"  # members write French or Arabic script
# Twilio: one message body of up to 1,600 characters; no buttons, numbered options.
TWILIO_TEXT_LIMIT = 1600


def _distinct(options: Sequence[Option]) -> List[Option]:
    """One option per payload (WhatsApp refuses two buttons or rows with one id)."""
    seen, kept = set(), []
    for option in options:
        if option.payload not in seen:
            seen.add(option.payload)
            kept.append(option)
    return kept


def whatsapp_text(body: str) -> Dict[str, Any]:
    return {"type": "text", "text": {"body": body, "preview_url": False}}


def whatsapp_message(
    text: str, buttons: Sequence[Mapping[str, Any]], first_number: int = 1
) -> Tuple[List[Dict[str, Any]], List[Option]]:
    """Graph API message objects for one bot message (a text and its Rasa buttons),
    and the options it numbered in plain text, if it came to that.

    Up to 3 short, distinct titles: reply buttons; up to 10 options: one list; more
    (or no text to carry them): numbered text, numbers from `first_number`. The
    buttons always stay with their own text: never merged with another message's.
    """
    options = _distinct(options_from_buttons(buttons))
    if not options:
        return [whatsapp_text(chunk) for chunk in split_text(text, WHATSAPP_TEXT_LIMIT)], []
    chunks = split_text(text, WHATSAPP_TEXT_LIMIT)
    if chunks and len(chunks[-1]) > WHATSAPP_BODY_LIMIT:
        chunks[-1:] = split_text(chunks[-1], WHATSAPP_BODY_LIMIT)
    interactive = _whatsapp_interactive(chunks[-1], options) if chunks else None
    if interactive is None:
        numbered = numbered_text(text, options, first_number)
        return [whatsapp_text(chunk) for chunk in split_text(numbered, WHATSAPP_TEXT_LIMIT)], options
    return [whatsapp_text(chunk) for chunk in chunks[:-1]] + [interactive], []


def _whatsapp_interactive(body: str, options: Sequence[Option]) -> Optional[Dict[str, Any]]:
    titles = [option.title for option in options]
    if (
        len(options) <= WHATSAPP_MAX_REPLY_BUTTONS
        and len(set(titles)) == len(titles)
        and all(len(o.title) <= WHATSAPP_BUTTON_TITLE_LIMIT and len(o.payload) <= WHATSAPP_BUTTON_ID_LIMIT for o in options)
    ):
        buttons = [{"type": "reply", "reply": {"id": o.payload, "title": o.title}} for o in options]
        action: Dict[str, Any] = {"buttons": buttons}
        kind = "button"
    elif len(options) <= WHATSAPP_MAX_LIST_ROWS and all(len(o.payload) <= WHATSAPP_ROW_ID_LIMIT for o in options):
        action = {"button": WHATSAPP_LIST_LABEL, "sections": [{"rows": [_whatsapp_row(o) for o in options]}]}
        kind = "list"
    else:
        return None
    return {"type": "interactive", "interactive": {"type": kind, "body": {"text": body}, "action": action}}


def _whatsapp_row(option: Option) -> Dict[str, str]:
    row = {"id": option.payload, "title": truncate(option.title, WHATSAPP_ROW_TITLE_LIMIT)}
    if len(option.title) > WHATSAPP_ROW_TITLE_LIMIT:
        row["description"] = truncate(option.title, WHATSAPP_ROW_DESCRIPTION_LIMIT)
    return row


def twilio_message(
    text: str, buttons: Sequence[Mapping[str, Any]], first_number: int = 1
) -> Tuple[List[str], List[Option]]:
    """Twilio message bodies for one bot message, and the options numbered in them
    (numbers from `first_number`)."""
    options = _distinct(options_from_buttons(buttons))
    return split_text(numbered_text(text, options, first_number), TWILIO_TEXT_LIMIT), options


def _no_attachments(message: Mapping[str, Any]) -> List[Any]:
    return []


def render_turn(
    messages: Sequence[Mapping[str, Any]],
    render: Callable[..., Tuple[List[Any], List[Option]]],
    attachments: Callable[[Mapping[str, Any]], List[Any]] = _no_attachments,
) -> Tuple[List[Any], List[Option]]:
    """One turn's bot messages (Rasa's {"text", "buttons", ...}) through `render`
    (whatsapp_message or twilio_message): each message keeps its own buttons, and
    options numbered in text are numbered on across the turn, so that "4" means one
    thing. `attachments` gives the pieces of what a message carries besides its text
    and buttons (an image), sent right after them. Returns what to send, in order, and
    every numbered option of the turn in number order (what the option memory must
    remember for the turn; number n is item n-1)."""
    sent: List[Any] = []
    numbered: List[Option] = []
    for message in messages:
        text, buttons = str(message.get("text") or ""), message.get("buttons") or []
        if text.strip() or buttons:
            out, options = render(text, buttons, first_number=len(numbered) + 1)
            sent.extend(out)
            numbered.extend(options)
        sent.extend(attachments(message))
    return sent, numbered
