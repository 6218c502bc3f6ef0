"""Splitting, numbered options and their memory, and the retrying poster."""
from __future__ import annotations

import logging
import re

import pytest

from bot.server.channels.outgoing import (
    Option,
    OptionMemory,
    RetryPolicy,
    nested_code,
    numbered_text,
    options_from_buttons,
    post_with_retry,
    split_text,
    truncate,
)
from tests.channels import FakeProvider, run_async

FRENCH = (
    "L'AMO est l'assurance maladie obligatoire de base, gérée par la CNSS pour les salariés "
    "du secteur privé. Vous pouvez déclarer votre conjoint et vos enfants à charge ! "
    "Les remboursements se font selon la tarification nationale de référence ? "
)
ARABIC = (
    "التأمين الإجباري الأساسي عن المرض يسيره الصندوق الوطني للضمان الاجتماعي. "
    "يمكنك تسجيل زوجتك وأطفالك؟ "
    "واش خاصني نخلص الاشتراك كل شهر!\n"
)


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("limit", [4096, 1600])
@pytest.mark.parametrize("unit", [FRENCH, ARABIC, FRENCH + ARABIC])
def test_split_keeps_every_character_and_the_limit(unit, limit):
    text = unit * 60  # about 10-20 kB, several chunks at either limit

    chunks = split_text(text, limit)

    assert len(chunks) > 1
    assert all(0 < len(chunk) <= limit for chunk in chunks)
    assert _squeeze("".join(chunks)) == _squeeze(text)


@pytest.mark.parametrize("limit", [4096, 1600])
@pytest.mark.parametrize("unit", [FRENCH, ARABIC])
def test_split_ends_chunks_on_sentence_boundaries(unit, limit):
    chunks = split_text(unit * 60, limit)

    assert all(chunk[-1] in ".!?؟" for chunk in chunks)


def test_split_prefers_paragraphs_then_lines():
    paragraph = "Première phrase. Deuxième phrase."
    text = f"{paragraph}\n\n{paragraph}\nligne\n\n{paragraph}"

    assert split_text(text, len(paragraph) + 7) == [paragraph, f"{paragraph}\nligne", paragraph]


def test_split_cuts_only_a_word_longer_than_the_limit():
    text = "court " + "x" * 25 + " fin"

    assert split_text(text, 10) == ["court", "xxxxxxxxxx", "xxxxxxxxxx", "xxxxx fin"]


@pytest.mark.parametrize(
    "text, expected",
    [("", []), ("   \n\n ", []), ("  salam  ", ["salam"]), ("x" * 20, ["x" * 20]), ("🙂" * 3, ["🙂" * 3])],
)
def test_split_short_and_empty_texts(text, expected):
    assert split_text(text, 20) == expected


def test_numbered_text_lists_titles_never_payloads():
    options = options_from_buttons(
        [
            {"title": "Suis-je concerné ?", "payload": "/check_eligibility"},
            {"title": "كل المواضيع", "payload": "/help"},
        ]
    )

    assert numbered_text("Bonjour.", options) == "Bonjour.\n\n1. Suis-je concerné ?\n2. كل المواضيع"


def test_options_from_buttons_uses_the_title_when_payload_is_missing_and_skips_empty():
    buttons = [{"title": "Oui"}, {"title": "", "payload": ""}, {"payload": "/help"}]

    assert options_from_buttons(buttons) == [Option("Oui", "Oui"), Option("/help", "/help")]


@pytest.mark.parametrize(
    "title, limit, expected",
    [("Court", 20, "Court"), ("x" * 20, 20, "x" * 20), ("Comment m'inscrire à la CNSS ?", 20, "Comment m'inscrire…")],
)
def test_truncate(title, limit, expected):
    assert truncate(title, limit) == expected
    assert len(truncate(title, limit)) <= limit


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


OPTIONS = [Option("Un", "/one"), Option("Deux", "/two"), Option("Trois", "/three")]


@pytest.mark.parametrize(
    "answer, expected",
    [("2", "/two"), (" 3 ", "/three"), ("1.", "/one"), ("2)", "/two"), ("٢", "/two"), ("۳", "/three"),
     ("4", "4"), ("0", "0"), ("2 svp", "2 svp"), ("salam", "salam"), ("", "")],
)
def test_option_memory_maps_numbers_to_payloads(answer, expected):
    memory = OptionMemory()
    memory.remember("member", OPTIONS)

    assert memory.resolve("member", answer) == expected


def test_option_memory_is_per_member_and_replaced_by_newer_options():
    memory = OptionMemory()
    memory.remember("a", OPTIONS)
    memory.remember("b", OPTIONS[:1])
    memory.remember("a", [Option("Autre", "/other")])

    assert memory.resolve("a", "1") == "/other"
    assert memory.resolve("a", "2") == "2"
    assert memory.resolve("b", "1") == "/one"
    assert memory.resolve("c", "1") == "1"


def test_option_memory_forgets_after_its_ttl():
    clock = Clock()
    memory = OptionMemory(ttl_seconds=60, clock=clock)
    memory.remember("member", OPTIONS)

    clock.now = 59
    assert memory.resolve("member", "1") == "/one"
    clock.now = 130  # the lookup above does not extend the lifetime
    assert memory.resolve("member", "1") == "1"


def test_option_memory_is_bounded_least_recently_used_first():
    memory = OptionMemory(max_members=2)
    memory.remember("a", OPTIONS)
    memory.remember("b", OPTIONS)
    memory.resolve("a", "1")  # a is now more recent than b
    memory.remember("c", OPTIONS)

    assert [memory.resolve(member, "1") for member in "abc"] == ["/one", "1", "/one"]


@pytest.mark.parametrize(
    "body, path, expected",
    [({"error": {"code": 131047}}, ("error", "code"), "131047"), ({"code": 21211}, ("code",), "21211"),
     (None, ("code",), None), ({"error": "x"}, ("error", "code"), None), ({"code": {"a": 1}}, ("code",), None)],
)
def test_nested_code(body, path, expected):
    assert nested_code(body, *path) == expected


NO_WAIT = RetryPolicy(attempts=3, base_delay=0)


async def _post(provider: FakeProvider) -> bool:
    return await post_with_retry(
        provider.url + "/send",
        what="Test send",
        retry=NO_WAIT,
        error_code=lambda body: nested_code(body, "error", "code"),
        json={"text": "secret text"},
    )


@pytest.mark.parametrize(
    "statuses, sent, attempts",
    [([], True, 1), ([500], True, 2), ([429, 503], True, 3), ([500, 502, 500], False, 3), ([400], False, 1),
     ([401], False, 1)],
)
@run_async
async def test_post_retries_only_rate_limits_and_server_errors(statuses, sent, attempts):
    async with FakeProvider(statuses, error_body={"error": {"code": 4}}).running() as provider:
        assert await _post(provider) is sent

    assert len(provider.requests) == attempts


@run_async
async def test_post_gives_up_on_network_errors_after_bounded_attempts(caplog):
    async with FakeProvider().running() as provider:
        closed_url = provider.url
    caplog.set_level(logging.WARNING)

    sent = await post_with_retry(
        closed_url, what="Test send", retry=NO_WAIT, error_code=lambda body: None, json={}
    )

    assert sent is False
    assert [record.levelname for record in caplog.records] == ["WARNING", "WARNING", "ERROR"]
    assert "ClientConnectorError" in caplog.records[-1].getMessage()


@run_async
async def test_post_logs_status_and_error_code_without_content(caplog):
    caplog.set_level(logging.DEBUG, logger="bot.server.channels")
    error = {"error": {"code": 131047, "message": "secret text"}}
    async with FakeProvider([400], error_body=error).running() as provider:
        await _post(provider)

    assert "status=400 error_code=131047" in caplog.text
    assert "secret text" not in caplog.text


@pytest.mark.parametrize("text, expected", [("2", "/b"), (" ٢ ", "/b"), ("2.", "/b"), ("3)", "/c"), ("4", None),
                                            ("0", None), ("2 enfants", None), ("", None)])
def test_picked_option_is_the_one_rule_both_memories_share(text, expected):
    from bot.server.channels.outgoing import picked_option

    assert picked_option(["/a", "/b", "/c"], text) == expected
    assert OptionMemory.looks_like_a_number(text) == bool(re.match(r"^\s*\d{1,3}\s*[.)]?\s*$", text))
