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


def test_a_wrong_birth_date_says_what_to_do_and_does_not_start_over_unasked(conversation):
    conversation.say("Bonjour, où en est mon dossier AMO ?")
    conversation.say("ZZ100004")
    messages = conversation.say("01/01/1980")
    assert said(messages, "utter_file_status_mismatch", "fr")
    assert not said(messages, "utter_ask_member_identifier", "fr")
    [retry] = [m for m in messages if m.get("buttons")]
    assert [b["payload"] for b in retry["buttons"]] == ["/check_file_status"]
    # The member restarts with one tap.
    assert said(conversation.say("/check_file_status"), "utter_ask_member_identifier", "fr")


def test_a_malformed_identifier_is_explained(conversation):
    conversation.say("Bonjour, où en est mon dossier AMO ?")
    assert said(conversation.say("AB12"), "utter_invalid_identifier", "fr")


def test_three_failures_lock_the_look_up(conversation):
    conversation.say("هل تم قبول ملفي في التأمين الإجباري عن المرض؟")
    outcomes = []
    for attempt in range(3):
        if attempt:  # after a mismatch the member restarts with the button
            conversation.say("/check_file_status")
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


def test_goodbye_mid_look_up_gets_goodbye_never_the_question(conversation):
    assert said(conversation.say("fin wsal dossier dyali f cnss?"), "utter_ask_member_identifier", "dar")
    messages = conversation.say("بسلامة")
    assert said(messages, "utter_goodbye", "dar")
    assert not said(messages, "utter_ask_member_identifier", "dar")
    assert said(messages, "utter_resume_file_status_form", "dar")


def test_a_second_unrelated_turn_ends_the_look_up(conversation):
    conversation.say("Bonjour, où en est mon dossier AMO ?")
    messages = conversation.say("Comment se faire rembourser ?")
    assert [m.get("text") for m in messages].count(variant("utter_ask_member_identifier", "fr")) == 1
    messages = conversation.say("Quels soins sont couverts ?")
    assert not said(messages, "utter_ask_member_identifier", "fr")
    assert said(messages, "utter_resume_file_status_form", "fr")


def test_source_in_the_middle_of_the_look_up_then_the_question_once_more(conversation):
    assert said(conversation.say("Bonjour, où en est mon dossier AMO ?"), "utter_ask_member_identifier", "fr")
    messages = conversation.say("source ?")
    # The look-up's own topic rests on press articles: the official sites and 3939 instead.
    assert said(messages, "utter_followup_source", "fr")
    assert [m.get("text") for m in messages].count(variant("utter_ask_member_identifier", "fr")) == 1


def test_an_auto_entrepreneur_paying_by_quarter_is_up_to_date_mid_quarter(conversation):
    conversation.say("fin wsal dossier dyali f cnss?")
    conversation.say("ZZ100016")
    messages = conversation.say("23/04/1991")
    assert said(messages, "utter_file_status_contributions_up_to_date_quarterly", "dar")
    assert said(messages, "utter_file_status_next_nothing_to_do_tax", "dar")


def test_a_cpu_payer_who_is_late_is_sent_to_the_dgi_not_the_tns_link(conversation):
    conversation.say("Bonjour, où en est mon dossier AMO ?")
    conversation.say("ZZ100007")
    messages = conversation.say("24/12/1969")
    assert said(messages, "utter_file_status_next_pay_with_cpu", "fr")
    assert not any("bpc-payement" in (m.get("text") or "") for m in messages)


def test_a_salaried_member_is_told_the_employer_pays(conversation):
    conversation.say("Bonjour, où en est mon dossier AMO ?")
    conversation.say("ZZ100008")
    assert said(conversation.say("17/04/1983"), "utter_file_status_next_nothing_to_do_employer", "fr")


def test_rules_a_mismatch_ends_the_look_up_and_goodbye_lets_go():
    from tests.rule_dialogue import RuleDialogue

    dialogue = RuleDialogue()
    assert dialogue.say("check_file_status", requested="member_identifier") == ["file_status_form"]
    assert dialogue.say("inform", requested="member_birth_date") == ["file_status_form"]
    # The birth date does not match: validation ends the form (requested_slot None).
    assert dialogue.say("inform", form_done=True) == ["file_status_form", "action_file_status"]
    assert dialogue.active_loop is None
    dialogue = RuleDialogue()
    dialogue.say("check_file_status", requested="member_identifier")
    assert dialogue.say("goodbye") == [
        "utter_goodbye", "action_deactivate_loop", "utter_resume_file_status_form"]
