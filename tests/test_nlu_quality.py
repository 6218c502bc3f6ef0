"""What the model understands of text it was never trained on, guarded at the level
measured with `make bench` minus a small margin (the figures and how they were reached:
README, "Understanding members"). The same functions as the bench compute them, on the
same sets: the held-out split, its long-message subset, the real negatives and the real
questions. A guard is raised when the data gets better, never lowered to pass."""
import pytest

from bench.nlu import held_out_scores, load_sets, negative_scores, real_scores
from bot.shared.languages import INPUT_LANGUAGES

# Measured 2026-12-01 20:25 with `python -m bench.nlu --model models/amo.tar.gz` (README,
# "Understanding members"), minus about 0.02 under the lower of two trainings of this
# configuration (they differed by up to 0.01, and by 0.02 on the 200-message long
# subsets; CI trains its own model); never looser than the guards that landed (7ebbf42).
MIN_MACRO_F1 = {"fr": 0.84, "ar": 0.81, "dar": 0.84, "dar-latn": 0.84}  # 0.861 0.832 0.864 0.861
MIN_LONG_MACRO_F1 = {"fr": 0.79, "ar": 0.78, "dar": 0.76, "dar-latn": 0.77}  # 0.817 0.809 0.794 0.798
MAX_FALSE_REFUSALS = {"fr": 0.11, "ar": 0.115, "dar": 0.11, "dar-latn": 0.095}  # 0.078 0.097 0.085 0.074
MIN_NEGATIVES_REFUSED = {"latin": 0.965, "arabic": 0.975}  # 0.977 0.984
MIN_REAL_ACCURACY = {"fr": 0.55}  # 6 of 9 measured; a margin of one question


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
