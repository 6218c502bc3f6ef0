"""The verified file-status look-up, whole turns through the trained model and the
action server (demo members in a test database), in the member's language."""
import re

from tests.helpers import variant


def said(messages, response, language) -> bool:
    """A message rendered from `response` (its variables filled in)."""
    template = variant(response, language)
    pattern = "^" + "".join(".+?" if part.startswith("{") else re.escape(part)
                            for part in re.split(r"(\{\w+\})", template)) + "$"
    return any(re.match(pattern, m.get("text") or "", re.S) for m in messages)


def test_a_french_member_sees_their_active_file(conversation):
    assert said(conversation.say("Bonjour, où en est mon dossier AMO ?"), "utter_ask_member_identifier", "fr")
    assert said(conversation.say("ZZ100003"), "utter_ask_member_birth_date", "fr")
    messages = conversation.say("25/01/1990")
    assert said(messages, "utter_file_status_active", "fr")
    # ZZ100003 declared a spouse and two children (actions/members/demo.py), no names.
    assert any("1 conjoint, 2 enfants" in m.get("text", "") for m in messages)
    assert conversation.slot("member_identifier") is None


def test_a_darija_member_with_missing_documents(conversation):
    assert said(conversation.say("fin wsal dossier dyali f cnss?"), "utter_ask_member_identifier", "dar")
    conversation.say("999900002")
    messages = conversation.say("1 juillet 1979")
    assert said(messages, "utter_file_status_incomplete", "dar")


def test_a_wrong_birth_date_gets_one_neutral_message(conversation):
    conversation.say("Bonjour, où en est mon dossier AMO ?")
    conversation.say("ZZ100004")
    assert said(conversation.say("01/01/1980"), "utter_file_status_mismatch", "fr")


def test_a_malformed_identifier_is_explained(conversation):
    conversation.say("Bonjour, où en est mon dossier AMO ?")
    assert said(conversation.say("AB12"), "utter_invalid_identifier", "fr")


def test_three_failures_lock_the_look_up(conversation):
    conversation.say("هل تم قبول ملفي في التأمين الإجباري عن المرض؟")
    outcomes = []
    for _ in range(3):  # after a mismatch the form asks for the identifier again
        conversation.say("ZZ100006")
        outcomes.append(conversation.say("01/01/1950"))
    assert said(outcomes[0], "utter_file_status_mismatch", "ar")
    assert said(outcomes[1], "utter_file_status_mismatch", "ar")
    assert said(outcomes[2], "utter_file_status_locked_minutes", "ar")


def test_cancel_mid_form(conversation):
    conversation.say("fin wsal dossier dyali f cnss?")
    conversation.say("ZZ100001")
    assert variant("utter_stopped", "dar") in [m.get("text") for m in conversation.say("safi")]
    assert conversation.slot("member_identifier") is None
