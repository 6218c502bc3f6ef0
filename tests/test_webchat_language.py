"""The web chat's guess of the reply language (bot/server/channels/webchat/language.js),
run with Node.js on every response variation of the domain: the page's own words follow
the conversation's language only if this guess is right."""
from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from tests.helpers import DOMAIN, ROOT

SCRIPT = ROOT / "bot" / "server" / "channels" / "webchat" / "language.js"
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="Node.js is not installed")


def guesses(cases):
    """replyLanguage(text, current) for each (text, current), in one Node.js run."""
    program = (
        f"const {{replyLanguage}} = require({json.dumps(str(SCRIPT))});\n"
        "const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));\n"
        "console.log(JSON.stringify(cases.map(([text, current]) => replyLanguage(text, current))));\n"
    )
    done = subprocess.run([NODE, "-e", program], input=json.dumps(cases), capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def variations():
    """(response, language, text) with placeholders filled by digits, as the bot sends them."""
    found = []
    for name, variants in sorted(DOMAIN.responses.items()):
        texts = {v["condition"][0]["value"]: v.get("text", "") for v in variants if v.get("condition")}
        for language, text in texts.items():
            if language in ("ar", "dar") and texts.get("ar") == texts.get("dar"):
                continue  # the same words in both: either guess is right
            found.append((name, language, re.sub(r"\{\w+\}", "12/2026", text)))
    return found


def test_every_reply_is_guessed_in_its_language_from_a_french_page():
    cases = variations()
    got = guesses([[text, "fr"] for _, _, text in cases])
    wrong = [(name, language, guess) for (name, language, _), guess in zip(cases, got) if guess != language]
    assert wrong == []


def test_french_is_always_french_and_arabic_script_never_french():
    cases = variations()
    for current in ("ar", "dar"):
        got = guesses([[text, current] for _, _, text in cases])
        for (name, language, _), guess in zip(cases, got):
            if language == "fr":
                assert guess == "fr", name
            else:
                assert guess in ("ar", "dar"), name


def test_darija_and_arabic_are_told_apart_from_the_other_one():
    """A reply with no telling word keeps the current language; from Darija, at most a
    few short Arabic replies keep the page in Darija (both right to left)."""
    cases = [(n, l, t) for n, l, t in variations() if l in ("ar", "dar")]
    other = {"ar": "dar", "dar": "ar"}
    got = guesses([[text, other[language]] for _, language, text in cases])
    wrong = [(name, language) for (name, language, _), guess in zip(cases, got) if guess != language]
    assert len(wrong) <= 0.02 * len(cases), wrong
    assert not [w for w in wrong if w[1] == "dar"], "a Darija reply must switch the page to Darija"


def test_no_letters_keeps_the_current_language():
    assert guesses([["3939", "dar"], ["12/03/1985", "ar"], ["👍", "fr"]]) == ["dar", "ar", "fr"]
