"""Averages DIET's intent probabilities with a logistic regression's.

On a few thousand short, misspelt, code-switched examples the two make different
mistakes: DIET learns from word order and shared embeddings, the linear model
from the raw n-gram counts. Their average is more accurate than either
(make bench, "blend" row).
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message

from bot.server.nlu.linear import without_weight_copies


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class BlendedLogisticRegression(LogisticRegressionClassifier):
    """Runs after DIETClassifier (whose `ranking_length` must be 0: every intent)."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**LogisticRegressionClassifier.get_default_config(), "weight": 0.5}

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "BlendedLogisticRegression":
        component = super().load(config, model_storage, resource, execution_context, **kwargs)
        component.clf = without_weight_copies(component.clf)
        return component

    def process(self, messages: List[Message]) -> List[Message]:
        previous = [
            {item["name"]: item["confidence"] for item in message.get(INTENT_RANKING_KEY) or []}
            for message in messages
        ]
        probabilities = self.clf.predict_proba(self._create_X(messages))
        weight = self.config["weight"]
        for message, diet, row in zip(messages, previous, probabilities):
            ranking = sorted(
                (
                    {"name": intent, "confidence": float(weight * p + (1 - weight) * diet.get(intent, 0.0))}
                    for intent, p in zip(self.clf.classes_, row)
                ),
                key=lambda item: -item["confidence"],
            )
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking[:10], add_to_output=True)
        return messages
