import pytest

from bot.tools.review.grouping import group, normalise, similarity, skeleton
from bot.shared.unanswered import Filters


@pytest.mark.parametrize(
    "text, expected",
    [
        ("chhal nkhalss", "chl nxls"),
        ("ch7al nkhles", "chl nxls"),
        ("شحال نخلص", "chl nxls"),
        ("wach mrati t9der tdkhol m3aya", "wc mrt tqdr tdxl m"),
        ("واش مراتي تقدر تدخل معايا", "wc mrt tqdr tdxl m"),
        ("😀 ???", ""),
    ],
)
def test_both_darija_scripts_share_a_skeleton(text, expected):
    assert skeleton(normalise(text)) == expected


def test_near_duplicates_score_high_and_unrelated_questions_low():
    texts = ["chhal nkhalss", "شحال نخلص", "combien je dois payer", "combien dois-je payer par mois",
             "quel temps fait-il demain"]
    scores = similarity(texts)
    assert scores[0, 1] > 0.9
    assert scores[2, 3] > 0.6
    assert scores[0, 2] < 0.1 and scores[2, 4] < 0.1


def test_similarity_of_texts_without_letters():
    assert similarity(["😀", "???"]).tolist() == [[1.0, 0.0], [0.0, 1.0]]


def _groups_by_text(store):
    return {r.text: g for g in group(store.select(Filters())) for r in g.records}


def test_near_duplicates_grouped_across_scripts(store, week):
    groups = _groups_by_text(store)
    together = [
        ("chhal nkhalss", "ch7al nkhles", "شحال نخلص", "شحال خاصني نخلص"),
        ("wach mrati tqder tdkhol m3aya", "wach mrati t9der tdkhol m3aya", "واش مراتي تقدر تدخل معايا"),
        ("combien je dois payer", "combien dois-je payer par mois"),
        ("imta ghaykhlsouni 3la dwa", "إمتى غادي يخلصوني على الدوا"),
    ]
    for texts in together:
        assert {groups[t].number for t in texts} == {groups[texts[0]].number}, texts
    # unrelated questions stay apart, even on the same topic ("payer" in French vs Darija)
    leaders = [texts[0] for texts in together] + [
        "quel temps fait-il demain", "chkoun rb7 lmatch lbar7", "كم يجب أن أدفع للتسجيل"]
    assert len({groups[t].number for t in leaders}) == len(leaders)


def test_group_facts(store, week):
    [largest, *_] = group(store.select(Filters()))
    assert largest.count == 4
    assert largest.number == week["chhal nkhalss"]  # the smallest id names the group
    assert largest.languages == {"dar-latn": 2, "dar": 2}
    assert (largest.first_seen.day, largest.last_seen.day) == (18, 22)
    assert largest.representative in {"chhal nkhalss", "ch7al nkhles", "شحال نخلص"}


def test_group_numbers_stay_when_other_groups_are_reviewed(store, week):
    before = {g.number: {r.id for r in g.records} for g in group(store.select(Filters(reviewed=False)))}
    store.mark_reviewed([week["combien je dois payer"], week["combien dois-je payer par mois"]], "ignored")
    after = {g.number: {r.id for r in g.records} for g in group(store.select(Filters(reviewed=False)))}
    assert week["combien je dois payer"] not in after
    assert after == {n: ids for n, ids in before.items() if n != week["combien je dois payer"]}


def test_nothing_to_group():
    assert group([]) == []


def test_too_many_texts_is_a_clear_error(store, week, monkeypatch, capsys, db_url):
    from bot.tools.review import grouping
    from bot.tools.review.__main__ import main

    monkeypatch.setattr(grouping, "MAX_TEXTS", 5)
    with pytest.raises(grouping.TooManyTexts):
        group(store.select(Filters()))
    assert main(["--db", db_url, "groups"]) == 2
    assert "15 distinct texts: group at most 5 at a time" in capsys.readouterr().err
