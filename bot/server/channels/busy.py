"""The one answer a member gets when their turn cannot run (action server down or
slow, database down, lock store down or a lock wait too long): "the service is busy,
your message is kept, try again in a few minutes", in the reply language.

No Rasa import: the WhatsApp and Twilio channels send it when a turn failed after its
retries, the REST channel and the web chat answer a failed turn with it (rest.py), and
the Rasa patch of bot/server/rasa_patches.py utters it when a custom action fails
inside a turn.
"""
from __future__ import annotations

import asyncio
import logging
import re
from typing import Any, Optional

from bot.shared.languages import REPLY_LANGUAGES, reply_language

BUSY_TEXTS = {
    "fr": "Le service est très sollicité en ce moment. Votre message est bien gardé : "
          "réessayez dans quelques minutes, s'il vous plaît.",
    "ar": "الخدمة مشغولة في هذه اللحظة. رسالتك محفوظة، يرجى إعادة المحاولة بعد بضع دقائق.",
    "dar": "الخدمة عامرة دابا. الميساج ديالك محفوظ، عاود جرب من بعد شي دقايق.",
}
assert set(BUSY_TEXTS) == set(REPLY_LANGUAGES)

logger = logging.getLogger(__name__)
# How long the busy answer waits for the NLU's reading of the language before guessing.
LANGUAGE_TIMEOUT = 5.0

_ARABIC = re.compile("[\u0600-\u06ff]")
# Arabizi: a letter-digit mix such as "3afak", "ch7al", "9raya", "m3a".
_ARABIZI = re.compile(r"[a-z][235789]|[235789][a-z]", re.IGNORECASE)
# Words only Modern Standard Arabic writes (Darija says "bghit", "wach", "dyal"...).
_MSA = re.compile(r"(?:^|\s)(?:هل|ماذا|أريد|كيف|لماذا|متى|الذي|التي|يمكنني|أود)(?:\s|$|[؟?،,.])")


def guess_reply_language(text: str) -> str:
    """The reply language of a message when the tracker (and its language slot) cannot
    be read: Arabic script is Darija unless it uses MSA words, Arabizi is Darija,
    anything else French (the default reply language)."""
    if _ARABIC.search(text):
        return "ar" if _MSA.search(text) else "dar"
    if _ARABIZI.search(text):
        return "dar"
    return "fr"


def busy_text(language: Optional[str]) -> str:
    """The busy answer in the reply language for `language` (a slot value or an input
    code; anything else gives the default)."""
    return BUSY_TEXTS[reply_language(language)]


async def busy_language(agent: Any, text: str) -> str:
    """The reply language for the busy answer to `text`: the NLU's (`agent.parse_message`,
    which needs no tracker store, often what is down), else guessed from the text."""
    parse = getattr(agent, "parse_message", None)
    if parse is not None:
        try:
            language = ((await asyncio.wait_for(parse(text), LANGUAGE_TIMEOUT)) or {}).get("language") or {}
            if language.get("reply"):
                return language["reply"]
        except Exception as error:  # noqa: BLE001 - the busy answer goes out anyway
            logger.warning("Language of a busy answer guessed: %s", type(error).__name__)
    return guess_reply_language(text)
