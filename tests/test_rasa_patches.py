"""bot/server/rasa_patches.py: installed by the Rasa server's own imports, checked
against the Rasa version, and changing how fast, not what (same classes, same errors).
Each patch has a test that fails without it."""
import subprocess
import sys

import jsonschema
import pytest
import rasa.engine.validation
import rasa.shared.core.events as rasa_events
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.recipes.recipe import Recipe
from rasa.shared.data import TrainingType
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses
from rasa.shared.utils.io import read_model_configuration

from bot.server import rasa_patches
from tests.conftest import ROOT

VALID = {"events": [{"event": "slot", "name": "a", "value": 1}], "responses": []}
INVALID = {"events": "not a list"}


def test_loading_our_tracker_store_as_the_rasa_server_does_installs_the_patches():
    code = (
        "from rasa.core.tracker_store import TrackerStore\n"
        "from rasa.utils.endpoints import read_endpoint_config\n"
        "config = read_endpoint_config('endpoints.yml', 'tracker_store')\n"
        "TrackerStore.create(config)\n"
        "from bot.server import rasa_patches\n"
        "assert rasa_patches.installed(), 'not installed'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]


def test_our_pipeline_and_policies_pass_rasas_graph_validation_with_the_patches_installed():
    """Rasa validates a training and a prediction graph from the annotations of each
    component's methods, patched ones included (a patch once broke `rasa train`)."""
    rasa_patches.install()
    config = read_model_configuration(ROOT / "config.yml")
    recipe = Recipe.recipe_for_name(config.get("recipe"))
    model_configuration = recipe.graph_config_for_recipe(config, {}, training_type=TrainingType.BOTH)
    nodes = model_configuration.predict_schema.nodes.values()
    assert any(node.uses is RulePolicy and node.fn == "predict_action_probabilities" for node in nodes)
    rasa.engine.validation.validate(model_configuration)


def test_a_rasa_version_it_was_not_written_for_is_refused():
    with pytest.raises(rasa_patches.UnsupportedRasaVersion, match="3.7.0"):
        rasa_patches.check_rasa("3.7.0")
    rasa_patches.check_rasa("3.6.21")


def test_a_missing_internal_is_refused(monkeypatch):
    monkeypatch.setattr(rasa_patches, "REQUIRED_INTERNALS", ((RemoteAction, "_gone_in_a_later_rasa"),))
    with pytest.raises(rasa_patches.UnsupportedRasaVersion, match="RemoteAction._gone_in_a_later_rasa"):
        rasa_patches.check_rasa("3.6.21")


@pytest.mark.parametrize("cls", sorted(all_subclasses(Event), key=lambda c: c.__name__))
def test_every_event_type_resolves_to_the_class_rasas_own_function_finds(cls):
    assert rasa_patches.installed()
    assert Event.resolve_by_type(cls.type_name) is rasa_patches.ORIGINAL_RESOLVE_BY_TYPE(cls.type_name)


def test_unknown_event_types_keep_rasas_behaviour():
    with pytest.raises(ValueError):
        Event.resolve_by_type("no_such_event")
    assert Event.resolve_by_type("no_such_event", default=Event) is Event
    assert Event.resolve_by_type("topic") is None


def test_resolving_events_no_longer_walks_the_subclasses_each_time(monkeypatch):
    Event.resolve_by_type("user")  # the first time may walk them, once per type name
    walks = []
    real = rasa_events.rasa.shared.utils.common.all_subclasses
    monkeypatch.setattr(rasa_events.rasa.shared.utils.common, "all_subclasses", lambda c: walks.append(c) or real(c))
    monkeypatch.setattr(rasa_patches, "all_subclasses", lambda c: walks.append(c) or real(c))
    for _ in range(50):
        Event.resolve_by_type("user")
    assert walks == []


def test_action_server_responses_get_rasas_own_verdict_and_message():
    action = RemoteAction("action_x", None)
    assert action._validate_action_result(VALID)
    with pytest.raises(ValidationError) as ours:
        action._validate_action_result(INVALID)
    with pytest.raises(ValidationError) as rasas:
        rasa_patches.ORIGINAL_VALIDATE_ACTION_RESULT(action, INVALID)
    assert ours.value.message == rasas.value.message


def test_the_schema_is_no_longer_rechecked_on_every_call(monkeypatch):
    # jsonschema.validate re-checks the schema itself before validating: Rasa calls it each time.
    checks = []
    monkeypatch.setattr(jsonschema, "validate", lambda *a, **k: checks.append(1))
    action = RemoteAction("action_x", None)
    for _ in range(20):
        action._validate_action_result(VALID)
    assert checks == []


# -- failures: loud tracker store, bounded action calls, the busy answer -------------


class _BrokenStore:
    """A tracker store whose database is down."""

    fails_loudly = True
    domain = None
    event_broker = None

    async def retrieve(self, sender_id):
        raise ConnectionError("database down")

    async def save(self, tracker):
        raise ConnectionError("database down")


def test_a_loud_tracker_store_error_is_raised_not_hidden_in_a_new_conversation():
    import asyncio

    from rasa.core.agent import Agent
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    store = Agent._create_tracker_store(_BrokenStore(), Domain.empty())
    with pytest.raises(ConnectionError):  # Rasa's own wrapper returns None: a new conversation
        asyncio.run(store.retrieve("wa:1"))
    with pytest.raises(ConnectionError):  # ... and keeps the events unredacted in memory
        asyncio.run(store.save(DialogueStateTracker("wa:1", [])))


def test_a_quiet_store_keeps_rasas_behaviour():
    import asyncio

    from rasa.core.agent import Agent
    from rasa.shared.core.domain import Domain

    class Quiet(_BrokenStore):
        fails_loudly = False

    assert asyncio.run(Agent._create_tracker_store(Quiet(), Domain.empty()).retrieve("x")) is None


def test_a_slow_action_server_call_is_bounded_by_the_endpoint_timeout():
    import asyncio
    import time

    from aiohttp import web
    from aiohttp.test_utils import TestServer
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.shared.exceptions import RasaException
    from rasa.utils.endpoints import EndpointConfig

    async def scenario():
        async def hang(request):
            await asyncio.sleep(30)
            return web.json_response({})

        app = web.Application()
        app.router.add_post("/webhook", hang)
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        try:
            endpoint = EndpointConfig(str(server.make_url("/webhook")), timeout=0.5)
            action = RemoteAction("action_x", endpoint)
            started = time.monotonic()
            with pytest.raises(RasaException, match="did not answer within"):
                # Without the patch Rasa waits 300 s: the outer bound makes that a failure.
                await asyncio.wait_for(action.run(None, None, DialogueStateTracker("x", []), Domain.empty()), 5)
            return time.monotonic() - started
        finally:
            await server.close()

    assert asyncio.run(scenario()) < 2


def test_a_failed_action_gives_the_busy_answer_in_the_reply_language_then_listens():
    import asyncio

    from rasa.core.channels.channel import CollectingOutputChannel
    from rasa.core.policies.policy import PolicyPrediction
    from rasa.core.processor import MessageProcessor
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import SlotSet
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.server.channels.busy import BUSY_TEXTS

    class ActionServerDown:
        def name(self):
            return "validate_file_status_form"

        def event_for_successful_execution(self, prediction):
            from rasa.shared.core.events import ActionExecuted

            return ActionExecuted(self.name())

        async def run(self, *args):
            from rasa.shared.exceptions import RasaException

            raise RasaException("Failed to execute custom action 'validate_file_status_form'")

    domain = Domain.from_dict({"slots": {"language": {"type": "text", "mappings": [{"type": "custom"}]}}})
    processor = MessageProcessor.__new__(MessageProcessor)
    processor.domain = domain
    tracker = DialogueStateTracker.from_events("wa:1", [SlotSet("language", "ar")], slots=domain.slots)
    output = CollectingOutputChannel()
    prediction = PolicyPrediction.for_action_name(domain, "action_listen")

    again = asyncio.run(processor._run_action(ActionServerDown(), tracker, output, None, prediction))

    assert again is False  # listen: Rasa's own goes on predicting, having said nothing
    assert [message["text"] for message in output.messages] == [BUSY_TEXTS["ar"]]
    assert [e.type_name for e in tracker.events][-3:] == ["action", "bot", "action"]
    assert tracker.latest_action_name == "action_listen"


# Patch 8: the rules found for a conversation, computed once per run of its last states.
# Dialogues that go through forms, side questions in a form and knowledge answers, long
# enough that their history outgrows the longest rule (tests/rule_dialogue.py: the real
# rules of data/, trained in-process).
DIALOGUES = [
    [("greet", {}), ("ask_what_is_amo", {}), ("affirm", {}), ("ask_registration_steps", {}), ("deny", {}),
     ("ask_contribution_amount", {}), ("thank", {}), ("out_of_scope", {}), ("ask_what_is_amo", {}), ("goodbye", {})],
    [("check_file_status", {"requested": "member_identifier"}), ("ask_contact", {}),
     ("inform", {"requested": "member_birth_date"}), ("goodbye", {}), ("greet", {}),
     ("check_file_status", {"requested": "member_identifier"}), ("inform", {"requested": "member_birth_date"}),
     ("inform", {"form_done": True}), ("thank", {})],
]


def _play(dialogue, turns):
    for intent, options in turns:
        dialogue.say(intent, **options)


def test_the_rules_found_are_rasas_own_at_every_prediction(monkeypatch):
    from tests.rule_dialogue import RuleDialogue

    history_lengths = []

    def compared(policy, lookup, states):
        found = rasa_patches.get_possible_keys(policy, lookup, states)
        assert found == rasa_patches.ORIGINAL_GET_POSSIBLE_KEYS(policy, lookup, states)
        history_lengths.append(len(states))
        return found

    monkeypatch.setattr(RulePolicy, "_get_possible_keys", compared)
    # From every state of the session, as Rasa builds them without patch 9.
    monkeypatch.setattr(RulePolicy, "predict_action_probabilities", rasa_patches.ORIGINAL_PREDICT_ACTION_PROBABILITIES)
    for turns in DIALOGUES * 2:  # the second time, from the kept matches
        _play(RuleDialogue(), turns)
    policy = RuleDialogue().policy
    assert max(history_lengths) > 3 * rasa_patches._longest_rule(policy, policy.lookup["rules"])


def test_a_run_of_states_seen_before_is_not_matched_again_until_the_rules_change(monkeypatch):
    from tests.rule_dialogue import RuleDialogue

    dialogue = RuleDialogue()
    _play(dialogue, DIALOGUES[0])
    policy = dialogue.policy
    states = policy._prediction_states(dialogue.tracker, dialogue.domain, rule_only_data=policy._get_rule_only_data())
    rules = dict(policy.lookup["rules"])  # a copy: the policy is shared with other tests
    matched = []
    original = rasa_patches.ORIGINAL_GET_POSSIBLE_KEYS
    monkeypatch.setattr(rasa_patches, "ORIGINAL_GET_POSSIBLE_KEYS",
                        lambda *args: matched.append(1) or original(*args))

    first = rasa_patches.get_possible_keys(policy, rules, states)
    assert first and rasa_patches.get_possible_keys(policy, rules, states) == first
    assert len(matched) == 1
    # Training removes rules from the lookup in place: what was kept no longer answers.
    rules.pop(max(first, key=len))
    assert rasa_patches.get_possible_keys(policy, rules, states) == original(policy, rules, states) != first
    assert len(matched) == 2


def test_a_state_holding_a_value_json_cannot_write_is_matched_as_rasa_does():
    from decimal import Decimal

    from tests.rule_dialogue import RuleDialogue

    policy = RuleDialogue().policy
    rules = policy.lookup["rules"]
    states = [{"prev_action": {"action_name": "action_listen"}, "user": {"intent": "greet"},
               "slots": {"a_slot_of_our_own": (Decimal("1.5"),)}}]
    found = rasa_patches.get_possible_keys(policy, rules, states)
    assert found and found == rasa_patches.ORIGINAL_GET_POSSIBLE_KEYS(policy, rules, states)


# Patch 9: while RulePolicy predicts, states only for the last turns its rules can see.
def test_every_prediction_from_the_last_states_is_rasas_own(monkeypatch):
    from tests.rule_dialogue import RuleDialogue

    built = []  # (states built, states in the whole session), per call

    def counted(tracker, domain, count, omit_unset_slots=False):
        states = last_states(tracker, domain, count, omit_unset_slots)
        built.append((len(states), len(rasa_patches.ORIGINAL_PAST_STATES(tracker, domain))))
        return states

    def compared(policy, tracker, domain, rule_only_data=None, **kwargs):
        ours = rasa_patches.predict_action_probabilities(policy, tracker, domain, rule_only_data, **kwargs)
        # Rasa's own, from every state of the session (the patch is not active outside).
        assert rasa_patches.RECENT_STATES.get() is None
        assert ours == rasa_patches.ORIGINAL_PREDICT_ACTION_PROBABILITIES(policy, tracker, domain, rule_only_data,
                                                                          **kwargs)
        return ours

    last_states = rasa_patches.last_states
    monkeypatch.setattr(rasa_patches, "last_states", counted)
    monkeypatch.setattr(RulePolicy, "predict_action_probabilities", compared)
    for turns in DIALOGUES:
        _play(RuleDialogue(), turns)
    policy = RuleDialogue().policy
    longest = rasa_patches._longest_rule(policy, policy.lookup["rules"])
    assert built and all(count <= longest for count, _ in built)
    assert max(whole for _, whole in built) > 3 * longest


@pytest.mark.parametrize("omit_unset_slots", [False, True])
@pytest.mark.parametrize("count", [1, 3, 5, 1000])
def test_the_last_states_are_the_end_of_rasas_own(count, omit_unset_slots):
    from tests.rule_dialogue import RuleDialogue

    dialogue = RuleDialogue()
    _play(dialogue, DIALOGUES[1])  # a form, side questions, slots set and reset
    whole = rasa_patches.ORIGINAL_PAST_STATES(dialogue.tracker, dialogue.domain, omit_unset_slots)
    assert len(whole) > 5
    assert rasa_patches.last_states(dialogue.tracker, dialogue.domain, count, omit_unset_slots) == whole[-count:]


def test_rasas_own_past_states_outside_a_rule_prediction():
    from tests.rule_dialogue import RuleDialogue

    dialogue = RuleDialogue()
    _play(dialogue, DIALOGUES[0])
    whole = dialogue.tracker.past_states(dialogue.domain)
    assert whole == rasa_patches.ORIGINAL_PAST_STATES(dialogue.tracker, dialogue.domain)
    assert len(whole) > 3 * rasa_patches._longest_rule(dialogue.policy, dialogue.policy.lookup["rules"])
