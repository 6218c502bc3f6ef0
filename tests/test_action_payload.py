"""What the Rasa server sends the action server: the domain (every response in three
languages, over 400 KB of JSON) only to the form validation actions that read it
(`enable_selective_domain` in endpoints.yml and deploy/endpoints.yml)."""
import json
import re

import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import read_endpoint_config

from tests.helpers import ROOT

DOMAIN = Domain.load(str(ROOT / "domain"))


def payload(endpoints_file: str, action: str) -> dict:
    endpoint = read_endpoint_config(str(ROOT / endpoints_file), "action_endpoint")
    tracker = DialogueStateTracker.from_events("payload-test", [], slots=DOMAIN.slots)
    return RemoteAction(action, endpoint)._action_call_format(tracker, DOMAIN)


@pytest.mark.parametrize("endpoints_file", ["endpoints.yml", "deploy/endpoints.yml"])
def test_only_the_form_validations_get_the_domain(endpoints_file, monkeypatch):
    for variable in re.findall(r"\$\{(\w+)\}", (ROOT / endpoints_file).read_text()):  # deploy/ reads them
        monkeypatch.setenv(variable, "http://127.0.0.1:5055/webhook" if variable == "AMO_ACTIONS_URL" else "x")
    for action in DOMAIN.user_actions:
        wanted = action.startswith("validate_")
        assert ("domain" in payload(endpoints_file, action)) == wanted, action
    with_domain = len(json.dumps(payload(endpoints_file, "validate_file_status_form")))
    without = len(json.dumps(payload(endpoints_file, "action_file_status")))
    assert with_domain > 10 * without
