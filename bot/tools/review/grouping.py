"""Near-duplicate questions grouped across Arabic script, Arabizi and French.

Each text is normalised token by token (bot/shared/text.py) and also written as a
consonant skeleton in Latin letters, so that "شحال نخلص", "ch7al nkhles" and
"chhal nkhalss" meet: Arabizi spells the same Darija word with varying vowels and
digits for letters, and Arabic script writes no short vowels at all.
Character n-grams (char_wb 2-4, TF-IDF) of the normalised text and of the skeleton
are compared by cosine; the similarity of two texts is the higher of the two. Groups
are formed by average-linkage agglomeration, stopped at a similarity threshold.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Dict, List, Sequence

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity
from tqdm import tqdm

from bot.shared.text import has_arabic, normalize_arabic, normalize_latin
from bot.shared.unanswered import Record

# Average similarity above which two groups merge; chosen on the examples of
# tests/review/conftest.py: near-duplicates score about 0.5-1 (the same question
# in both Darija scripts included), different questions below about 0.35.
DEFAULT_THRESHOLD = 0.45
# Agglomeration needs the full distance matrix (8 bytes per pair): 5,000 distinct
# texts take about 100 MB. Narrow the period beyond that.
MAX_TEXTS = 5000

_ARABIC_TO_LATIN = str.maketrans(
    {
        "ا": "a", "ب": "b", "ت": "t", "ث": "t", "ج": "j", "ح": "h", "خ": "x", "د": "d",
        "ذ": "d", "ر": "r", "ز": "z", "س": "s", "ش": "c", "ص": "s", "ض": "d", "ط": "t",
        "ظ": "d", "ع": "a", "غ": "g", "ف": "f", "ق": "q", "ك": "k", "ل": "l", "م": "m",
        "ن": "n", "ه": "h", "و": "w", "ي": "y", "ء": "",
    }
)
# Arabizi digraphs and digits to the letters the Arabic transliteration above uses.
_ARABIZI = [("ch", "c"), ("sh", "c"), ("kh", "x"), ("gh", "g"), ("ou", "w"),
            ("7", "h"), ("3", "a"), ("9", "q"), ("2", ""), ("5", "x"), ("8", "g")]
_VOWELS = re.compile(r"(?<=.)[aeiouy]")  # short vowels vary; a word's first letter stays
_NOT_LETTER = re.compile(r"[^a-z]")
_DOUBLED = re.compile(r"(.)\1+")


@dataclass(frozen=True)
class Group:
    """`number` is the smallest record id in the group: it stays the same when other
    groups are labelled, so `label --group N` means what `groups` showed."""

    number: int
    records: List[Record]
    representative: str

    @property
    def count(self) -> int:
        return len(self.records)

    @property
    def first_seen(self) -> datetime:
        return min(r.created_at for r in self.records)

    @property
    def last_seen(self) -> datetime:
        return max(r.created_at for r in self.records)

    @property
    def languages(self) -> Dict[str, int]:
        counts: Dict[str, int] = {}
        for record in self.records:
            key = record.language or "?"
            counts[key] = counts.get(key, 0) + 1
        return dict(sorted(counts.items(), key=lambda item: -item[1]))


class TooManyTexts(ValueError):
    pass


def normalise(text: str) -> str:
    return " ".join(
        normalize_arabic(token) if has_arabic(token) else normalize_latin(token)
        for token in text.split()
    )


def skeleton(normalised: str) -> str:
    """Latin consonant skeleton of a normalised text, the same for both Darija scripts."""
    words = []
    for token in normalised.split():
        if has_arabic(token):
            word = token.translate(_ARABIC_TO_LATIN)
        else:
            word = token
            for digraph, letter in _ARABIZI:
                word = word.replace(digraph, letter)
        word = _DOUBLED.sub(r"\1", _VOWELS.sub("", _NOT_LETTER.sub("", word)))
        if word:
            words.append(word)
    return " ".join(words)


def similarity(texts: Sequence[str]) -> np.ndarray:
    """Pairwise similarity of the texts (n x n, 1 on the diagonal)."""
    normalised = [normalise(t) for t in texts]
    matrices = []
    for view in (normalised, [skeleton(t) for t in normalised]):
        vectoriser = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True)
        try:
            matrices.append(cosine_similarity(vectoriser.fit_transform(view)))
        except ValueError:  # no text has a single n-gram (emoji, digits only)
            matrices.append(np.zeros((len(texts), len(texts))))
    result = np.maximum(*matrices)
    np.fill_diagonal(result, 1.0)
    return result


def group(records: Sequence[Record], threshold: float = DEFAULT_THRESHOLD) -> List[Group]:
    """Groups of near-duplicate records, largest first (then most recently seen)."""
    by_text: Dict[str, List[Record]] = {}
    for record in records:
        by_text.setdefault(normalise(record.text), []).append(record)
    if len(by_text) > MAX_TEXTS:
        raise TooManyTexts(
            f"{len(by_text)} distinct texts: group at most {MAX_TEXTS} at a time (use --since/--until)"
        )
    keys = list(by_text)
    if not keys:
        return []
    with tqdm(total=3, desc="grouping", unit="step", disable=None) as progress:
        scores = similarity([by_text[k][0].text for k in keys])
        progress.update()
        if len(keys) == 1:
            labels = np.array([1])
        else:
            distances = squareform(np.clip(1.0 - scores, 0.0, 1.0), checks=False)
            tree = linkage(distances, method="average")
            labels = fcluster(tree, t=1.0 - threshold, criterion="distance")
        progress.update()
        groups = [
            _group(keys, by_text, scores, np.flatnonzero(labels == label)) for label in set(labels)
        ]
        progress.update()
    return sorted(groups, key=lambda g: (-g.count, -g.last_seen.timestamp(), g.number))


def _group(
    keys: List[str], by_text: Dict[str, List[Record]], scores: np.ndarray, members: np.ndarray
) -> Group:
    records = sorted((r for i in members for r in by_text[keys[i]]), key=lambda r: r.id)
    # the most typical text: highest total similarity to the others, weighted by how
    # often each was sent
    weights = np.array([len(by_text[keys[i]]) for i in members])
    central = members[int(np.argmax(scores[np.ix_(members, members)] @ weights))]
    return Group(number=records[0].id, records=records, representative=by_text[keys[central]][0].text)
