import asyncio
import csv
from datetime import datetime, timezone

import pytest
from rasa.shared.nlu.training_data.loading import load_data

from bot.tools.review.__main__ import main
from bot.shared.unanswered import Filters
from tests.review.conftest import WEEK


@pytest.fixture
def review(db_url, capsys):
    """Runs `python -m bot.tools.review --db URL ...`; returns (exit code, stdout, stderr)."""

    def run(*args):
        code = main(["--db", db_url, *map(str, args)])
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def project(tmp_path):
    """A data/nlu directory and a domain, like the project's."""
    nlu = tmp_path / "data" / "nlu"
    (nlu / "reviewed").mkdir(parents=True)
    domain = tmp_path / "domain.yml"
    domain.write_text('version: "3.1"\nintents:\n  - ask_contribution_amount\n  - out_of_scope\n')
    return nlu, domain


def test_list_with_filters(review, week):
    code, out, _ = review("list", "--language", "fr", "--channel", "rest")
    assert code == 0
    assert f"#{week['combien je dois payer']}\t2026-11-19 14:00\tfr\trest\tfallback" in out
    assert "quel temps fait-il demain" in out
    assert "combien dois-je payer" not in out  # WhatsApp
    assert out.endswith("2 of 2 messages shown\n")


def test_list_since_until_and_limit(review, week):
    _, out, _ = review("list", "--since", "2026-11-23", "--until", "2026-11-23", "--limit", "1")
    assert out.endswith("1 of 2 messages shown\n")
    assert "واش مراتي تقدر تدخل معايا" in out  # the later of the two


def test_bad_date_is_a_usage_error(review):
    with pytest.raises(SystemExit) as exit_:
        review("list", "--since", "23/11/2026")
    assert exit_.value.code == 2


def test_groups(review, week):
    code, out, _ = review("groups", "--top", "2")
    assert code == 0
    assert f"group {week['chhal nkhalss']}\t4 messages\tfirst 2026-11-18 09:00\tlast 2026-11-22 18:00\tdar-latn 2, dar 2" in out
    assert f"group {week['wach mrati tqder tdkhol m3aya']}\t3 messages" in out
    # 4 + 3 + 2 + 2 near-duplicates, and 4 questions on their own
    assert out.endswith(f"2 of {len(WEEK) - 11 + 4} groups shown\n")


def test_label_a_group_writes_training_data_and_marks_it_reviewed(review, week, project, store):
    nlu, domain = project
    number = week["chhal nkhalss"]
    code, out, _ = review("label", "--group", number, "ask_contribution_amount",
                          "--data", nlu, "--domain", domain)
    assert code == 0
    assert "4 examples added" in out and "4 messages marked reviewed as ask_contribution_amount" in out
    assert "new intent" not in out
    data = load_data(str(nlu / "reviewed" / "ask_contribution_amount.yml"))
    assert {m.get("intent") for m in data.intent_examples} == {"ask_contribution_amount"}
    assert {m.get("text") for m in data.intent_examples} == {
        "chhal nkhalss", "ch7al nkhles", "شحال نخلص", "شحال خاصني نخلص"}
    reviewed = store.select(Filters(reviewed=True))
    assert {r.text for r in reviewed} == {"chhal nkhalss", "ch7al nkhles", "شحال نخلص", "شحال خاصني نخلص"}
    # reviewed messages leave the queue: the same group is not there any more
    code, _, err = review("label", "--group", number, "ask_contribution_amount", "--data", nlu, "--domain", domain)
    assert code == 2 and f"no group {number}" in err


def test_label_one_message_to_a_new_intent(review, week, project, store):
    nlu, domain = project
    code, out, _ = review("label", week["chkoun rb7 lmatch lbar7"], "ask_football", "--data", nlu, "--domain", domain)
    assert code == 0
    assert "'ask_football' is a new intent. Add it to domain/core.yml" in out
    [example] = load_data(str(nlu / "reviewed" / "ask_football.yml")).intent_examples
    assert (example.get("text"), example.get("intent")) == ("chkoun rb7 lmatch lbar7", "ask_football")
    assert [r.label for r in store.select(Filters(reviewed=True))] == ["ask_football"]


@pytest.mark.parametrize(
    "args, message",
    [
        (("label", "ask_contribution_amount"), "usage: label ID INTENT"),
        (("label", "x", "ask_contribution_amount"), "not a message ID"),
        (("label", "999", "ask_contribution_amount"), "no message #999"),
        (("label", "1", "Bad-Name"), "is not an intent name"),
        (("label", "1", "ignored"), "is reserved"),
        (("ignore",), "give either a message ID or --group N"),
        (("ignore", "1", "--group", "1"), "give either a message ID or --group N"),
    ],
)
def test_label_and_ignore_usage_errors(review, week, project, args, message):
    nlu, domain = project
    code, _, err = review(*args, "--data", nlu, "--domain", domain) if args[0] == "label" else review(*args)
    assert code == 2 and message in err
    assert list((nlu / "reviewed").iterdir()) == []


def test_ignore_a_group_and_a_message(review, week, store):
    code, out, _ = review("ignore", "--group", week["combien je dois payer"])
    assert code == 0 and "2 messages marked reviewed as ignored" in out
    code, out, _ = review("ignore", week["quel temps fait-il demain"])
    assert code == 0 and "1 message marked reviewed as ignored" in out
    assert {r.text for r in store.select(Filters(reviewed=True))} == {
        "combien je dois payer", "combien dois-je payer par mois", "quel temps fait-il demain"}


def test_export_csv_round_trips_arabic_for_excel(review, week, tmp_path):
    target = tmp_path / "week.csv"
    code, out, _ = review("export", "--csv", target, "--language", "dar")
    assert code == 0 and out.endswith(f"4 messages written to {target}\n")
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for UTF-8
    with target.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["text"] for r in rows] == ["شحال نخلص", "شحال خاصني نخلص", "إمتى غادي يخلصوني على الدوا",
                                         "واش مراتي تقدر تدخل معايا"]
    assert rows[0]["top_intents"] == "ask_contribution_amount 0.31"


def test_export_csv_neutralises_formulas(review, store, tmp_path):
    from bot.shared.unanswered import Question

    store.record(Question(text='=HYPERLINK("http://x","clic")', reason="fallback"), "member")
    target = tmp_path / "out.csv"
    review("export", "--csv", target)
    with target.open(encoding="utf-8-sig", newline="") as handle:
        [row] = list(csv.DictReader(handle))
    assert row["text"] == '\'=HYPERLINK("http://x","clic")'


def test_report_is_one_file_with_charts_and_escaped_texts(review, week, tmp_path):
    target = tmp_path / "report.html"
    code, _, _ = review("report", "--html", target)
    assert code == 0
    assert [p.name for p in tmp_path.iterdir() if p.name != "analytics"] == ["report.html"]
    html = target.read_text(encoding="utf-8")
    assert html.count('src="data:image/png;base64,') == 1  # per day by language
    assert "&lt;script&gt;alert(1)&lt;/script&gt; chno hada" in html
    assert "<script" not in html and 'src="http' not in html and "<link" not in html
    assert "the share of messages answered is unknown" in html
    assert "شحال نخلص" in html or "ch7al nkhles" in html or "chhal nkhalss" in html


def _tracker_store(path, user_messages_per_day):
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(path))
    for day, count in user_messages_per_day.items():
        events = [UserUttered(f"message {i}", timestamp=datetime(2026, 11, day, 12, i, tzinfo=timezone.utc).timestamp())
                  for i in range(count)]
        asyncio.run(store.save(DialogueStateTracker.from_events(f"member-{day}", events)))
    store.engine.dispose()


def test_report_shows_the_share_answered_from_the_tracker_store(review, week, tmp_path):
    # 15 unanswered from 18 to 24 November; 10 member messages a day, 70 in all
    _tracker_store(tmp_path / "rasa.db", {day: 10 for day in range(17, 25)})
    target = tmp_path / "report.html"
    code, _, _ = review("report", "--html", target, "--since", "2026-11-18",
                        "--tracker-db", f"sqlite:///{tmp_path / 'rasa.db'}")
    assert code == 0
    html = target.read_text(encoding="utf-8")
    assert "<p>70 member messages, 15 unanswered: 78.6% answered.</p>" in html
    assert html.count('src="data:image/png;base64,') == 2


def test_a_broken_database_gives_a_clear_error(capsys):
    code = main(["--db", "postgresql://amo:secret@127.0.0.1:1/analytics", "list"])
    err = capsys.readouterr().err
    assert code == 1
    assert "a database could not be used (OperationalError)" in err and "secret" not in err
