"""Real out-of-scope text (corpora we did not write) for training and for held-out tests.

Each source under data/corpora/<name>/ is read into records: one sentence, or one
parallel group of sentences (the same sentence in several languages or scripts).
A record goes to the held-out side or to the training pool by a stable hash of its
key (never at random), so the fr and ar versions of one MASSIVE utterance, or the
Latin and Arabic scripts of one Darija sentence, always land on the same side.

Lines that are really AMO/CNSS questions, or that are conversation intents of the
contract (greet, thank, affirm, deny, goodbye, talk_to_human, help), are dropped
before the split; `dropped()` lists them with the reason.

    python -m bot.tools.negatives --train-per-script 300

writes the held-out files under tests/data/negatives/ and the training files
data/nlu/<language>/out_of_scope_corpus.yml.  No rasa import here.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parents[2]
CORPORA = ROOT / "data" / "corpora"
HELD_OUT_DIR = ROOT / "tests" / "data" / "negatives"
NLU_DIR = ROOT / "data" / "nlu"

COMMAND = "python -m bot.tools.negatives"
OUT_OF_SCOPE = "out_of_scope"
TALK_TO_HUMAN = "talk_to_human"
DEFAULT_TRAIN_PER_SCRIPT = 100
# Further pool sentences that train the domain gate alone (bot/server/nlu/domain_gate.py),
# marked `gate_only` in their intent metadata: the gate drops them before the intent classifier.
DEFAULT_GATE_PER_SCRIPT = 2000
GATE_ONLY = "gate_only"


# ---------------------------------------------------------------- normalisation

_SPACE = re.compile(r"\s+")
_TOKEN = re.compile(r"[\w']+", re.UNICODE)
_TATWEEL_AND_MARKS = re.compile(r"[\u0640\u064b-\u065f\u0670]")


def normalise(text: str) -> str:
    """Lower case, NFC, whitespace collapsed: the key for duplicates and overlap."""
    text = unicodedata.normalize("NFC", text)
    return _SPACE.sub(" ", text).strip().lower()


@lru_cache(maxsize=None)
def _match_form(text: str) -> str:
    """A looser form used only by the filters: no accents, no Arabic diacritics."""
    text = _TATWEEL_AND_MARKS.sub("", normalise(text))
    if not text.isascii():
        text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    text = unicodedata.normalize("NFC", text)
    return text.replace("أ", "ا").replace("إ", "ا").replace("آ", "ا").replace("ى", "ي").replace("ة", "ه")


@lru_cache(maxsize=None)
def tokens(text: str) -> Tuple[str, ...]:
    return tuple(_TOKEN.findall(_match_form(text)))


def stable_bucket(source: str, key: str, buckets: int = 10_000) -> int:
    """Bucket of a record in [0, buckets): sha256 of source name and key."""
    digest = hashlib.sha256(f"{source}\x00{normalise(key)}".encode("utf-8")).hexdigest()
    return int(digest[:12], 16) % buckets


# ---------------------------------------------------------------- data model

@dataclass(frozen=True)
class Message:
    text: str
    language: str
    intent: str = OUT_OF_SCOPE


@dataclass(frozen=True)
class Record:
    """One unit of the split: a sentence and its translations / transliterations."""

    key: str
    texts: Tuple[Tuple[str, str], ...]  # (language, text)
    intent: str = OUT_OF_SCOPE
    label: str = ""  # the source's own label, if any (for the report and filters)

    def messages(self) -> List[Message]:
        return [Message(text, language, self.intent) for language, text in self.texts]


@dataclass(frozen=True)
class Dropped:
    record: Record
    reason: str


Filter = Callable[[Record], Optional[str]]


@dataclass(frozen=True)
class Source:
    name: str
    description: str
    languages: Tuple[str, ...]
    read: Callable[[], Iterable[Record]]
    filters: Tuple[Filter, ...]
    held_out_per_10k: int
    # the least number of held-out messages per language the source must give (checked by the tests)
    min_held_out: Mapping[str, int]
    # intent -> held-out file suffix for records that are not out_of_scope
    extra_held_out: Mapping[str, str] = field(default_factory=dict)

    @property
    def path(self) -> Path:
        return CORPORA / self.name


# ---------------------------------------------------------------- filters

def _any(patterns: Sequence[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


def _ar(word: str) -> str:
    """An Arabic word with the clitics that may stick to it (wa-, fa-, bi-, li-, ka-, al-, l-)."""
    return rf"\b(?:[وفبلك]?(?:ال|ل)?){word}\b"


# Words that make a sentence an AMO / CNSS / health-insurance question on their own.
AMO_TERMS = _any([
    r"\bcnss\b", r"\bcnops\b", r"\bamo\b", r"\bramed\b", r"\bramid\b", r"\btadamon\b", r"\bachamil\b",
    r"\bcotis\w*", r"\bmutuel\w*", r"\bassuranc\w*", r"\bta2min\w*", r"\bt2min\w*",
    r"\btaamin\w*", r"\bdaman\b", r"\bimmatricul\w*", r"\brembours\w*", r"\bcouverture (medicale|sociale|sante)",
    r"\bfeuilles? de soins?\b", r"\bprise en charge\b", r"\bayants? droits?\b", r"\bsecurite sociale\b",
    r"\bcaisse (nationale|de securite|d'assurance)", r"\bcarte vitale\b", r"\bmutuelle\b",
    # Arabic script (MSA and Darija); the filters see text without diacritics, with أإآ as ا and ة as ه
    _ar("ضمان الاجتماعي"), _ar("ضمان اجتماعي"), r"\bالضمان\b", _ar("كنس"), r"سي ان اس",
    r"\bامو\b", _ar("راميد"), _ar("رميد"), _ar("تضامن"), _ar("تادامون"), _ar("تامين"), _ar("تاءمين"), _ar("تامينات"),
    _ar("اسورانس"), _ar("اسوران"), _ar("تعاضديه"), _ar("تعاضد"), _ar("موتويل"), _ar("موتييل"),
    _ar("اشتراكات"), _ar("كوتيزاسيون"), r"التغطيه الصحيه", r"التغطيه الطبيه", r"ملف المرض",
    r"ورقه العلاج", r"\bمومن\b", r"\bالمومن\b", _ar("مؤمن"),
])

# Care words and money/paper words: together they read as a reimbursement or coverage question.
CARE_TERMS = _any([
    r"\btbib\w*", r"\bltbib\w*", r"\bsbitar\w*", r"\blsbitar\w*", r"\bdwa\b", r"\bdwaya\b", r"\bmedecin\w*",
    r"\bclini\w*", r"\bfarma\w*", r"\bferma\w*", r"\bpharma\w*", r"\bta7alil\b", r"\bt7alil\b",
    r"\banalyses? (medicale|de sang)", r"\bscanner\b", r"\bhopital\b", r"\bdocteur\b", r"\bdentiste\b",
    r"\bmedicament\w*", r"\bordonnanc\w*",
    _ar("طبيب"), _ar("تبيب"), _ar("سبيتار"), _ar("صبيطار"), _ar("مستشفى"), _ar("مستشفي"), _ar("دوا"),
    _ar("دواء"), _ar("ادويه"), _ar("صيدليه"), _ar("فرمسيان"), _ar("كلينيك"), _ar("مصحه"), _ar("تحاليل"),
    _ar("طبي"), _ar("طبيه"), _ar("علاج"),
])
MONEY_PAPER_TERMS = _any([
    r"\bordonnanc\w*", r"\brembours\w*", r"\bflous\b", r"\bflouss\b", r"\bfloss\b", r"\blflous\b",
    r"\bkhlas\w*", r"\bnkhlas\w*", r"\bkhales\b", r"\bfacture\w*", r"\bftoura\b", r"\bdossier\b",
    r"\bwra9\b", r"\blwra9\b", r"\bkarta\b", r"\bcarte\b", r"\bkarnet\b", r"\bprix\b", r"\bfrais\b",
    r"\bpayer\b", r"\bpaiement\b", r"\bgratuit\w*", r"\bfabor\b", r"\bcoute\w*", r"\bcombien\b",
    _ar("وصفه"), _ar("اوردونانس"), _ar("فلوس"), _ar("خلاص"), _ar("فاتوره"), _ar("فاكتور"), _ar("ملف"),
    _ar("ورق"), _ar("وراق"), _ar("كارط"), _ar("كارت"), _ar("ثمن"), _ar("مصاريف"), _ar("مجانا"), _ar("مجاني"),
    _ar("فابور"), _ar("تكاليف"), _ar("الدفع"), _ar("تعويض"), _ar("استرجاع"), _ar("استرداد"),
])

# Conversation intents of the contract (greet, thank, goodbye, affirm, deny) and their fillers.
GREET_THANK_BYE = {
    # Latin
    "salam", "slm", "salamo", "salamou", "salamu", "assalam", "assalamu", "asalam", "slam", "salut", "bonjour",
    "bonsoir", "hello", "coucou", "ahlan", "marhaba", "mar7ba", "mselkhir", "msalkhir",
    "choukran", "chokran", "chukran", "shukran", "chokrane", "choukrane", "chkran", "merci", "mercii", "thanks",
    "bslama", "beslama", "bsslama", "bslamaa", "bye", "tchao", "ciao", "tsbah", "tsba7", "tesbah", "lahla",
    # Arabic script
    "سلام", "السلام", "سالام", "سالامو", "مرحبا", "اهلا", "شكرا", "شكران", "شوكران",
    "ميرسي", "بسلامه", "بالسلامه", "بسلاما", "تصبح", "تصبحي",
    # French (after accents are removed)
    "bonjour", "bonsoir", "salut", "merci", "adieu", "bienvenue", "enchante", "enchantee",
    # Modern Standard Arabic
    "اهلا", "اهلين", "مرحبا", "تحيه", "وداعا", "شكرا", "اشكرك", "اشكركم", "نشكرك",
}
# "how are you / fine, thank God": conversational only when nothing else is said ("lbas" is also "wear").
HOW_ARE_YOU = {
    "labas", "lbas", "lbass", "kidayr", "kidayra", "kidayer", "kidayrin", "kidayrine", "cv", "lhamdulah",
    "lhamdolah", "lhamdolilah", "lhamdulilah", "hamdolilah", "hamdullah", "lhmdolilah", "l7amdolilah",
    "لاباس", "كيداير", "كيدايرة", "كيدايرا", "لحمد", "الحمد", "لهمدوليلاه",
    "comment", "allez", "vas", "va", "ca", "mec", "كيف", "حالك", "حالكم", "الحال", "انت",
}
TWO_WORD_GREETINGS = {
    "sbah lkhir", "sba7 lkhir", "sbah lkhire", "sbah nour", "sba7 nour", "sbah lward", "msa lkhir", "mse lkhir",
    "msa nour", "bon matin", "صباح الخير", "صباح النور", "مساء الخير", "سباه لخير", "سباح لخير", "مسا لخير",
    "au revoir", "bonne nuit", "bonne journee", "bonne soiree", "a bientot", "a plus", "a demain", "mes salutations",
    "مع السلامه", "الى اللقاء", "تصبح على",
}
YES_NO_OK = {
    "wakha", "wkha", "wakhha", "safi", "iyeh", "iyih", "ih", "wah", "ah", "la", "lala", "no", "non", "oui",
    "ok", "okay", "okey", "d'accord", "daccord", "dacc", "yes", "mzyan", "wah", "sir", "hanya",
    "واخا", "وخا", "صافي", "ايه", "اييه", "واه", "اه", "لا", "لالا", "نعم", "اوكي", "مزيان",
    "si", "bien", "sur", "exactement", "absolument", "pas", "jamais", "voila", "parfait", "entendu", "certainement",
    "اجل", "بلى", "طبعا", "حسنا", "كلا", "موافق", "تمام",
}
CONVERSATION_FILLER = {
    "3likom", "3alikom", "3alaykom", "3lykom", "3likoum", "alikom", "alaykom", "3lik", "3lih", "3liha",
    "lkhir", "lkhir", "l5ir", "nour", "khoya", "khouya", "khouti", "khoti", "khti", "khy", "akhoya", "a",
    "sahbi", "bzaf", "bzzaf", "bzff", "bzaaf", "bezaf", "bzf", "bzef", "labas", "lbas", "cv", "ca", "va",
    "kidayr", "kidayra", "kidayer", "kidayrin", "labasa", "kolchi", "kolxi", "mzyan", "mzn", "lhamdulah",
    "lhamdolilah", "hamdullah", "lhmdolilah", "lhamdulilah", "hmd", "lah", "llah", "allah", "ikhalik",
    "y7fdek", "ybarek", "fik", "fikom", "ijazik", "bik", "3la", "kolchi", "wa", "w", "o", "ou", "ya",
    "rahmatollah", "wr7matollah", "rahmat", "lah", "baraka", "lay", "lina", "lakom", "jami3an", "sidi", "lalla",
    "ana", "nta", "nti", "ntouma", "si", "dear", "tous", "beaucoup", "lhamdolah", "lhamdollah",
    "lhamdulillah", "l7amdolilah", "hamdolilah", "hani", "omrk", "mzn", "nchalah", "inchallah", "nta",
    "vous", "tu", "toi", "beaucoup", "bien", "tres", "ca", "va", "allez", "vas", "et", "je", "vais", "monsieur",
    "madame", "le", "la", "les", "de", "pour", "votre", "ton", "aide", "encore", "mille", "fois", "tout", "nuit",
    "عليكم", "عاليكوم", "جزيلا", "لك", "لكم", "السيد", "السيده", "بخير", "الحمد", "عالايكوم", "عليك", "الخير", "لخير", "خويا", "خوتي", "ختي", "بزاف", "لاباس",
    "كيداير", "كيدايرة", "كلشي", "الحمد", "لله", "الله", "يخليك", "بارك", "فيك", "على", "علا", "و", "يا",
    "ورحمه", "النور", "سيدي", "للا", "انا", "نتا", "نتي",
}
_CONVERSATION_WORDS = GREET_THANK_BYE | YES_NO_OK | CONVERSATION_FILLER | HOW_ARE_YOU

# Requests that are other intents of the contract: talk_to_human, help, bot_challenge, change_language.
OTHER_CONTRACT_INTENTS = _any([
    r"\b(nta|nti|wach|wash|wx|wesh) (\w+ )?(robot|robo|bot)\b", r"\b(نتا|نتي|واش|وش) (\w+ )?(روبو|روبوت)\b",
    r"\b(nhder|nhdar|nhdr|nehder|nt?kellem|parler|discuter) (m3a|avec|a) (chi |un |une |le |la |l')?"
    r"(conseill\w*|agent|responsable|bnadem|insan|quelqu'un|humain|personne reelle)",
    r"^(bghit|brit|bgheet) nhd[ae]?r m3a?k$", r"^(3awni|3awnini|3awnoni|3awnouni)( 3afak| 3afakom| afak)?[ .!?]*$",
    r"^3afak(om)? 3awn\w*[ .!?]*$",
    r"^(3ay[ae]?t|3iyet|3eyet) (lia|liya|li)\b.{0,12}$",
    # French: bot_challenge, help, talk_to_human, change_language
    r"\b(es|etes)[- ](tu|vous) (un |une )?(robot|bot|machine|humain|vraie personne)\b", r"\bun (robot|humain) \?$",
    r"^(aide|aidez)[- ]?(moi|nous)?\b.{0,12}$", r"\bm'aider ?[?!.]?$", r"^au secours\b",
    r"\bparler (a|avec) (quelqu'un|un humain|une personne|un agent|un conseiller|un responsable)",
    r"\b(parlez|parles)[- ](vous|tu) (francais|arabe|anglais)", r"\b(appelez|appelle|rappelez|rappelle)[- ]moi\b",
    # Modern Standard Arabic
    r"\b(هل|انت) (انت )?(روبوت|انسان|آله)\b", r"^(ساعدني|ساعدوني|ساعدنى)( من فضلك| رجاء)?[ .!؟?]*$", r"\bالتحدث (مع|الى) (شخص|موظف|انسان)",
    r"^(اتصل|اتصلوا) بي\b.{0,15}$", r"\b(تتكلم|تتحدث) (العربيه|الفرنسيه)", r"^(عاوني|عاونوني|عاونيني)( عافاك| عافاكم)?[ .!؟?]*$", r"^عافاك(م)? (عاوني|عاونوني)[ .!؟?]*$",
])


def _amo_like(record: Record) -> Optional[str]:
    for _, text in record.texts:
        form = _match_form(text)
        match = AMO_TERMS.search(form)
        if match:
            return f"AMO/CNSS term {match.group(0)!r}"
        care, money = CARE_TERMS.search(form), MONEY_PAPER_TERMS.search(form)
        if care and money:
            return f"care + money/paper terms {care.group(0)!r} + {money.group(0)!r}"
    return None


def _conversational(record: Record) -> Optional[str]:
    for _, text in record.texts:
        words = tokens(text)
        if not words:
            continue
        if all(w in _CONVERSATION_WORDS for w in words):
            return "only greeting/thanks/yes/no/bye words"
        if words[0] in GREET_THANK_BYE or " ".join(words[:2]) in TWO_WORD_GREETINGS:
            content = [w for w in words[1:] if w not in _CONVERSATION_WORDS]
            if len(content) <= 2:
                return "greeting/thanks/bye with little else"
        match = OTHER_CONTRACT_INTENTS.search(_match_form(text))
        if match:
            return f"another contract intent {match.group(0)!r}"
    return None


def _too_short(record: Record) -> Optional[str]:
    for _, text in record.texts:
        if len(tokens(text)) < 2:
            return "empty or one token"
    return None


def _rasa_unsafe(record: Record) -> Optional[str]:
    for _, text in record.texts:
        if re.search(r"[\[\]{}]", text):
            return "brackets (Rasa entity syntax)"
    return None


BASE_FILTERS: Tuple[Filter, ...] = (_too_short, _rasa_unsafe, _amo_like, _conversational)


# ---------------------------------------------------------------- sources

def _clean(text: str) -> str:
    return _SPACE.sub(" ", unicodedata.normalize("NFC", text or "")).strip()


def read_darija_open_dataset() -> Iterator[Record]:
    path = CORPORA / "darija-open-dataset" / "sentences.tsv"
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            latin, arabic = _clean(row.get("darija_latin", "")), _clean(row.get("darija_arabic", ""))
            if not latin or not arabic:
                continue
            yield Record(key=latin, texts=(("dar-latn", latin), ("dar", arabic)))


DARIJA_OPEN_DATASET = Source(
    name="darija-open-dataset",
    description="everyday Darija sentences, Latin and Arabic script (DODa sentences)",
    languages=("dar-latn", "dar"),
    read=read_darija_open_dataset,
    filters=BASE_FILTERS,
    held_out_per_10k=400,
    min_held_out={"dar-latn": 1200, "dar": 1200},
)


def read_arbanking77() -> Iterator[Record]:
    folder = CORPORA / "arbanking77"
    for language, name in (("dar", "Banking77_Arabized_Moroccan_test.csv"), ("ar", "Banking77_Arabized_MSA_test.csv")):
        with (folder / name).open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                text = _clean(row.get("text", ""))
                if text:
                    yield Record(key=text, texts=((language, text),), label=_clean(row.get("label", "")))


ARBANKING77 = Source(
    name="arbanking77",
    description="banking questions in Moroccan Darija (Arabic script) and Modern Standard Arabic",
    languages=("dar", "ar"),
    read=read_arbanking77,
    filters=BASE_FILTERS,
    held_out_per_10k=2500,
    min_held_out={"dar": 600, "ar": 400},
)


def read_xsid() -> Iterator[Record]:
    folder = CORPORA / "xsid"
    for name in ("ar.test.conll", "ar.valid.conll"):
        text, intent = "", ""
        for line in (folder / name).read_text(encoding="utf-8").splitlines() + [""]:
            if line.startswith("# text = "):
                text = _clean(line[len("# text = "):])
            elif line.startswith("# intent = "):
                intent = line[len("# intent = "):].strip()
            elif not line.strip():
                if text:
                    yield Record(key=text, texts=(("ar", text),), label=intent)
                text, intent = "", ""


XSID = Source(
    name="xsid",
    description="everyday assistant requests in Modern Standard Arabic (weather, alarms, reminders, music)",
    languages=("ar",),
    read=read_xsid,
    filters=BASE_FILTERS,
    held_out_per_10k=6200,
    min_held_out={"ar": 400},
)


def read_tatoeba_fra() -> Iterator[Record]:
    path = CORPORA / "tatoeba-fra" / "questions.tsv"
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            text = _clean(row.get("french", ""))
            if text:
                yield Record(key=text, texts=(("fr", text),), label=_clean(row.get("english", "")))


TATOEBA_FRA = Source(
    name="tatoeba-fra",
    description="everyday French questions from Tatoeba",
    languages=("fr",),
    read=read_tatoeba_fra,
    filters=BASE_FILTERS,
    held_out_per_10k=2000,
    min_held_out={"fr": 400},
)

SOURCES: Dict[str, Source] = {s.name: s for s in (DARIJA_OPEN_DATASET, ARBANKING77, XSID, TATOEBA_FRA)}


# ---------------------------------------------------------------- the split

@dataclass
class Split:
    source: Source
    held_out: List[Record]
    train_pool: List[Record]
    dropped: List[Dropped]

    def held_out_messages(self, intent: Optional[str] = OUT_OF_SCOPE) -> List[Message]:
        return [m for r in self.held_out for m in r.messages() if intent is None or m.intent == intent]


def _kept_and_dropped(source: Source) -> Tuple[List[Record], List[Dropped]]:
    kept: List[Record] = []
    dropped: List[Dropped] = []
    seen: Dict[str, set] = {}
    for record in source.read():
        reason = next((r for r in (f(record) for f in source.filters) if r), None)
        if reason is None:
            dup = [lang for lang, text in record.texts if normalise(text) in seen.get(lang, set())]
            if len(dup) == len(record.texts):
                reason = "exact duplicate"
        if reason:
            dropped.append(Dropped(record, reason))
            continue
        for lang, text in record.texts:
            seen.setdefault(lang, set()).add(normalise(text))
        kept.append(record)
    return kept, dropped


_SPLITS: Dict[str, Split] = {}


def split(source: Source) -> Split:
    """Held-out records by hash bucket; the rest is the training pool minus any text seen in held-out.

    Computed once per source and process (the corpora do not change while it runs).
    """
    if source.name not in _SPLITS:
        _SPLITS[source.name] = _split(source)
    return _SPLITS[source.name]


def _split(source: Source) -> Split:
    kept, dropped = _kept_and_dropped(source)
    held_out = [r for r in kept if stable_bucket(source.name, r.key) < source.held_out_per_10k]
    held_texts = {(lang, normalise(text)) for r in held_out for lang, text in r.texts}
    pool: List[Record] = []
    for record in kept:
        if stable_bucket(source.name, record.key) < source.held_out_per_10k:
            continue
        if any((lang, normalise(text)) in held_texts for lang, text in record.texts):
            dropped.append(Dropped(record, "shares a text with a held-out record"))
            continue
        pool.append(record)
    return Split(source, held_out, pool, dropped)


def training_pool(source: Source = DARIJA_OPEN_DATASET, intent: str = OUT_OF_SCOPE) -> Dict[str, List[str]]:
    """Every training text of the source per language, deduplicated, in a stable order (nothing written).

    For a gate that trains on thousands of negatives; never contains a held-out text.
    """
    result: Dict[str, List[str]] = {lang: [] for lang in source.languages}
    seen: Dict[str, set] = {lang: set() for lang in source.languages}
    ordered = sorted(split(source).train_pool, key=lambda r: (stable_bucket(source.name, r.key, 1 << 40), r.key))
    for record in ordered:
        if record.intent != intent:
            continue
        for lang, text in record.texts:
            if normalise(text) not in seen.setdefault(lang, set()):
                seen[lang].add(normalise(text))
                result.setdefault(lang, []).append(text)
    return result


def training_sample(n: int, source: Source = DARIJA_OPEN_DATASET) -> Dict[str, List[str]]:
    """N training texts per language (script): the first N of the pool in hash order."""
    if n < 0:
        raise ValueError("n must be >= 0")
    return {lang: texts[:n] for lang, texts in training_pool(source).items()}


def dropped(source: Source = DARIJA_OPEN_DATASET) -> List[Dropped]:
    return split(source).dropped


# ---------------------------------------------------------------- writing Rasa YAML

def _yaml_example(text: str) -> str:
    return "    - " + text.replace("\n", " ")


def header(source: Source, what: str) -> str:
    return (
        f"# GENERATED by `{COMMAND} --train-per-script N` from data/corpora/{source.name}/ "
        f"({what}); do not edit: change bot/tools/negatives.py or the corpus and run it again."
    )


def render_nlu(source: Source, blocks: Mapping[Tuple[str, str], Sequence[str]], what: str) -> str:
    """blocks: (intent, language) -> texts."""
    lines = [header(source, what), f"# Source and licence: data/corpora/{source.name}/SOURCE.md", 'version: "3.1"', "nlu:"]
    for (intent, language), texts in blocks.items():
        if not texts:
            continue
        lines += [f"- intent: {intent}", "  metadata:", f"    language: {language}", "  examples: |"]
        lines += [_yaml_example(t) for t in texts]
    return "\n".join(lines) + "\n"


def held_out_files(split_: Split) -> Dict[Path, str]:
    source = split_.source
    files: Dict[Path, str] = {}
    intents = [OUT_OF_SCOPE] + [i for i in source.extra_held_out]
    for intent in intents:
        blocks: Dict[Tuple[str, str], List[str]] = {}
        for lang in source.languages:
            seen: set = set()
            texts = []
            for record in split_.held_out:
                if record.intent != intent:
                    continue
                for l, text in record.texts:
                    if l == lang and normalise(text) not in seen:
                        seen.add(normalise(text))
                        texts.append(text)
            blocks[(intent, lang)] = texts
        suffix = "" if intent == OUT_OF_SCOPE else f"-{source.extra_held_out[intent]}"
        name = HELD_OUT_DIR / f"{source.name}{suffix}.yml"
        files[name] = render_nlu(source, blocks, f"held-out {intent}, never trained on")
    return files


def training_file_name(language: str) -> Path:
    return NLU_DIR / language / "out_of_scope_corpus.yml"


def gate_file_name(language: str) -> Path:
    return NLU_DIR / language / "gate_negatives.yml"


def hand_written_texts() -> set:
    """The normalised examples of the hand-written training data: a corpus sentence equal
    to one of them ("howa hadak" is also small talk) would teach two intents one text."""
    generated = {training_file_name("x").name, gate_file_name("x").name}
    texts = set()
    for path in NLU_DIR.glob("*/*.yml"):
        if path.name in generated:
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.lstrip().startswith("- ") and not line.lstrip().startswith("- intent:"):
                texts.add(normalise(re.sub(r"\[([^\]]+)\](\{[^}]*\}|\([^)]*\))", r"\1", line.lstrip()[2:])))
    return texts


def render_all(train_per_script: int = DEFAULT_TRAIN_PER_SCRIPT,
               sources: Optional[Sequence[Source]] = None,
               gate_per_script: int = DEFAULT_GATE_PER_SCRIPT) -> Dict[Path, str]:
    """Every generated file (held-out, training, gate-only) and its text; nothing written."""
    sources = list(sources or SOURCES.values())
    files: Dict[Path, str] = {}
    training: Dict[str, Dict[str, List[str]]] = {}
    gate: Dict[str, Dict[str, List[str]]] = {}
    taken = hand_written_texts()
    for source in sources:
        files.update(held_out_files(split(source)))
        for lang, pool in training_pool(source).items():
            texts = [t for t in pool if normalise(t) not in taken]
            training.setdefault(lang, {})[source.name] = texts[:train_per_script]
            gate.setdefault(lang, {})[source.name] = texts[train_per_script : train_per_script + gate_per_script]
    for lang, by_source in training.items():
        blocks = {(OUT_OF_SCOPE, lang): [t for texts in by_source.values() for t in texts]}
        files[training_file_name(lang)] = render_nlu_multi(list(by_source), blocks, train_per_script)
    if gate_per_script:
        for lang, by_source in gate.items():
            blocks = {(OUT_OF_SCOPE, lang): [t for texts in by_source.values() for t in texts]}
            files[gate_file_name(lang)] = render_nlu_multi(list(by_source), blocks, gate_per_script, gate_only=True)
    return files


def write_all(train_per_script: int = DEFAULT_TRAIN_PER_SCRIPT,
              sources: Optional[Sequence[Source]] = None,
              gate_per_script: int = DEFAULT_GATE_PER_SCRIPT) -> Dict[Path, Counter]:
    """Write the held-out files and data/nlu/<language>/{out_of_scope_corpus,gate_negatives}.yml;
    returns counts per file."""
    counts: Dict[Path, Counter] = {}
    for path, text in render_all(train_per_script, sources, gate_per_script).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        counts[path] = count_examples(text)
    return counts


def render_nlu_multi(source_names: Sequence[str], blocks: Mapping[Tuple[str, str], Sequence[str]], n: int,
                     gate_only: bool = False) -> str:
    names = ", ".join(f"data/corpora/{s}/" for s in source_names)
    what = "the domain gate's out_of_scope only" if gate_only else "training out_of_scope"
    option = "--gate-per-script" if gate_only else "--train-per-script"
    lines = [
        f"# GENERATED by `{COMMAND} {option} {n}` from {names} ({what}, "
        f"at most {n} per source and script); do not edit: change bot/tools/negatives.py or the corpus and run it again.",
        "# Sources and licences: " + ", ".join(f"data/corpora/{s}/SOURCE.md" for s in source_names),
        'version: "3.1"',
        "nlu:",
    ]
    for (intent, language), texts in blocks.items():
        lines += [f"- intent: {intent}", "  metadata:", f"    language: {language}"]
        lines += [f"    {GATE_ONLY}: true"] if gate_only else []
        lines += ["  examples: |", *(_yaml_example(t) for t in texts)]
    return "\n".join(lines) + "\n"


def count_examples(text: str) -> Counter:
    counts: Counter = Counter()
    language = "?"
    for line in text.splitlines():
        if line.startswith("    language: "):
            language = line.split(": ", 1)[1]
        elif line.startswith("    - "):
            counts[language] += 1
    return counts


# ---------------------------------------------------------------- CLI

def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.splitlines()[0])
    parser.add_argument("--train-per-script", type=int, default=DEFAULT_TRAIN_PER_SCRIPT,
                        help="training examples per source and language/script (default %(default)s)")
    parser.add_argument("--gate-per-script", type=int, default=DEFAULT_GATE_PER_SCRIPT,
                        help="further examples per source and language that train the domain gate alone (default %(default)s)")
    parser.add_argument("--list-dropped", action="store_true", help="print the dropped lines with the reason, write nothing")
    args = parser.parse_args(argv)
    if args.list_dropped:
        for source in SOURCES.values():
            for d in dropped(source):
                print(json.dumps({"source": source.name, "reason": d.reason, "texts": dict(d.record.texts),
                                  "label": d.record.label}, ensure_ascii=False))
        return 0
    for path, counts in write_all(args.train_per_script, gate_per_script=args.gate_per_script).items():
        shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        print(f"{shown}: " + ", ".join(f"{k}={v}" for k, v in sorted(counts.items())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
