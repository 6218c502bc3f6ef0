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
