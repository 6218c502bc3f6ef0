"""What the model understands of text it was never trained on, guarded at the level
measured with `make bench` minus a small margin (the figures and how they were reached:
README, "Understanding members"). The same functions as the bench compute them, on the
same sets: the held-out split, its long-message subset, the real negatives and the real
questions. A guard is raised when the model gets better, never lowered to pass; a
deliberate trade between two figures is written down where it is made."""
import pytest

from bench.nlu import held_out_scores, load_sets, negative_scores, real_scores
from bot.shared.languages import INPUT_LANGUAGES

# Measured 2026-12-03 13:50 with `python -m bench.nlu --model models/amo.tar.gz` (README,
# "Understanding members"), minus 0.01-0.02. The pipeline has no random part (a linear SVM
# and logistic regressions over TF-IDF n-grams): a training on the same data scores the
# same, so the margins only absorb numeric noise. Two guards were lowered, on purpose, on
# 2026-12-02: the SVM answers more, so the real negatives refused went 0.971 -> 0.957
# (Latin script) and 0.980 -> 0.972 (Arabic) while in-scope refusals halved; the
# Latin-script guard is issue 12's target, 0.95, the Arabic one 0.965. On 2026-12-03, with
# 4,598 more members' messages, macro-F1 moved 0.896 / 0.863 / 0.881 / 0.863 -> 0.901 /
# 0.866 / 0.903 / 0.881.
# The real French questions stay at 5 of 9, as measured.
MIN_MACRO_F1 = {"fr": 0.885, "ar": 0.855, "dar": 0.89, "dar-latn": 0.865}  # 0.901 0.866 0.903 0.881
MIN_LONG_MACRO_F1 = {"fr": 0.895, "ar": 0.82, "dar": 0.87, "dar-latn": 0.855}  # 0.905 0.834 0.882 0.870
MAX_FALSE_REFUSALS = {"fr": 0.04, "ar": 0.055, "dar": 0.055, "dar-latn": 0.05}  # 0.029 0.043 0.047 0.039
MIN_NEGATIVES_REFUSED = {"latin": 0.95, "arabic": 0.965}  # 0.960 0.974
MIN_REAL_ACCURACY = {"fr": 0.55}  # 5 of 9 measured (6 with DIET): one fewer fails


@pytest.fixture(scope="module")
def scores(parse):
    sets = load_sets()

    def intents(rows):
        return [parse(e.text)["intent"]["name"] for e in rows]

    return {
        "held_out": held_out_scores(sets["held_out"], intents(sets["held_out"])),
        "negatives": negative_scores(sets["negatives"], intents(sets["negatives"])),
        "real": real_scores(sets["real"], intents(sets["real"])),
    }


@pytest.mark.parametrize("language", INPUT_LANGUAGES)
def test_held_out_macro_f1(scores, language):
    figures = scores["held_out"][f"all/{language}"]
    print(language, figures)
    assert figures["macro_f1"] >= MIN_MACRO_F1[language]
    assert figures["false_refusals"] <= MAX_FALSE_REFUSALS[language]


@pytest.mark.parametrize("language", INPUT_LANGUAGES)
def test_long_messages_macro_f1(scores, language):
    figures = scores["held_out"][f"long/{language}"]
    print(language, figures)
    assert figures["macro_f1"] >= MIN_LONG_MACRO_F1[language]


@pytest.mark.parametrize("script", sorted(MIN_NEGATIVES_REFUSED))
def test_real_negatives_are_refused(scores, script):
    figures = scores["negatives"][f"all/{script}"]
    print(script, figures)
    assert figures["n"] >= 1000 and figures["right"] >= MIN_NEGATIVES_REFUSED[script]


@pytest.mark.parametrize("language", sorted(MIN_REAL_ACCURACY))
def test_real_questions_written_outside_the_team(scores, language):
    figures = scores["real"][language]
    print(language, figures)
    assert figures["accuracy"] >= MIN_REAL_ACCURACY[language]
