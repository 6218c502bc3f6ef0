"""The real negative corpora: deterministic split, held-out never trained on, filters, generated files."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Set, Tuple

import pytest
from rasa.shared.nlu.training_data.loading import load_data

from bot.tools import negatives as neg

ROOT = Path(__file__).resolve().parents[2]
DODA = neg.DARIJA_OPEN_DATASET


def _corpus_latin_lines() -> Set[str]:
    return {latin for r in DODA.read() for lang, latin in r.texts if lang == "dar-latn"}


def _held_out_texts(split: neg.Split) -> Set[Tuple[str, str]]:
    return {(lang, neg.normalise(text)) for r in split.held_out for lang, text in r.texts}


def _loaded(path: Path) -> List[Tuple[str, str, str]]:
    data = load_data(str(path))
    return [(m.get("text"), m.get("intent"), (m.get("metadata") or {}).get("intent", {}).get("language"))
            for m in data.training_examples]


@pytest.mark.parametrize("source", list(neg.SOURCES.values()), ids=list(neg.SOURCES))
def test_split_is_a_pure_function_of_the_text(source: neg.Source) -> None:
    cached = neg.split(source)
    fresh = neg._split(source)  # computed again, not from the cache
    assert [r.key for r in fresh.held_out] == [r.key for r in cached.held_out]
    assert [r.key for r in fresh.train_pool] == [r.key for r in cached.train_pool]
    for record in cached.held_out[:50]:
        digest = hashlib.sha256(f"{source.name}\x00{neg.normalise(record.key)}".encode()).hexdigest()
        assert int(digest[:12], 16) % 10_000 < source.held_out_per_10k


def test_generated_files_do_not_depend_on_the_hash_seed() -> None:
    code = (
        "import hashlib, sys\n"
        "from bot.tools import negatives as n\n"
        "files = n.render_all(37, [n.ARBANKING77, n.XSID, n.TATOEBA_FRA], gate_per_script=0)\n"
        "for p in sorted(files): print(p.name, p.parent.name, hashlib.sha256(files[p].encode()).hexdigest())\n"
    )
    outputs = []
    for seed in ("1", "4242"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                              check=True)
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]
    assert outputs[0].count("\n") == len(neg.render_all(37, [neg.ARBANKING77, neg.XSID, neg.TATOEBA_FRA], gate_per_script=0)) == 6


@pytest.mark.parametrize("source", list(neg.SOURCES.values()), ids=list(neg.SOURCES))
def test_held_out_and_training_never_overlap(source: neg.Source) -> None:
    split = neg.split(source)
    held = _held_out_texts(split)
    pool = neg.training_pool(source)
    assert sum(len(v) for v in pool.values()) > 1000 or source is not DODA
    for lang, texts in pool.items():
        assert not {(lang, neg.normalise(t)) for t in texts} & held
    for lang, texts in neg.training_sample(500, source).items():
        assert len(texts) == min(500, len(pool[lang]))
        assert not {(lang, neg.normalise(t)) for t in texts} & held


def test_no_held_out_text_in_any_training_file() -> None:
    held_by_text: Dict[str, str] = {}
    for source in neg.SOURCES.values():
        for lang, text in _held_out_texts(neg.split(source)):
            held_by_text[text] = source.name
    found = []
    for path in sorted((ROOT / "data" / "nlu").rglob("*.yml")):
        for text, _, _ in _loaded(path):
            if neg.normalise(text) in held_by_text:
                found.append((str(path.relative_to(ROOT)), text))
    assert not found, found[:20]


def test_darija_held_out_is_large_and_in_both_scripts() -> None:
    path = neg.HELD_OUT_DIR / "darija-open-dataset.yml"
    rows = _loaded(path)
    by_language = {lang: [t for t, _, l in rows if l == lang] for lang in ("dar", "dar-latn")}
    assert len(rows) >= 2400
    assert len(by_language["dar"]) >= 1200 and len(by_language["dar-latn"]) >= 1200
    assert {intent for _, intent, _ in rows} == {"out_of_scope"}
    # the scripts are what they claim to be
    assert all(any("\u0600" <= c <= "\u06ff" for c in t) for t in by_language["dar"])
    assert all(not any("\u0600" <= c <= "\u06ff" for c in t) for t in by_language["dar-latn"])


AMO_LIKE_LINES = [
    "brit nt9ayad f amo kif ndir",
    "bghit nsayb la carte dyal cnss",
    "nass shab ramid arlabia lbas 3lihom",
    "mab9atch 3andi la cnss",
    "fin hiya flous tbib wta7alil",
    "bguit n3almom tadamon",
]
CONVERSATION_LINES = [
    "chokran bzaf",
    "salamo 3alaykom khouti",
    "slm khouya cv",
    "bslama 3likoum",
    "wakha fik",
    "sbah lkhir",
    "kidayr nta labas 3lik",
    "3awnini 3afak",
]
KEPT_LINES = [  # medical small talk and everyday questions are out of scope, not AMO
    "sir 3nd tbib",
    "kidayr ljw 3ndkom",
    "chriti telephone jdid",
    "salam khy ghdda kyn wahd lmatx",
    "ana drt telephone hdaya",
]


def _kept_latin() -> Set[str]:
    split = neg.split(DODA)
    return {text for r in split.held_out + split.train_pool for lang, text in r.texts if lang == "dar-latn"}


def test_amo_like_and_conversational_lines_are_dropped_and_others_kept() -> None:
    corpus = _corpus_latin_lines()
    for line in AMO_LIKE_LINES + CONVERSATION_LINES + KEPT_LINES:
        assert line in corpus, f"not a corpus line: {line!r}"
    reasons = {text: d.reason for d in neg.dropped(DODA) for lang, text in d.record.texts if lang == "dar-latn"}
    kept = _kept_latin()
    for line in AMO_LIKE_LINES:
        assert line not in kept
        assert "AMO" in reasons[line] or "care + money" in reasons[line], reasons[line]
    for line in CONVERSATION_LINES:
        assert line not in kept
        assert "greeting" in reasons[line] or "contract intent" in reasons[line], reasons[line]
    for line in KEPT_LINES:
        assert line in kept, reasons.get(line)


def test_filters_on_arabic_script_and_short_lines() -> None:
    def record(*texts: Tuple[str, str]) -> neg.Record:
        return neg.Record(key=texts[0][1], texts=tuple(texts))

    assert neg._amo_like(record(("ar", "كيف أسجل في التأمين الإجباري عن المرض؟")))
    assert neg._amo_like(record(("ar", "هل الضمان الاجتماعي يعوض الدواء؟")))
    assert neg._amo_like(record(("dar", "واش رجعتي لمكناس"))) is None  # Meknes is not the CNSS
    assert neg._amo_like(record(("dar", "هاد لكادو زوين بزاف"))) is None
    assert neg._conversational(record(("dar", "شكرا بزاف خويا")))
    assert neg._conversational(record(("dar", "واش كاين شي ماتش ليوما"))) is None
    assert neg._too_short(record(("dar-latn", "wakha")))
    assert neg._too_short(record(("dar-latn", "   ")))
    assert neg._rasa_unsafe(record(("fr", "voir [ceci](lien)")))


def test_no_duplicates_within_a_generated_file() -> None:
    for path in neg.render_all():
        rows = _loaded(path)
        seen: Set[Tuple[str, str]] = set()
        for text, _, lang in rows:
            key = (lang, neg.normalise(text))
            assert key not in seen, (path, text)
            seen.add(key)


def test_generated_files_are_committed_fresh_load_with_rasa_and_say_they_are_generated() -> None:
    files = neg.render_all(neg.DEFAULT_TRAIN_PER_SCRIPT)
    assert neg.training_file_name("dar") in files and neg.training_file_name("dar-latn") in files
    for path, text in files.items():
        assert path.exists(), f"{path} missing: run {neg.COMMAND}"
        on_disk = path.read_text(encoding="utf-8")
        first = on_disk.splitlines()[0]
        assert first.startswith("# GENERATED by `python -m bot.tools.negatives") and "do not edit" in first
        assert "data/corpora/" in first
        assert on_disk == text, f"{path} is stale: run {neg.COMMAND}"
        rows = _loaded(path)
        written = [line[6:] for line in text.splitlines() if line.startswith("    - ")]
        assert [t for t, _, _ in rows] == written  # Rasa read every example back unchanged
        assert all(lang for _, _, lang in rows)
    for lang in ("dar", "dar-latn", "ar", "fr"):
        rows = _loaded(neg.training_file_name(lang))
        assert len(rows) == _expected_training(lang, neg.DEFAULT_TRAIN_PER_SCRIPT)
        assert {(i, l) for _, i, l in rows} == {("out_of_scope", lang)}


def test_gate_negatives_are_marked_for_the_gate_alone_and_never_hand_written_text() -> None:
    hand_written = neg.hand_written_texts()
    for lang in ("dar", "dar-latn", "ar", "fr"):
        text = neg.gate_file_name(lang).read_text(encoding="utf-8")
        assert f"    {neg.GATE_ONLY}: true" in text
        rows = _loaded(neg.gate_file_name(lang))
        assert rows and not [t for t, _, _ in rows if neg.normalise(t) in hand_written]


def _expected_training(lang: str, n: int) -> int:
    return sum(min(n, len(neg.training_pool(s).get(lang, []))) for s in neg.SOURCES.values() if lang in s.languages)


def test_cli_writes_n_per_script(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(neg, "HELD_OUT_DIR", tmp_path / "held")
    monkeypatch.setattr(neg, "NLU_DIR", tmp_path / "nlu")
    assert neg.main(["--train-per-script", "25"]) == 0
    dar = _loaded(tmp_path / "nlu" / "dar" / "out_of_scope_corpus.yml")
    assert len(dar) == 25 * sum("dar" in s.languages for s in neg.SOURCES.values()) == _expected_training("dar", 25)
    assert (tmp_path / "nlu" / "dar-latn" / "out_of_scope_corpus.yml").read_text().startswith(
        "# GENERATED by `python -m bot.tools.negatives --train-per-script 25`")
    assert (tmp_path / "held" / "darija-open-dataset.yml").exists()


@pytest.mark.parametrize("source", list(neg.SOURCES.values()), ids=list(neg.SOURCES))
def test_each_held_out_file_is_large_enough_and_in_the_right_script(source: neg.Source) -> None:
    rows = _loaded(neg.HELD_OUT_DIR / f"{source.name}.yml")
    counts = {lang: sum(1 for _, _, l in rows if l == lang) for lang in source.languages}
    for lang, least in source.min_held_out.items():
        assert counts[lang] >= least, (source.name, lang, counts)
    arabic = lambda t: any("\u0600" <= c <= "\u06ff" for c in t)  # noqa: E731
    for text, intent, lang in rows:
        assert intent == "out_of_scope"
        assert arabic(text) == (lang in ("ar", "dar")), (lang, text)


def _kept_and_dropped_texts(source: neg.Source) -> Tuple[Set[str], Dict[str, str]]:
    split = neg.split(source)
    kept = {text for r in split.held_out + split.train_pool for _, text in r.texts}
    reasons = {text: d.reason for d in split.dropped for _, text in d.record.texts}
    return kept, reasons


@pytest.mark.parametrize(
    "source, dropped_lines, kept_lines",
    [
        (neg.TATOEBA_FRA,
         ["Êtes-vous couvert par une assurance médicale ?", "Comment ça va, mec ?", "Quelqu'un peut-il m'aider ?"],
         ["Pouvez-vous me donner l'heure ?", "Êtes-vous un enfant unique ?"]),
        (neg.ARBANKING77,
         ["فين هو الترونسفير ديالي من [البلد]؟"],
         ["كيفاش نلقى لاكارط ديالي؟", "كيف يمكنني تحديد موقع بطاقتي؟", "ساعدوني، شي واحد سرق البطاقة ديالي!"]),
        (neg.XSID, ["الطقس"], ["إعرض كل التذكيرات", "هل أحتاج إلى سترة ؟"]),
    ],
    ids=["tatoeba-fra", "arbanking77", "xsid"],
)
def test_filters_on_the_other_corpora(source: neg.Source, dropped_lines: List[str], kept_lines: List[str]) -> None:
    corpus = {text for r in source.read() for _, text in r.texts}
    kept, reasons = _kept_and_dropped_texts(source)
    for line in dropped_lines + kept_lines:
        assert line in corpus, f"not a corpus line: {line!r}"
    for line in dropped_lines:
        assert line not in kept and line in reasons, line
    for line in kept_lines:
        assert line in kept, (line, reasons.get(line))
