"""bench/nlu.py says, target by target, whether issue 12's targets are met."""
from bench.nlu import targets


def result(f1, refused, negatives, p95, training_s=None):
    figures = {
        "held_out": {"all/fr": {"n": 10, "accuracy": f1, "macro_f1": f1, "false_refusals": refused},
                     "long/fr": {"n": 4, "accuracy": f1, "macro_f1": f1, "false_refusals": refused}},
        "negatives": {"all/latin": {"n": 5, "right": negatives}, "tatoeba-fra/latin": {"n": 5, "right": negatives}},
        "parse_ms": {"p50": p95 / 2, "p95": p95},
    }
    if training_s is not None:
        figures["training_s"] = training_s
    return figures


def test_each_target_is_judged_on_its_own_figure():
    rows = {figure: met for figure, _, _, met in targets(result(0.95, 0.04, 0.90, 20.0, training_s=400))}
    assert rows == {
        "real negatives refused, latin script": False,
        "macro-F1 all/fr": True,
        "in-scope refused all/fr": True,
        "macro-F1 long/fr": True,
        "parse p95 in-process (ms)": False,
        "training (s)": True,
    }


def test_the_limits_themselves_are_met():
    assert all(met for _, _, _, met in targets(result(0.93, 0.05, 0.95, 15.0, training_s=480)))
    assert not any(met for _, _, _, met in targets(result(0.92, 0.06, 0.94, 15.1, training_s=481)))


def test_training_is_judged_only_when_the_bench_trained():
    assert "training (s)" not in {figure for figure, _, _, _ in targets(result(0.9, 0.1, 0.9, 10.0))}
