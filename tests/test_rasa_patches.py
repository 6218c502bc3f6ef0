"""bot/server/rasa_patches.py: installed by the Rasa server's own imports, checked
against the Rasa version, and changing how fast, not what (same classes, same errors).
Each patch has a test that fails without it."""
import subprocess
import sys

import jsonschema
import pytest
import rasa.shared.core.events as rasa_events
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses

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
