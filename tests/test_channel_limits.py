"""Every response of the domain (each language variation) and every form question,
rendered through each channel's renderer (bot/server/channels/outgoing.py), stays
within what the channel shows:

- WhatsApp Cloud API: text up to 4,096 characters; an interactive body up to 1,024,
  with up to 3 reply buttons (distinct titles up to 20) or ONE list of up to 10 rows
  (titles up to 24, descriptions up to 72), ids within their limits;
- Twilio: bodies up to 1,600 characters, options as numbered text.

Also: line breaks survive, no raw "/intent" payload is shown, numbers are written the
way each language writes them, and in one turn each message keeps its own buttons, with
numbers unique across the turn.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Tuple

import pytest

from actions.members import labels
from bot.server.channels import outgoing
from bot.server.channels.outgoing import (
    Option,
    picked_option,
    render_turn,
    twilio_message,
    whatsapp_message,
)
from tests.helpers import DOMAIN

LANGUAGES = ("fr", "ar", "dar")
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _longest_label_values() -> Dict[str, Dict[str, str]]:
    """The longest values action code can put in a placeholder, per language."""
    values: Dict[str, Dict[str, str]] = {}
    for language in LANGUAGES:
        documents = labels.documents(list(labels._labels()["documents"]), language)
        beneficiaries = labels.beneficiaries({"spouse": 4, "child": 7, "student_child": 2, "disabled_child": 1}, language)
        reasons = max((labels.rejection_reason(code, language) for code in labels._labels()["rejection_reasons"]), key=len)
        values[language] = {
            "missing_documents": documents, "beneficiaries": beneficiaries, "rejection_reason": reasons,
            "status_date": "31/12/2026", "rights_open_since": "31/12/2026", "paid_until": "12/2026",
            "minutes": "90", "hours": "24",
        }
    return values


LABEL_VALUES = _longest_label_values()
# Any other placeholder (a desk name, a list of pages...): 60 characters.
OTHER_VALUE = "Annexe de la Chambre de commerce, boulevard de la Résistance"


def fill(text: str, language: str) -> str:
    return PLACEHOLDER.sub(lambda m: LABEL_VALUES[language].get(m.group(1), OTHER_VALUE), text)


def payload(value: str) -> str:
    """Rasa fills {placeholders} in payloads too; doubled braces come out single."""
    return value.replace("{{", "{").replace("}}", "}")


def variations() -> List[Tuple[str, str, str, List[Dict[str, Any]]]]:
    found = []
    for name, variants in sorted(DOMAIN.responses.items()):
        for variant in variants:
            language = next((c["value"] for c in variant.get("condition", []) if c.get("name") == "language"), "fr")
            buttons = [{"title": b["title"], "payload": payload(b["payload"])} for b in variant.get("buttons", [])]
            found.append((name, language, fill(variant.get("text", ""), language), buttons))
    return found


VARIATIONS = variations()
IDS = [f"{name}-{language}-{index}" for index, (name, language, _, _) in enumerate(VARIATIONS)]


def test_every_form_question_is_a_response_rendered_here() -> None:
    """Each slot a form asks for has its utter_ask_ response, so it is in VARIATIONS."""
    names = {name for name, _, _, _ in VARIATIONS}
    for form, spec in DOMAIN.forms.items():
        for slot in spec.get("required_slots", []):
            assert f"utter_ask_{slot}" in names or f"action_ask_{slot}" in DOMAIN.user_actions, (form, slot)
    assert len(VARIATIONS) >= 3 * len(DOMAIN.responses) - 10


def lines_of(text: str) -> List[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def shown_text(message: Dict[str, Any]) -> str:
    if message["type"] == "text":
        return message["text"]["body"]
    return message["interactive"]["body"]["text"]


def check_whatsapp(messages: List[Dict[str, Any]]) -> None:
    interactive = [m for m in messages if m["type"] == "interactive"]
    assert len(interactive) <= 1, "one bot message, at most one set of buttons"
    for message in messages:
        if message["type"] == "text":
            assert 0 < len(message["text"]["body"]) <= outgoing.WHATSAPP_TEXT_LIMIT
            continue
        body = message["interactive"]
        assert 0 < len(body["body"]["text"]) <= outgoing.WHATSAPP_BODY_LIMIT
        action = body["action"]
        if body["type"] == "button":
            buttons = action["buttons"]
            assert 1 <= len(buttons) <= outgoing.WHATSAPP_MAX_REPLY_BUTTONS
            titles = [b["reply"]["title"] for b in buttons]
            assert all(0 < len(t) <= outgoing.WHATSAPP_BUTTON_TITLE_LIMIT for t in titles), titles
            assert len(set(titles)) == len(titles)
            ids = [b["reply"]["id"] for b in buttons]
            assert all(len(i) <= outgoing.WHATSAPP_BUTTON_ID_LIMIT for i in ids) and len(set(ids)) == len(ids)
        else:
            assert body["type"] == "list"
            assert len(action["sections"]) == 1, "ONE list"
            rows = action["sections"][0]["rows"]
            assert 1 <= len(rows) <= outgoing.WHATSAPP_MAX_LIST_ROWS
            assert 0 < len(action["button"]) <= outgoing.WHATSAPP_LIST_LABEL_LIMIT
            for row in rows:
                assert 0 < len(row["title"]) <= outgoing.WHATSAPP_ROW_TITLE_LIMIT
                assert len(row.get("description", "")) <= outgoing.WHATSAPP_ROW_DESCRIPTION_LIMIT
                assert len(row["id"]) <= outgoing.WHATSAPP_ROW_ID_LIMIT
            assert len({row["id"] for row in rows}) == len(rows)


@pytest.mark.parametrize("name, language, text, buttons", VARIATIONS, ids=IDS)
def test_whatsapp_shows_it_within_its_limits(name, language, text, buttons) -> None:
    messages, numbered = whatsapp_message(text, buttons)
    check_whatsapp(messages)
    shown = "\n".join(shown_text(m) for m in messages)
    for line in lines_of(text):  # line breaks survive: every line is shown as a line
        assert line in shown.splitlines() or len(line) > outgoing.WHATSAPP_BODY_LIMIT, line
    if numbered:
        for number, option in enumerate(numbered, 1):
            assert f"{number}. {option.title}" in shown
    assert not re.search(r"(?<![\w/.])/[a-z_]+(?:\{|\b)", shown), "a raw payload is shown"


@pytest.mark.parametrize("name, language, text, buttons", VARIATIONS, ids=IDS)
def test_twilio_shows_it_within_its_limits(name, language, text, buttons) -> None:
    bodies, numbered = twilio_message(text, buttons)
    assert bodies and all(0 < len(body) <= outgoing.TWILIO_TEXT_LIMIT for body in bodies)
    shown = "\n".join(bodies)
    for line in lines_of(text):
        assert line in shown.splitlines() or len(line) > outgoing.TWILIO_TEXT_LIMIT, line
    assert [o.payload for o in numbered] == list(dict.fromkeys(b["payload"] for b in buttons))
    for number, option in enumerate(numbered, 1):
        assert f"{number}. {option.title}" in shown.splitlines()
    assert not re.search(r"(?<![\w/.])/[a-z_]+(?:\{|\b)", shown), "a raw payload is shown"


# Numbers as each language writes them: French "1 164 DH", "6,37 %"; Arabic and
# Darija "1164". Codes (form 321.1.06), dates, phone numbers and addresses are not
# amounts and are left alone.
ENGLISH_THOUSANDS = re.compile(r"(?<![\d.,/])\d{1,3},\d{3}(?![\d,])")
DECIMAL_POINT = re.compile(r"(?<![\w./-])\d+\.\d+(?![\w.]|/)")
SPACED_THOUSANDS = re.compile(r"\d[\u00a0\u202f ]\d{3}(?!\d)(?! ?\d\d)")


@pytest.mark.parametrize("name, language, text, buttons", VARIATIONS, ids=IDS)
def test_numbers_are_written_the_way_the_language_writes_them(name, language, text, buttons) -> None:
    without_links = re.sub(r"(?:https?://|www\.)\S+", "", text)
    if language == "fr":
        assert not ENGLISH_THOUSANDS.search(without_links), without_links
        assert not DECIMAL_POINT.search(without_links), without_links
    else:
        # Phone numbers ("05 37 27 37 27") are groups of two: not thousands.
        assert not SPACED_THOUSANDS.search(without_links), without_links


# One turn: an answer and the form's question (or the feedback question) stay two
# messages, each with its own buttons; numbers never repeat inside a turn.
def variant_message(response: str, language: str) -> Dict[str, Any]:
    for name, lang, text, buttons in VARIATIONS:
        if name == response and lang == language:
            return {"text": text, "buttons": buttons}
    raise KeyError(response)


TURNS = [
    ["utter_ask_achamil", "utter_ask_helpful"],
    ["utter_ask_tadamon", "utter_ask_profession"],
    ["utter_ask_contact", "utter_resume_eligibility_form"],
    ["utter_file_status_mismatch"],
    ["utter_ask_reimbursement", "utter_ask_member_identifier"],
    ["utter_ask_contribution_amount", "utter_ask_city"],
]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("turn", TURNS, ids=["+".join(t) for t in TURNS])
def test_a_turn_never_glues_two_button_sets_into_one_message(turn, language) -> None:
    messages = [variant_message(name, language) for name in turn]
    with_buttons = [m for m in messages if m["buttons"]]

    sent, numbered = render_turn(messages, whatsapp_message)
    assert sum(m["type"] == "interactive" for m in sent) <= len(with_buttons)
    for message in sent:
        check_whatsapp([message])
    # Each interactive message carries exactly the buttons of one bot message.
    sets = [frozenset(b["payload"] for b in m["buttons"]) for m in with_buttons]
    for message in (m for m in sent if m["type"] == "interactive"):
        action = message["interactive"]["action"]
        ids = frozenset(b["reply"]["id"] for b in action["buttons"]) if "buttons" in action else frozenset(
            r["id"] for r in action["sections"][0]["rows"])
        assert ids in sets

    bodies, numbered = render_turn(messages, twilio_message)
    assert all(len(body) <= outgoing.TWILIO_TEXT_LIMIT for body in bodies)
    shown = "\n".join(bodies)
    numbers = [int(n) for n in re.findall(r"^(\d+)\. ", shown, re.M)]
    assert numbers == list(range(1, len(numbered) + 1)), "numbers are unique across the turn"
    payloads = [o.payload for o in numbered]
    expected = [p for m in messages for p in dict.fromkeys(b["payload"] for b in m["buttons"])]
    assert payloads == expected
    for number, option in enumerate(numbered, 1):
        assert picked_option(payloads, str(number)) == option.payload
        assert f"{number}. {option.title}" in shown.splitlines()


def test_many_options_become_numbered_text_on_whatsapp_numbered_on_in_the_turn() -> None:
    many = [{"title": f"Choix {n}", "payload": f"/inform{{\"n\":{n}}}"} for n in range(12)]
    sent, numbered = render_turn(
        [{"text": "Première", "buttons": many[:2] + [{"title": "x" * 30, "payload": "/a"}]},
         {"text": "Seconde", "buttons": many}],
        whatsapp_message,
    )
    assert sent[0]["interactive"]["type"] == "list"  # a title over 20: a list, not buttons
    assert [o.payload for o in numbered] == [m["payload"] for m in many]
    assert "1. Choix 0" in sent[-1]["text"]["body"] and "12. Choix 11" in sent[-1]["text"]["body"]
    _, numbered = render_turn([{"text": "A", "buttons": many}, {"text": "B", "buttons": many[:11]}], whatsapp_message)
    assert len(numbered) == 23


def test_duplicate_payloads_are_offered_once() -> None:
    messages, _ = whatsapp_message("Q ?", [{"title": "Oui", "payload": "/affirm"}, {"title": "Yes", "payload": "/affirm"}])
    assert [b["reply"]["id"] for b in messages[0]["interactive"]["action"]["buttons"]] == ["/affirm"]
    bodies, options = twilio_message("Q ?", [{"title": "Oui", "payload": "/affirm"}, {"title": "Oui", "payload": "/affirm"}])
    assert options == [Option("Oui", "/affirm")] and bodies == ["Q ?\n\n1. Oui"]


def test_a_long_answer_with_buttons_keeps_them_on_its_last_part() -> None:
    text = "\n".join(f"Ligne {n} : " + "mot " * 40 for n in range(40))
    messages, numbered = whatsapp_message(text, [{"title": "Oui", "payload": "/affirm"}])
    check_whatsapp(messages)
    assert messages[-1]["type"] == "interactive" and not numbered
    assert all(m["type"] == "text" for m in messages[:-1])
    bodies, _ = twilio_message(text, [{"title": "Oui", "payload": "/affirm"}])
    assert len(bodies) > 1 and bodies[-1].endswith("1. Oui")


@pytest.mark.parametrize("name, language, text, buttons", [v for v in VARIATIONS if v[3]],
                         ids=[i for i, v in zip(IDS, VARIATIONS) if v[3]])
def test_every_button_has_a_text_label_not_only_an_emoji(name, language, text, buttons) -> None:
    """A phone or browser without an emoji font shows an empty box: "👍" alone says nothing."""
    for button in buttons:
        assert any(c.isalpha() for c in button["title"]), button["title"]
