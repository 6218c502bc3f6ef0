"""Follow-ups that keep the context of the previous answer."""
import asyncio

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import sources
from actions.followups import ANSWER_FOR_BENEFICIARY, ActionAnswerBeneficiaryType, answer_for as followup_for
from tests.helpers import DOMAIN, replied, variant


def answer_for(entities, intent="inform"):
    tracker = Tracker("t", {"language": "fr"}, {"intent": {"name": intent}, "entities": entities, "text": "x"},
                      [], False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionAnswerBeneficiaryType().run(dispatcher, tracker, {}))
    return [m["response"] for m in dispatcher.messages]


def beneficiary(value):
    return {"entity": "beneficiary_type", "value": value}


@pytest.mark.parametrize("value", sorted(ANSWER_FOR_BENEFICIARY))
def test_one_kind_of_dependant_gets_its_own_answer(value):
    assert answer_for([beneficiary(value)]) == [ANSWER_FOR_BENEFICIARY[value]]
    assert ANSWER_FOR_BENEFICIARY[value] in DOMAIN.responses


def test_the_longest_of_overlapping_matches_wins():
    matches = [
        {"entity": "beneficiary_type", "value": "child", "start": 2, "end": 6},
        {"entity": "beneficiary_type", "value": "disabled_child", "start": 2, "end": 11},
    ]
    assert answer_for(matches) == ["utter_followup_beneficiary_disabled_child"]


@pytest.mark.parametrize(
    "entities",
    [[], [beneficiary("spouse"), beneficiary("child")], [beneficiary("cousin")], [{"entity": "city", "value": "x"}]],
)
def test_none_several_or_unknown_dependants_get_the_general_answer(entities):
    assert answer_for(entities) == ["utter_ask_beneficiaries_who"]


def test_removing_someone_is_the_question_whoever_it_is():
    assert answer_for([beneficiary("remove"), beneficiary("ex_spouse")]) == ["utter_followup_beneficiary_remove"]
    assert followup_for({"remove", "child"}) == "utter_followup_beneficiary_remove"


@pytest.mark.parametrize(
    "named, response",
    [({"spouse"}, "utter_ask_beneficiaries_declare"), ({"child"}, "utter_ask_beneficiaries_declare"),
     (set(), "utter_ask_beneficiaries_declare"), ({"student_child"}, "utter_followup_beneficiary_student_child"),
     ({"ex_spouse"}, "utter_followup_beneficiary_divorce"), ({"surviving_spouse"}, "utter_followup_beneficiary_surviving_spouse")],
)
def test_how_to_declare_a_spouse_or_child_is_the_declaring_answer(named, response):
    assert followup_for(named, "ask_beneficiaries_declare") == response


@pytest.mark.parametrize(
    "value", ["ex_spouse", "surviving_spouse", "both_parents_insured", "remove", "student_child"]
)
def test_the_new_situations_are_lookup_synonyms(value):
    import yaml
    from tests.conftest import ROOT

    data = yaml.safe_load((ROOT / "data" / "lookups" / "beneficiary_type.yml").read_text(encoding="utf-8"))["nlu"]
    assert any(item.get("synonym") == value for item in data)


# The dialogue rules alone (tests/rule_dialogue.py, no model): a kind of dependant named
# in the question goes to the follow-up action, which picks its answer (tests above):
# divorce, widowhood, both parents insured (review M4).
@pytest.mark.parametrize("intent", ["ask_beneficiaries_who", "ask_beneficiaries_declare"])
@pytest.mark.parametrize("value", ["ex_spouse", "surviving_spouse", "both_parents_insured"])
def test_a_kind_of_dependant_named_in_the_question_goes_to_the_follow_up_action(intent, value):
    from tests.rule_dialogue import RuleDialogue

    assert RuleDialogue().say(intent, entities={"beneficiary_type": value})[:1] == ["action_answer_beneficiary_type"]
    assert answer_for([beneficiary(value)], intent) == [ANSWER_FOR_BENEFICIARY[value]]


# "source ?": the pages behind the last knowledge answer (actions/sources.py).
def bot(response):
    return {"event": "bot", "text": "x", "metadata": {"utter_action": response}}


def source_reply(events, language="fr"):
    tracker = Tracker("t", {"language": language}, {"intent": {"name": "ask_source"}, "entities": [], "text": "source ?"},
                      events, False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    asyncio.run(sources.ActionAnswerSource().run(dispatcher, tracker, {}))
    return dispatcher.messages


def test_the_register_gives_each_source_its_address():
    register = sources.register()
    assert register["S1"] == "https://www.cnss.ma/fr/content/qui-peut-en-b%C3%A9n%C3%A9ficier"
    assert "S0" not in register  # the seed article has no address


def test_official_pages_come_first_and_press_only_when_there_is_none():
    register = {"S1": "https://www.cnss.ma/a", "S2": "https://press.example.ma/b", "S3": "https://www.macnss.ma/c"}
    assert sources.pages(["S2", "S1", "S3"], register) == ["https://www.cnss.ma/a", "https://www.macnss.ma/c"]
    assert sources.pages(["S2"], register) == ["https://press.example.ma/b"]
    assert sources.pages(["S404"], register) == []


def test_source_after_an_answer_lists_that_answers_official_pages():
    messages = source_reply([bot("utter_eligibility_salaried"), bot("utter_ask_helpful")])
    assert messages[0]["response"] == "utter_answer_sources"
    assert messages[0]["checked"] == sources.topics()["utter_eligibility_salaried"].checked
    assert "https://www.cnss.ma/fr/content/qui-peut-en-b%C3%A9n%C3%A9ficier" in messages[0]["pages"]
    assert messages[0]["topic"] == "Salarié du privé"


def test_source_in_darija_names_the_topic_in_darija():
    messages = source_reply([bot("utter_ask_registration_steps")], language="dar")
    assert messages[0]["topic"] == "كيفاش نتسجل"
    assert all(line.startswith("• http") for line in messages[0]["pages"].splitlines())


def test_source_with_no_answer_before_gets_the_general_answer():
    assert [m["response"] for m in source_reply([bot("utter_greet")])] == ["utter_followup_source"]
    assert "utter_followup_source" in DOMAIN.responses and "utter_answer_sources" in DOMAIN.responses


@pytest.mark.parametrize("text, language", [("source ?", "fr"), ("mnin jbti had lma3louma?", "dar"),
                                             ("d'où vient cette information ?", "fr"), ("ما هو مصدر هذه المعلومة؟", "ar")])
def test_source_after_a_knowledge_answer_in_a_conversation(conversation, text, language):
    first = {"fr": "C'est quoi l'AMO Tadamon ?", "ar": "ما هو نظام أمو تضامن؟", "dar": "chno hiya amo tadamon?"}[language]
    assert replied(conversation.say(first), "utter_ask_tadamon", language)
    messages = conversation.say(text)
    assert any("https://" in (m.get("text") or "") for m in messages), messages


def test_and_my_children_after_the_dependants_answer(conversation):
    assert replied(conversation.say("chkoun li ymkn nzidhom m3aya f AMO?"), "utter_ask_beneficiaries_who", "dar")
    assert replied(conversation.say("w wladi?"), "utter_followup_beneficiary_child", "dar")


def test_et_pour_mes_enfants_in_french(conversation):
    assert replied(conversation.say("Qui peut être couvert avec moi par l'AMO ?"), "utter_ask_beneficiaries_who", "fr")
    assert replied(conversation.say("et pour mes enfants ?"), "utter_followup_beneficiary_child", "fr")


def test_how_much_after_the_cpu_answer_is_the_cpu_amount(conversation):
    assert replied(conversation.say("ana kankhelles CPU, chno khassni n3ref 3la AMO?"), "utter_ask_cpu_auto_entrepreneur", "dar")
    assert replied(conversation.say("ch7al?"), "utter_followup_cpu_contribution_amount", "dar")
