"""Logistic regressions over sparse n-gram counts, scored without copying their weights.

scikit-learn scores `X @ coef_.T`. With `coef_` in its usual row-major order the
transpose is column-major, and scipy copies it into row-major order for every sparse
product: the whole weight matrix (every intent times every n-gram) for each message,
about half of an NLU parse (2026-12-01, profile of 257 held-out messages). Stored
column-major, its transpose is already row-major and nothing is copied. The scores are
the same; only the memory layout changes, after loading (a trained model is unchanged)."""
from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.pipeline import Pipeline


def without_weight_copies(model: Any) -> Any:
    """The same fitted model (a LogisticRegression, or a Pipeline ending in one), its
    weights laid out column-major; an unfitted model or None is returned as it is."""
    estimator = model.steps[-1][1] if isinstance(model, Pipeline) else model
    coefficients = getattr(estimator, "coef_", None)
    if coefficients is not None:
        estimator.coef_ = np.asfortranarray(coefficients)
    return model
