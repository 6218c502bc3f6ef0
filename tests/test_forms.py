"""The guided eligibility check and the desk question, whole turns through the
trained model and the action server, in the member's language."""
from tests.helpers import replied, variant


def said(messages, response, language, **values) -> bool:
    text = variant(response, language).format(**values) if values else variant(response, language)
    return any(m.get("text") == text for m in messages)


def test_a_grocer_in_arabizi_is_asked_only_about_the_cpu(conversation):
    messages = conversation.say("salam ana mol hanout, wach ana m3ni b AMO?")
    assert said(messages, "utter_ask_pays_cpu", "dar")
    assert not said(messages, "utter_ask_profession", "dar")
    assert said(conversation.say("/affirm"), "utter_eligibility_tns_cpu", "dar")
    assert conversation.slot("profession") == "trader"
    assert conversation.slot("pays_cpu") is None


def test_french_member_chooses_a_category_by_button(conversation):
    messages = conversation.say("Est-ce que je suis concerné par l'AMO ?")
    assert said(messages, "utter_ask_profession", "fr")
    # Rasa fills placeholders in button payloads too: the doubled braces come out single.
    question = next(m for m in messages if m.get("buttons"))
    assert question["buttons"][0]["payload"] == '/inform{"profession":"trader"}'
    
    assert said(conversation.say('/inform{"profession":"farmer"}'), "utter_eligibility_tns_farmer", "fr")


def test_no_activity_then_not_a_dependant_then_a_low_rsu_score_leads_to_tadamon_in_arabic(conversation):
    assert said(conversation.say("هل أنا معني بالتأمين الإجباري عن المرض؟"), "utter_ask_profession", "ar")
    assert said(conversation.say('/inform{"profession":"no_activity"}'), "utter_ask_covered_as_dependant", "ar")
    assert said(conversation.say("/deny"), "utter_ask_rsu_score", "ar")
    assert said(conversation.say('/inform{"rsu_score":"at_or_below"}'), "utter_eligibility_tadamon", "ar")


def test_a_question_mid_form_is_answered_and_the_form_resumes(conversation):
    assert said(conversation.say("wach ana m3ni b amo"), "utter_ask_profession", "dar")
    messages = conversation.say("chhal khassni nkhelless f l amo?")
    assert replied(messages, "utter_ask_contribution_amount", "dar")
    assert said(messages, "utter_ask_profession", "dar")
    assert said(conversation.say('/inform{"profession":"retired"}'), "utter_eligibility_retired", "dar")


def test_not_knowing_the_category_gets_the_overview_then_the_question(conversation):
    conversation.say("Est-ce que je suis concerné par l'AMO ?")
    messages = conversation.say("je ne sais pas")
    assert replied(messages, "utter_check_eligibility", "fr")
    assert said(messages, "utter_ask_profession", "fr")


def test_not_knowing_about_the_cpu_still_gets_an_answer(conversation):
    conversation.say("Bonjour")
    assert said(conversation.say('/inform{"profession":"artisan"}'), "utter_ask_pays_cpu", "fr")
    assert said(conversation.say("je sais pas"), "utter_eligibility_tns_trader", "fr")


def test_stop_mid_form_ends_the_check(conversation):
    assert said(conversation.say("wach ana m3ni b amo"), "utter_ask_profession", "dar")
    assert replied(conversation.say("safi"), "utter_stopped", "dar")
    messages = conversation.say("chno hiya amo?")
    assert replied(messages, "utter_ask_what_is_amo", "dar")
    assert not said(messages, "utter_ask_profession", "dar")


def test_a_city_named_in_the_question_gets_the_nearest_desk(conversation):
    messages = conversation.say("fin nmchi nsjl f berrechid?")
    assert said(messages, "utter_desk_nearest", "dar", desk="الملحقة ديال الغرفة ف سطات")


def test_without_a_city_the_assistant_asks_and_outside_the_region_points_to_agencies(conversation):
    assert said(conversation.say("Où puis-je aller pour m'inscrire en personne ?"), "utter_ask_city", "fr")
    assert said(conversation.say("Rabat"), "utter_desk_outside_region", "fr")


# Forms that let go (issue 13 item 6), through the model.

def test_a_side_question_then_the_question_once_and_a_second_one_ends_the_check(conversation):
    assert said(conversation.say("Est-ce que je suis concerné par l'AMO ?"), "utter_ask_profession", "fr")
    messages = conversation.say("C'est quoi l'AMO Tadamon ?")
    assert replied(messages, "utter_ask_tadamon", "fr")
    assert [m.get("text") for m in messages].count(variant("utter_ask_profession", "fr")) == 1
    messages = conversation.say("Comment contacter la CNSS ?")
    assert replied(messages, "utter_ask_contact", "fr")
    assert not said(messages, "utter_ask_profession", "fr")
    assert said(messages, "utter_resume_eligibility_form", "fr")
    # "Continuer" resumes the check where it was.
    assert said(conversation.say("/check_eligibility"), "utter_ask_profession", "fr")


def test_an_answer_between_two_side_questions_keeps_the_check_going(conversation):
    assert said(conversation.say("wach ana m3ni b amo"), "utter_ask_profession", "dar")
    assert said(conversation.say("chno hiya tadamon?"), "utter_ask_profession", "dar")
    conversation.say('/inform{"profession":"trader"}')
    messages = conversation.say("kifach ntasel b cnss?")
    assert not said(messages, "utter_resume_eligibility_form", "dar")


def test_goodbye_mid_check_ends_it_quietly(conversation):
    assert said(conversation.say("هل أنا معني بالتأمين الإجباري عن المرض؟"), "utter_ask_profession", "ar")
    messages = conversation.say("مع السلامة")
    assert replied(messages, "utter_goodbye", "ar")
    assert not said(messages, "utter_ask_profession", "ar")
    assert said(messages, "utter_resume_eligibility_form", "ar")


def test_thanks_mid_desk_question_ends_it(conversation):
    assert said(conversation.say("Où puis-je aller pour m'inscrire en personne ?"), "utter_ask_city", "fr")
    messages = conversation.say("merci")
    assert replied(messages, "utter_you_are_welcome", "fr")
    assert not said(messages, "utter_ask_city", "fr")
    assert said(messages, "utter_resume_desk_form", "fr")


# The same decisions as the rules make them (no trained model needed: RulePolicy is
# the only dialogue policy, trained here in-process; tests/rule_dialogue.py).

def test_rules_side_turn_then_question_once_then_second_side_turn_lets_go():
    from tests.rule_dialogue import RuleDialogue

    dialogue = RuleDialogue()
    assert dialogue.say("check_eligibility", requested="profession") == ["eligibility_form"]
    assert dialogue.say("ask_tadamon", requested="profession") == [
        "utter_ask_tadamon", "action_note_side_turn", "eligibility_form"]
    assert dialogue.say("ask_contact") == [
        "utter_ask_contact", "action_note_side_turn", "action_deactivate_loop", "utter_resume_eligibility_form"]
    assert dialogue.active_loop is None
    assert dialogue.say("check_eligibility", requested="profession") == ["eligibility_form"]
    assert dialogue.active_loop == "eligibility_form"


def test_rules_an_answer_resets_the_count_of_side_turns():
    from tests.rule_dialogue import RuleDialogue

    dialogue = RuleDialogue()
    dialogue.say("check_eligibility", requested="profession")
    assert dialogue.say("greet", requested="profession")[-1] == "eligibility_form"
    assert dialogue.say("inform", requested="pays_cpu") == ["eligibility_form"]
    assert dialogue.say("ask_achamil", requested="pays_cpu")[-1] == "eligibility_form"
    assert dialogue.say("bot_challenge")[-1] == "utter_resume_eligibility_form"


def test_rules_thanks_goodbye_and_stop_end_every_form():
    from tests.rule_dialogue import RuleDialogue

    for form, start in (("eligibility_form", "check_eligibility"), ("desk_form", "find_desk"),
                        ("file_status_form", "check_file_status")):
        for intent, answer in (("thank", "utter_you_are_welcome"), ("goodbye", "utter_goodbye"),
                               ("stop", "utter_stopped")):
            dialogue = RuleDialogue()
            assert dialogue.say(start) == [form]
            actions = dialogue.say(intent)
            assert answer in actions and actions[-1] == f"utter_resume_{form}", (form, intent, actions)
            assert form not in actions and dialogue.active_loop is None


def test_rules_a_knowledge_answer_during_a_form_has_no_feedback_question():
    from tests.rule_dialogue import RuleDialogue

    dialogue = RuleDialogue()
    dialogue.say("check_file_status")
    assert "utter_ask_helpful" not in dialogue.say("ask_reimbursement")


def test_side_turn_counts_only_the_previous_turn():
    from actions.form_turns import side_turn

    user = {"event": "user"}
    note = {"event": "action", "name": "action_note_side_turn"}
    form = {"event": "action", "name": "eligibility_form"}
    assert side_turn([user]) == "first"
    assert side_turn([user, form, user]) == "first"
    assert side_turn([user, form, user, note, form, user]) == "second"
    assert side_turn([user, note, form, user, form, user]) == "first"
