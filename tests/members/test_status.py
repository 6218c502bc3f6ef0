"""actions/members/status.py: "up to date" and the next step by the way the member pays
(facts §6.2, §6.4, §10), as tables; and every step and standing has its response."""
from datetime import date

import pytest

from actions.members import status as rules
from actions.members.demo import demo_members
from actions.members.status import (
    DEPENDS_ON_PERIOD,
    LATE,
    UP_TO_DATE,
    CorruptRecord,
    Member,
    contributions_answer,
    contributions_standing,
    file_status,
)
from tests.helpers import DOMAIN

# Mid-quarter (October-December), mid-year.
NOV_25 = date(2026, 11, 25)


def month(year: int, number: int) -> date:
    return date(year, number, 1)


@pytest.mark.parametrize(
    "periods, paid_until, today, standing",
    [
        # Monthly, owed once over (CNSS directly, employer): last month must be paid, this one may still be.
        (("monthly",), month(2026, 11), NOV_25, UP_TO_DATE),
        (("monthly",), month(2026, 10), NOV_25, UP_TO_DATE),
        (("monthly",), month(2026, 9), NOV_25, LATE),
        (("monthly",), month(2026, 12), date(2027, 1, 10), UP_TO_DATE),
        (("monthly",), month(2026, 11), date(2027, 1, 10), LATE),
        # Quarterly: the last quarter that ended (July-September on 25 November) must be paid.
        (("quarterly",), month(2026, 9), NOV_25, UP_TO_DATE),
        (("quarterly",), month(2026, 9), date(2026, 10, 1), UP_TO_DATE),
        (("quarterly",), month(2026, 9), date(2026, 12, 31), UP_TO_DATE),
        (("quarterly",), month(2026, 6), NOV_25, LATE),
        (("quarterly",), month(2026, 8), NOV_25, LATE),
        (("quarterly",), month(2026, 12), date(2027, 3, 31), UP_TO_DATE),
        (("quarterly",), month(2026, 9), date(2027, 1, 5), LATE),
        # Yearly: last year must be paid, all of this year may still be.
        (("yearly",), month(2025, 12), NOV_25, UP_TO_DATE),
        (("yearly",), month(2025, 11), NOV_25, LATE),
        (("yearly",), month(2025, 12), date(2027, 1, 5), LATE),
        # The choice is not recorded: up to date under both, late under both, or it depends.
        (("quarterly", "yearly"), month(2026, 9), NOV_25, UP_TO_DATE),
        (("quarterly", "yearly"), month(2026, 6), NOV_25, DEPENDS_ON_PERIOD),
        (("quarterly", "yearly"), month(2025, 12), NOV_25, DEPENDS_ON_PERIOD),
        (("quarterly", "yearly"), month(2025, 9), NOV_25, LATE),
        (("quarterly", "yearly"), month(2025, 12), date(2026, 2, 1), UP_TO_DATE),
        # Nothing paid yet, or nothing to pay (Tadamon).
        (("monthly",), None, NOV_25, None),
        ((), month(2020, 1), NOV_25, None),
    ],
)
def test_up_to_date_depends_on_the_period(periods, paid_until, today, standing) -> None:
    assert contributions_standing(paid_until, periods, today) == standing


@pytest.mark.parametrize(
    "paid_until, today, standing",
    [
        # Achamil: "monthly, due from the first day of the month" (facts §6.4): on the 15th,
        # the month under way is owed; a month is owed from its 1st, not from its end.
        (month(2026, 11), date(2026, 11, 15), UP_TO_DATE),
        (month(2026, 10), date(2026, 11, 15), LATE),
        (month(2026, 10), date(2026, 10, 31), UP_TO_DATE),
        (month(2026, 10), date(2026, 11, 1), LATE),
        (month(2026, 12), date(2027, 1, 1), LATE),
        (month(2027, 1), date(2027, 1, 1), UP_TO_DATE),
    ],
)
def test_a_month_owed_from_its_first_day_counts_the_month_under_way(paid_until, today, standing) -> None:
    assert contributions_standing(paid_until, ("monthly",), today, owed_from_first_day=True) == standing


def member(category: str, paid_until=month(2026, 10), state: str = "active", **changes) -> Member:
    fields = dict(
        immatriculation="999900099", cin="ZZ100099", birth_date=date(1980, 1, 1), category=category,
        registration_status=state, status_date=date(2024, 1, 1), rights_open_since=date(2024, 4, 1),
        contributions_paid_until=paid_until,
    )
    fields.update(changes)
    return Member(**fields)


@pytest.mark.parametrize(
    "category, paid_until, state, standing, step",
    [
        # TNS who pay the CNSS directly: the TNS payment link only for them.
        ("trader", month(2026, 10), "active", UP_TO_DATE, "nothing_to_do"),
        ("artisan", month(2026, 8), "active", LATE, "pay_contributions"),
        ("liberal", month(2026, 8), "suspended", LATE, "pay_contributions"),
        ("farmer", month(2026, 8), "active", LATE, "pay_contributions"),
        # CPU payers: the DGI with the CPU, never the TNS link.
        ("cpu", month(2026, 9), "active", UP_TO_DATE, "nothing_to_do_cpu"),
        ("cpu", month(2024, 12), "active", LATE, "pay_with_cpu"),
        ("cpu", month(2026, 3), "active", DEPENDS_ON_PERIOD, "pay_with_cpu"),
        ("cpu", month(2026, 3), "suspended", DEPENDS_ON_PERIOD, "pay_with_cpu"),
        # Auto-entrepreneurs: with their tax; not late in the middle of the quarter.
        ("auto_entrepreneur", month(2026, 9), "active", UP_TO_DATE, "nothing_to_do_tax"),
        ("auto_entrepreneur", month(2025, 5), "suspended", LATE, "pay_with_tax"),
        # Achamil: the direct debit; November is owed on 25 November.
        ("achamil", month(2026, 11), "active", UP_TO_DATE, "nothing_to_do_debit"),
        ("achamil", month(2026, 10), "active", LATE, "check_direct_debit"),
        ("achamil", month(2026, 8), "active", LATE, "check_direct_debit"),
        # Salaried: the employer.
        ("salaried", month(2026, 10), "active", UP_TO_DATE, "nothing_to_do_employer"),
        ("salaried", month(2026, 8), "active", LATE, "ask_employer"),
        # Tadamon: the State pays; nothing is ever late.
        ("tadamon", None, "active", None, "nothing_to_do_tadamon"),
        ("tadamon", month(2020, 1), "active", None, "nothing_to_do_tadamon"),
        ("tadamon", None, "suspended", None, "contact_cnss"),
        # Whatever the category, the file's state comes first.
        ("cpu", month(2024, 1), "pending_validation", LATE, "wait_for_validation"),
        ("salaried", None, "incomplete", None, "send_missing_documents"),
    ],
)
def test_next_step_by_category(category, paid_until, state, standing, step) -> None:
    missing = ("rib",) if state == "incomplete" else ()
    status = file_status(member(category, paid_until, state, missing_documents=missing), NOV_25)
    assert (status.contributions_standing, status.next_step) == (standing, step)


# What an up-to-date and a late member of each category is told to do next.
STEPS = {
    **{category: ("nothing_to_do", "pay_contributions") for category in ("trader", "artisan", "liberal", "farmer")},
    "cpu": ("nothing_to_do_cpu", "pay_with_cpu"),
    "auto_entrepreneur": ("nothing_to_do_tax", "pay_with_tax"),
    "achamil": ("nothing_to_do_debit", "check_direct_debit"),
    "salaried": ("nothing_to_do_employer", "ask_employer"),
}
# Monthly, and the facts give no deadline inside the month (§6.4, Gap 3): owed once it is over.
MONTHLY_PAYERS = ("trader", "artisan", "liberal", "farmer", "salaried")
TAX_PAYERS = ("cpu", "auto_entrepreneur")


@pytest.mark.parametrize("category", MONTHLY_PAYERS)
@pytest.mark.parametrize("period", ["monthly", None])
@pytest.mark.parametrize(
    "paid_until, today, standing",
    [
        # Paid up to October: November may be paid until its last day, not after.
        (month(2026, 10), date(2026, 11, 1), UP_TO_DATE),
        (month(2026, 10), date(2026, 11, 30), UP_TO_DATE),
        (month(2026, 10), date(2026, 12, 1), LATE),
        # Across the year: December paid, January under way.
        (month(2026, 12), date(2027, 1, 31), UP_TO_DATE),
        (month(2026, 12), date(2027, 2, 1), LATE),
    ],
)
def test_monthly_payers_owe_a_month_once_it_is_over(category, period, paid_until, today, standing) -> None:
    status = file_status(member(category, paid_until, payment_period=period), today)
    assert status.contributions_standing == standing
    assert status.next_step == STEPS[category][standing == LATE]
    assert status.payment_period == "monthly"
    if category == "salaried":  # the facts do not say how often the employer declares
        assert contributions_answer(status) == ("late_employer" if standing == LATE else UP_TO_DATE)
    else:
        assert contributions_answer(status) == f"{standing}_monthly"


@pytest.mark.parametrize("period", ["monthly", None])
@pytest.mark.parametrize(
    "paid_until, today, standing",
    [
        # On the 15th: up to date only with the month under way paid ("due from the first
        # day of the month", §6.4), where a trader or a salaried member paid up to last
        # month is up to date (test above).
        (month(2026, 11), date(2026, 11, 15), UP_TO_DATE),
        (month(2026, 10), date(2026, 11, 15), LATE),
        # From the month's first day, not its end.
        (month(2026, 10), date(2026, 10, 31), UP_TO_DATE),
        (month(2026, 10), date(2026, 11, 1), LATE),
        (month(2027, 1), date(2027, 1, 1), UP_TO_DATE),
        (month(2026, 12), date(2027, 1, 1), LATE),
    ],
)
def test_achamil_owes_the_month_under_way_from_its_first_day(period, paid_until, today, standing) -> None:
    status = file_status(member("achamil", paid_until, payment_period=period), today)
    assert status.contributions_standing == standing
    assert status.next_step == STEPS["achamil"][standing == LATE]
    assert status.payment_period == "monthly"
    assert contributions_answer(status) == f"{standing}_monthly"


def test_on_the_15th_only_achamil_owes_the_month_under_way() -> None:
    owed = {
        category: file_status(member(category, month(2026, 10)), date(2026, 11, 15)).contributions_standing
        for category in MONTHLY_PAYERS + ("achamil",)
    }
    assert owed == {**{category: UP_TO_DATE for category in MONTHLY_PAYERS}, "achamil": LATE}


@pytest.mark.parametrize("category", TAX_PAYERS)
@pytest.mark.parametrize(
    "period, paid_until, today, standing",
    [
        # By quarter: the last quarter that ended, on its last day and on the next one's first.
        ("quarterly", month(2026, 9), date(2026, 10, 1), UP_TO_DATE),
        ("quarterly", month(2026, 9), date(2026, 12, 31), UP_TO_DATE),
        ("quarterly", month(2026, 9), date(2027, 1, 1), LATE),
        ("quarterly", month(2026, 12), date(2027, 3, 31), UP_TO_DATE),
        ("quarterly", month(2026, 12), date(2027, 4, 1), LATE),
        ("quarterly", month(2026, 8), date(2026, 10, 1), LATE),  # two months of a quarter are not the quarter
        # By year: last year, on the year's last day and on the next one's first.
        ("yearly", month(2025, 12), date(2026, 1, 1), UP_TO_DATE),
        ("yearly", month(2025, 12), date(2026, 12, 31), UP_TO_DATE),
        ("yearly", month(2025, 12), date(2027, 1, 1), LATE),
        ("yearly", month(2026, 9), date(2027, 1, 1), LATE),  # three quarters are not the year
        ("yearly", month(2025, 6), date(2026, 4, 1), LATE),
    ],
)
def test_tax_payers_owe_their_own_period_once_it_is_over(category, period, paid_until, today, standing) -> None:
    status = file_status(member(category, paid_until, payment_period=period), today)
    assert status.contributions_standing == standing
    assert status.next_step == STEPS[category][standing == LATE]
    assert status.payment_period == period
    assert contributions_answer(status) == f"{standing}_{period}"


@pytest.mark.parametrize("category", TAX_PAYERS)
@pytest.mark.parametrize(
    "paid_until, today, standing",
    [
        # The period not recorded: both rules, on the boundaries of a quarter.
        (month(2025, 12), date(2026, 3, 31), UP_TO_DATE),
        (month(2025, 12), date(2026, 4, 1), DEPENDS_ON_PERIOD),
        (month(2026, 6), date(2026, 12, 31), DEPENDS_ON_PERIOD),
        (month(2026, 9), date(2026, 12, 31), UP_TO_DATE),
        (month(2026, 9), date(2027, 1, 1), LATE),
    ],
)
def test_tax_payers_whose_period_is_not_recorded(category, paid_until, today, standing) -> None:
    status = file_status(member(category, paid_until), today)
    assert status.contributions_standing == standing
    assert status.next_step == STEPS[category][standing != UP_TO_DATE]
    assert status.payment_period is None
    assert contributions_answer(status) == standing


def test_no_contributions_line_when_nothing_is_due_or_the_file_is_not_active() -> None:
    assert contributions_answer(file_status(member("tadamon", None), NOV_25)) is None
    assert contributions_answer(file_status(member("trader", None), NOV_25)) is None
    assert contributions_answer(file_status(member("trader", month(2024, 1), "suspended"), NOV_25)) is None


def test_a_recorded_choice_of_period_decides() -> None:
    paid = month(2026, 6)
    assert file_status(member("auto_entrepreneur", paid, payment_period="yearly"), NOV_25).next_step == "nothing_to_do_tax"
    assert file_status(member("auto_entrepreneur", paid, payment_period="quarterly"), NOV_25).next_step == "pay_with_tax"
    assert file_status(member("auto_entrepreneur", paid), NOV_25).contributions_standing == DEPENDS_ON_PERIOD


@pytest.mark.parametrize("category, period", [("trader", "yearly"), ("cpu", "monthly"), ("tadamon", "monthly")])
def test_a_period_the_category_does_not_allow_is_a_corrupt_record(category, period) -> None:
    with pytest.raises(CorruptRecord):
        member(category, payment_period=period)


def test_only_members_who_pay_the_cnss_directly_get_the_tns_link() -> None:
    link = "https://www.cnss.ma/bpc-payement/assure/tns/"
    for category in rules.CATEGORIES:
        for state in ("active", "suspended"):
            status = file_status(member(category, month(2024, 1), state), NOV_25)
            texts = [v["text"] for v in DOMAIN.responses[f"utter_file_status_next_{status.next_step}"]]
            sends_link = all(link in text for text in texts)
            assert sends_link == (rules.CHANNELS[category] == rules.CHANNEL_CNSS), (category, state, status.next_step)
            assert sends_link or not any(link in text for text in texts)


def test_every_step_and_standing_has_a_response_in_each_language() -> None:
    steps = set(rules.PAY_STEP.values()) | set(rules.NOTHING_STEP.values()) | {
        "wait_for_validation", "send_missing_documents", "contact_cnss"
    }
    standings = {UP_TO_DATE, LATE, DEPENDS_ON_PERIOD, "late_employer"} | {
        f"{standing}_{period}" for standing in (UP_TO_DATE, LATE) for period in ("monthly", "quarterly", "yearly")
    }
    names = [f"utter_file_status_next_{step}" for step in steps]
    names += [f"utter_file_status_contributions_{standing}" for standing in standings]
    names += [f"utter_file_status_{state}" for state in rules.REGISTRATION_STATUSES] + ["utter_file_status_suspended_tadamon"]
    for name in names:
        languages = sorted(v["condition"][0]["value"] for v in DOMAIN.responses[name])
        assert languages == ["ar", "dar", "fr"], name


@pytest.mark.parametrize("today", [date(2026, 1, 1), date(2026, 3, 31), date(2026, 4, 1), NOV_25, date(2026, 12, 31)])
def test_the_demo_has_an_up_to_date_and_a_late_member_for_each_way_and_period_of_paying(today) -> None:
    members = demo_members(today)
    statuses = [file_status(m, today) for m in members]
    told = {(s.channel, s.payment_period, s.contributions_standing) for s in statuses}
    for channel, periods in rules.CHANNEL_PERIODS.items():
        for period in periods + ((None,) if len(periods) > 1 else ()):
            assert {(channel, period, UP_TO_DATE), (channel, period, LATE)} <= told, (channel, period)
    assert (rules.CHANNEL_TAX, None, DEPENDS_ON_PERIOD) in told or today.month <= 3
    active = {m.category for m in members if m.registration_status == "active"}
    assert active == set(rules.CATEGORIES)


def test_the_demo_has_a_member_for_each_way_of_paying_and_standing() -> None:
    statuses = [file_status(m, NOV_25) for m in demo_members(NOV_25)]
    assert {s.channel for s in statuses} == set(rules.CHANNELS.values())
    steps = {s.next_step for s in statuses}
    assert set(rules.PAY_STEP.values()) - {"contact_cnss"} <= steps
    assert set(rules.NOTHING_STEP.values()) <= steps
    assert {s.contributions_standing for s in statuses} >= {UP_TO_DATE, LATE, DEPENDS_ON_PERIOD}
    members = demo_members(NOV_25)
    assert all(m.cin.startswith("ZZ") and m.immatriculation.startswith("9999") for m in members)
    assert len({m.cin for m in members}) == len({m.immatriculation for m in members}) == len(members)
