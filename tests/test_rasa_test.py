"""`rasa test` on the test stories and `rasa data validate`, with the model shared by
the whole run. The NLU held-out figures are guarded in tests/test_nlu_quality.py."""
import re
import subprocess

import pytest

from tests.conftest import RASA, ROOT


def test_stories(model_path, endpoints_file):
    out = ROOT / "results" / "core"
    result = subprocess.run(
        [RASA, "test", "core", "--stories", "tests/data/stories", "--model", str(model_path),
         "--endpoints", str(endpoints_file),
         "--out", str(out), "--e2e", "--fail-on-prediction-errors", "--no-plot"],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert not (out / "failed_test_stories.yml").read_text().strip().startswith("- story")


def test_data_validates_without_any_warning():
    result = subprocess.run(
        [RASA, "data", "validate", "--domain", "domain", "--fail-on-warnings"], cwd=ROOT, capture_output=True, text=True
    )
    output = result.stdout + result.stderr
    # Rasa 3.6 prints the "Slot auto-fill has been removed" notice for any domain
    # with slots (rasa/shared/core/domain.py, unconditionally): not about our data.
    # Its validator also counts as unused every response that only forms (utter_ask_*)
    # or custom actions utter; those must really be uttered by one of them.
    warnings = [
        line for line in output.splitlines()
        if "UserWarning" in line
        and "Slot auto-fill has been removed" not in line
        and _unused_response(line) not in uttered_by_forms_and_actions()
    ]
    assert result.returncode == 0 and not warnings, "\n".join(warnings[:20])


def _unused_response(line: str):
    match = re.search(r"The utterance '(utter_\w+)' is not used in any story or rule", line)
    return match.group(1) if match else None


def uttered_by_forms_and_actions() -> set:
    from tests.helpers import DOMAIN

    asked = {
        f"utter_ask_{slot}"
        for form in DOMAIN.forms.values()
        for slot in form.get("required_slots", [])
    }
    code = "\n".join(path.read_text(encoding="utf-8") for path in (ROOT / "actions").rglob("*.py"))
    named = set(re.findall(r"[\"'](utter_\w+)[\"']", code))
    # f"utter_file_status_{status.state}": any response under that prefix.
    prefixes = tuple(re.findall(r"f[\"'](utter_\w+_)\{", code))
    by_prefix = {name for name in DOMAIN.responses if prefixes and name.startswith(prefixes)}
    return (asked | named | by_prefix) & set(DOMAIN.responses)
