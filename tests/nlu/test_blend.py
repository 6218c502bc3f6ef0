"""bot/server/nlu/blend.py: DIET's ranking averaged with the logistic regression's."""
import numpy as np
import pytest
from rasa.shared.nlu.training_data.message import Message
from sklearn.linear_model import LogisticRegression

from bot.server.nlu.blend import BlendedLogisticRegression


class Blend(BlendedLogisticRegression):
    """The component with its features given directly (one row per message)."""

    def __init__(self, weight, rows):
        self.config = {"weight": weight}
        self.rows = rows
        self.clf = LogisticRegression().fit(np.array([[1.0, 0.0], [0.0, 1.0]] * 5), ["greet", "goodbye"] * 5)

    def _create_X(self, messages):
        return np.array(self.rows)


def message(ranking):
    msg = Message(data={"text": "x"})
    msg.set("intent_ranking", [{"name": n, "confidence": c} for n, c in ranking])
    return msg


@pytest.mark.parametrize("weight", [0.0, 0.5, 1.0])
def test_the_ranking_is_the_weighted_average(weight):
    blend = Blend(weight, [[1.0, 0.0]])
    lr = dict(zip(blend.clf.classes_, blend.clf.predict_proba(np.array([[1.0, 0.0]]))[0]))
    [out] = blend.process([message([("goodbye", 0.9), ("greet", 0.1)])])
    ranking = {item["name"]: item["confidence"] for item in out.get("intent_ranking")}
    for intent in ("greet", "goodbye"):
        diet = 0.9 if intent == "goodbye" else 0.1
        assert ranking[intent] == pytest.approx(weight * lr[intent] + (1 - weight) * diet)
    assert out.get("intent")["name"] == max(ranking, key=ranking.get)


def test_an_intent_diet_did_not_rank_counts_as_zero_for_diet():
    blend = Blend(0.5, [[0.0, 1.0]])
    [out] = blend.process([message([("greet", 1.0)])])
    ranking = {item["name"]: item["confidence"] for item in out.get("intent_ranking")}
    lr_goodbye = blend.clf.predict_proba(np.array([[0.0, 1.0]]))[0][list(blend.clf.classes_).index("goodbye")]
    assert ranking["goodbye"] == pytest.approx(0.5 * lr_goodbye)
