"""What the model understands of text it was never trained on, guarded at the level
measured with `make bench` minus a small margin (the figures and how they were reached:
README, "Understanding members"). The same functions as the bench compute them, on the
same sets: the held-out split, its long-message subset, the real negatives and the real
questions. A guard is raised when the data gets better, never lowered to pass."""
import pytest

from bench.nlu import held_out_scores, load_sets, negative_scores, real_scores
from bot.shared.languages import INPUT_LANGUAGES

# Measured 2026-12-01 23:37 with `python -m bench.nlu --model models/amo.tar.gz` (README,
# "Understanding members"), minus 0.01-0.02. The pipeline has no random part since DIET
# left it (logistic regressions over TF-IDF n-grams): a training on the same data scores
# the same, so the margins only absorb numeric noise. Never looser than the guards that
# landed (eecc4d6); the real French questions stay at 5 of 9, as measured.
MIN_MACRO_F1 = {"fr": 0.87, "ar": 0.81, "dar": 0.85, "dar-latn": 0.85}  # 0.879 0.818 0.869 0.862
MIN_LONG_MACRO_F1 = {"fr": 0.84, "ar": 0.81, "dar": 0.80, "dar-latn": 0.84}  # 0.856 0.821 0.819 0.856
MAX_FALSE_REFUSALS = {"fr": 0.085, "ar": 0.11, "dar": 0.09, "dar-latn": 0.08}  # 0.072 0.097 0.078 0.064
MIN_NEGATIVES_REFUSED = {"latin": 0.965, "arabic": 0.975}  # 0.971 0.980
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
