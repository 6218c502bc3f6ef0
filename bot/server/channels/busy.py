"""The one answer a member gets when their turn cannot run (action server down or
slow, database down, lock store down or a lock wait too long): "the service is busy,
your message is kept, try again in a few minutes", in the reply language.

Pure (no Rasa import): the WhatsApp and Twilio channels send it when a turn failed
after its retries, the Rasa patch of bot/server/rasa_patches.py utters it when a
custom action fails inside a turn, and the REST channel can answer with it.
"""
from __future__ import annotations

import re
from typing import Optional

from bot.shared.languages import REPLY_LANGUAGES, reply_language

BUSY_TEXTS = {
    "fr": "Le service est très sollicité en ce moment. Votre message est bien gardé : "
          "réessayez dans quelques minutes, s'il vous plaît.",
    "ar": "الخدمة مشغولة في هذه اللحظة. رسالتك محفوظة، يرجى إعادة المحاولة بعد بضع دقائق.",
    "dar": "الخدمة عامرة دابا. الميساج ديالك محفوظ، عاود جرب من بعد شي دقايق.",
}
assert set(BUSY_TEXTS) == set(REPLY_LANGUAGES)

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
