"""Words the file-status answer inserts into its domain responses, in the reply
language (labels in knowledge/labels/file_status.yml; pure, no Rasa import)."""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Dict, Iterable

import yaml

from actions.members.status import BENEFICIARY_TYPES

# Member-facing words live with the other member-facing text, in knowledge/.
LABELS_PATH = Path(__file__).resolve().parents[2] / "knowledge" / "labels" / "file_status.yml"


@functools.lru_cache(maxsize=1)
def _labels() -> Dict[str, Any]:
    return yaml.safe_load(LABELS_PATH.read_text(encoding="utf-8"))


def documents(codes: Iterable[str], language: str) -> str:
    labels = _labels()
    return labels["separator"][language].join(labels["documents"][code][language] for code in codes)


def rejection_reason(code: str, language: str) -> str:
    return _labels()["rejection_reasons"][code][language]


def beneficiaries(counts: Dict[str, int], language: str) -> str:
    """ "1 conjoint, 2 enfants": types in a fixed order, no names."""
    labels = _labels()
    parts = [
        _count(labels["beneficiary_types"][kind][language], counts[kind])
        for kind in BENEFICIARY_TYPES
        if counts.get(kind)
    ]
    return labels["separator"][language].join(parts) if parts else labels["no_beneficiaries"][language]


def _count(forms: Dict[str, str], n: int) -> str:
    if n == 1:
        form = "one"
    elif n == 2:
        form = "two"
    elif 3 <= n <= 10:
        form = "few"
    else:
        form = "other"
    return forms.get(form, forms["other"]).format(n=n)
