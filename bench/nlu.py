"""NLU benchmark: our pipeline against Rasa's default one, trained on the same data.

Prints, per input language, intent accuracy and macro-F1 on the held-out split
(tests/data/nlu/<language>), the training time of each pipeline, in-process parse
latency p50/p95, and the intent pairs our pipeline confuses most.
"""
from __future__ import annotations

import asyncio
import collections
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Tuple

import yaml
from sklearn.metrics import f1_score
from bot.shared.languages import INPUT_LANGUAGES

ROOT = Path(__file__).resolve().parent.parent
RASA = str(Path(sys.executable).parent / "rasa")
PIPELINES = {"ours": ROOT / "config.yml", "rasa default": ROOT / "bench" / "rasa_default_config.yml"}


def held_out() -> List[Tuple[str, str, str]]:
    """(language, text, intent) of every held-out example, annotations stripped."""
    rows = []
    for language in INPUT_LANGUAGES:
        for path in sorted((ROOT / "tests" / "data" / "nlu" / language).glob("*.yml")):
            for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
                for line in block["examples"].splitlines():
                    if line.startswith("- "):
                        text = re.sub(r"\[([^\]]+)\](\{[^}]*\}|\([^)]*\))", r"\1", line[2:].strip())
                        rows.append((language, text, block["intent"]))
    return rows


def train(config: Path, out: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        [RASA, "train", "nlu", "--config", str(config), "--nlu", "data", "--out", str(out),
         "--fixed-model-name", "nlu"],
        cwd=ROOT, check=True, capture_output=True,
    )
    return time.perf_counter() - start


def evaluate(model: Path, rows) -> Tuple[Dict[str, Tuple[float, float]], List[float], collections.Counter]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    loop = asyncio.new_event_loop()
    predicted, latencies = [], []
    for _, text, _ in rows:
        start = time.perf_counter()
        result = loop.run_until_complete(agent.parse_message(text))
        latencies.append((time.perf_counter() - start) * 1000)
        predicted.append(result["intent"]["name"])
    scores = {}
    confusions = collections.Counter()
    for language in INPUT_LANGUAGES:
        gold = [intent for (lang, _, intent) in rows if lang == language]
        pred = [p for (lang, _, _), p in zip(rows, predicted) if lang == language]
        accuracy = sum(g == p for g, p in zip(gold, pred)) / len(gold)
        scores[language] = (accuracy, f1_score(gold, pred, labels=sorted(set(gold)), average="macro"))
    for (_, _, gold), pred in zip(rows, predicted):
        if gold != pred:
            confusions[tuple(sorted((gold, str(pred))))] += 1
    return scores, latencies, confusions


def percentile(values: List[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1]


def main() -> None:
    rows = held_out()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, config in PIPELINES.items():
            print(f"training {name} ({config.relative_to(ROOT)})...", flush=True)
            seconds = train(config, Path(tmp) / name.replace(" ", "_"))
            scores, latencies, confusions = evaluate(Path(tmp) / name.replace(" ", "_") / "nlu.tar.gz", rows)
            results[name] = (seconds, scores, latencies, confusions)

    print(f"\nHeld-out split: {len(rows)} messages, intents only (tests/data/nlu/<language>)\n")
    header = "| language | " + " | ".join(f"{n} accuracy | {n} macro-F1" for n in PIPELINES) + " |"
    print(header)
    print("|" + "---|" * (1 + 2 * len(PIPELINES)))
    for language in INPUT_LANGUAGES:
        cells = [f"{results[n][1][language][0]:.3f} | {results[n][1][language][1]:.3f}" for n in PIPELINES]
        print(f"| {language} | " + " | ".join(cells) + " |")
    print()
    print("| pipeline | training time (s) | parse p50 (ms) | parse p95 (ms) |")
    print("|---|---|---|---|")
    for name in PIPELINES:
        seconds, _, latencies, _ = results[name]
        print(f"| {name} | {seconds:.0f} | {percentile(latencies, 50):.1f} | {percentile(latencies, 95):.1f} |")
    print("\nMost confused intent pairs (ours, held-out, both directions):")
    for (a, b), count in results["ours"][3].most_common(5):
        print(f"  {count:3d}  {a} <-> {b}")


if __name__ == "__main__":
    main()
