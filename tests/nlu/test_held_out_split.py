"""The held-out split (tests/data/nlu) measures text the model never trained on: no
message of it may appear, up to case and spacing, in any training file."""
from __future__ import annotations

from pathlib import Path

from rasa.shared.nlu.training_data.loading import load_data

from bench.nlu import load_sets
from bot.tools.negatives import normalise

ROOT = Path(__file__).resolve().parents[2]


def test_no_held_out_message_is_a_training_example() -> None:
    held_out = {normalise(example.text): example.source for example in load_sets()["held_out"]}
    assert len(held_out) > 1000
    found = []
    for path in sorted((ROOT / "data" / "nlu").rglob("*.yml")):
        for message in load_data(str(path)).training_examples:
            source = held_out.get(normalise(message.get("text")))
            if source:
                found.append((str(path.relative_to(ROOT)), source, message.get("text")))
    assert not found, found[:20]
