"""bench/load.py's figures: the servers' CPU time per turn, read from /proc, summed per
kind of server over its instances."""
import os
import time

from bench.load import Run, Turn, cpu_seconds, report


def test_cpu_time_counts_what_the_process_spent():
    before = cpu_seconds(os.getpid())
    deadline = time.process_time() + 0.3
    while time.process_time() < deadline:
        pass
    assert cpu_seconds(os.getpid()) - before >= 0.2


def test_cpu_time_per_turn_is_summed_over_the_instances_of_each_kind(capsys):
    run = Run("8 concurrent", turns=[Turn(1, 0.1, True)] * 4, wall=1.0,
              cpu_seconds={"rasa server 1": 0.2, "rasa server 2": 0.1, "action server 1": 0.04, "action server 2": 0.0})
    report([run], {})
    printed = capsys.readouterr().out
    assert "| load | action server | rasa server |" in printed
    assert "| 8 concurrent | 10.0 | 75.0 |" in printed
