"""Synthetic demo members: one per registration status, one active member per
category, and for each way of paying (CNSS directly, DGI with the CPU, with the
auto-entrepreneur's tax, Achamil direct debit, employer, nothing for Tadamon) and
each period the file can record (monthly; quarterly or yearly for CPU payers and
auto-entrepreneurs, or not recorded), one up to date and one late.

Every identity is obviously fake: CINs start with "ZZ", immatriculation numbers
with 9999. `python -m actions.members.demo` creates the schema in the database of
AMO_MEMBERS_DB_URL (default var/members.db) and (re)writes these members; running
it again changes nothing else.
"""
from __future__ import annotations

from datetime import date
from typing import Tuple

from actions.members.repository import MembersRepository, repository_from_env
from actions.members.status import Beneficiary, Member


def _month_start(today: date, months_back: int) -> date:
    index = today.year * 12 + today.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def _last_quarter_end(today: date, quarters_back: int) -> date:
    """The first day of the last month of the quarter that ended `quarters_back` quarters
    before the last one (0: the last quarter that ended)."""
    return _month_start(today, (today.month - 1) % 3 + 1 + 3 * quarters_back)


def _last_year_end(today: date, years_back: int) -> date:
    """December of the year `years_back` years before the last one (0: last year)."""
    return date(today.year - 1 - years_back, 12, 1)


def demo_members(today: date) -> Tuple[Member, ...]:
    """Contributions are dated relative to `today` so "up to date" stays true."""
    paid_last_month = _month_start(today, 1)
    # Achamil's month is owed from its first day (status.OWED_FROM_FIRST_DAY): up to date
    # means this month's debit has gone through.
    paid_this_month = _month_start(today, 0)
    return (
        Member("999900001", "ZZ100001", date(1985, 3, 12), "trader", "pending_validation", date(2026, 11, 10)),
        Member(
            "999900002", "ZZ100002", date(1979, 7, 1), "artisan", "incomplete", date(2026, 10, 2),
            missing_documents=("cin_copy", "rib"),
        ),
        Member(
            "999900003", "ZZ100003", date(1990, 1, 25), "achamil", "active", date(2025, 5, 20),
            rights_open_since=date(2025, 6, 1), contributions_paid_until=paid_this_month,
            beneficiaries=(
                Beneficiary("spouse", date(1992, 4, 8), "active"),
                Beneficiary("child", date(2016, 9, 3), "active"),
                Beneficiary("child", date(2019, 2, 14), "active"),
            ),
        ),
        Member(
            "999900004", "ZZ100004", date(1988, 11, 30), "liberal", "active", date(2024, 2, 1),
            rights_open_since=date(2024, 5, 1), contributions_paid_until=paid_last_month,
        ),
        Member(
            "999900005", "ZZ100005", date(1975, 5, 5), "auto_entrepreneur", "suspended", date(2025, 9, 1),
            rights_open_since=date(2022, 3, 1), contributions_paid_until=date(2025, 5, 1),
            beneficiaries=(
                Beneficiary("spouse", date(1978, 12, 1), "active"),
                Beneficiary("student_child", date(2003, 6, 21), "active"),
            ),
        ),
        Member(
            "999900006", "ZZ100006", date(1992, 9, 15), "farmer", "rejected", date(2026, 6, 30),
            rejection_reason="already_insured",
        ),
        # A CPU payer late by any rule (nothing paid for the last two years): the DGI, not the TNS link.
        Member(
            "999900007", "ZZ100007", date(1969, 12, 24), "cpu", "active", date(2023, 1, 10),
            rights_open_since=date(2023, 4, 1), contributions_paid_until=_month_start(today, today.month + 12),
            beneficiaries=(Beneficiary("disabled_child", date(1998, 8, 8), "active"),),
        ),
        # Salaried, up to date: the employer declares and pays.
        Member(
            "999900008", "ZZ100008", date(1983, 4, 17), "salaried", "active", date(2019, 9, 2),
            rights_open_since=date(2019, 11, 1), contributions_paid_until=paid_last_month,
            beneficiaries=(Beneficiary("spouse", date(1985, 1, 30), "active"), Beneficiary("child", date(2012, 5, 6), "active")),
        ),
        # AMO Tadamon: nothing to pay.
        Member(
            "999900009", "ZZ100009", date(1971, 10, 2), "tadamon", "active", date(2022, 12, 1),
            rights_open_since=date(2022, 12, 1),
            beneficiaries=(Beneficiary("child", date(2010, 3, 3), "active"), Beneficiary("child", date(2014, 7, 21), "active")),
        ),
        # Auto-entrepreneur paid up to the last quarter that ended: up to date mid-quarter.
        Member(
            "999900010", "ZZ100010", date(1994, 6, 9), "auto_entrepreneur", "active", date(2022, 2, 14),
            rights_open_since=date(2022, 3, 1), contributions_paid_until=_last_quarter_end(today, 0),
        ),
        # Achamil, the month under way and the two before it unpaid: check the direct-debit account.
        Member(
            "999900011", "ZZ100011", date(1987, 2, 28), "achamil", "active", date(2024, 3, 4),
            rights_open_since=date(2024, 6, 1), contributions_paid_until=_month_start(today, 3),
        ),
        # A trader paying the CNSS directly, two months unpaid: the TNS payment link.
        Member(
            "999900012", "ZZ100012", date(1980, 8, 19), "trader", "active", date(2022, 1, 5),
            rights_open_since=date(2022, 2, 1), contributions_paid_until=_month_start(today, 3),
        ),
        # Salaried, the employer's declarations two months behind: see the employer.
        Member(
            "999900013", "ZZ100013", date(1976, 1, 5), "salaried", "active", date(2015, 6, 15),
            rights_open_since=date(2015, 8, 1), contributions_paid_until=_month_start(today, 3),
        ),
        # Auto-entrepreneur paid up to the quarter before the last one: late if they pay by
        # quarter, up to date if by year; the file does not say (from April to December;
        # from January to March both rules agree that it is late).
        Member(
            "999900014", "ZZ100014", date(1999, 12, 12), "auto_entrepreneur", "active", date(2023, 5, 2),
            rights_open_since=date(2023, 6, 1), contributions_paid_until=_last_quarter_end(today, 1),
        ),
        # A CPU payer paid up to the last quarter that ended: nothing to do, the DGI collects.
        Member(
            "999900015", "ZZ100015", date(1982, 3, 3), "cpu", "active", date(2022, 1, 3),
            rights_open_since=date(2022, 1, 1), contributions_paid_until=_last_quarter_end(today, 0),
        ),
        # Periods recorded in the file: the member's own rule decides, never "it depends".
        # Auto-entrepreneur paying by quarter, the last quarter that ended paid: up to date mid-quarter.
        Member(
            "999900016", "ZZ100016", date(1991, 4, 23), "auto_entrepreneur", "active", date(2022, 2, 20),
            rights_open_since=date(2022, 3, 1), contributions_paid_until=_last_quarter_end(today, 0),
            payment_period="quarterly",
        ),
        # Auto-entrepreneur paying by quarter, the last quarter that ended unpaid: late.
        Member(
            "999900017", "ZZ100017", date(1986, 10, 8), "auto_entrepreneur", "active", date(2022, 2, 21),
            rights_open_since=date(2022, 3, 1), contributions_paid_until=_last_quarter_end(today, 1),
            payment_period="quarterly",
        ),
        # Auto-entrepreneur paying by year, paid up to last December: up to date all year.
        Member(
            "999900018", "ZZ100018", date(1978, 1, 17), "auto_entrepreneur", "active", date(2022, 2, 22),
            rights_open_since=date(2022, 3, 1), contributions_paid_until=_last_year_end(today, 0),
            payment_period="yearly",
        ),
        # Auto-entrepreneur paying by year, last year unpaid: late.
        Member(
            "999900019", "ZZ100019", date(1995, 7, 30), "auto_entrepreneur", "active", date(2022, 2, 23),
            rights_open_since=date(2022, 3, 1), contributions_paid_until=_last_year_end(today, 1),
            payment_period="yearly",
        ),
        # CPU payers, the same four cases: the DGI collects.
        Member(
            "999900020", "ZZ100020", date(1973, 5, 14), "cpu", "active", date(2021, 12, 6),
            rights_open_since=date(2022, 1, 1), contributions_paid_until=_last_quarter_end(today, 0),
            payment_period="quarterly",
        ),
        Member(
            "999900021", "ZZ100021", date(1968, 9, 2), "cpu", "active", date(2021, 12, 7),
            rights_open_since=date(2022, 1, 1), contributions_paid_until=_last_quarter_end(today, 1),
            payment_period="quarterly",
        ),
        Member(
            "999900022", "ZZ100022", date(1984, 2, 11), "cpu", "active", date(2021, 12, 8),
            rights_open_since=date(2022, 1, 1), contributions_paid_until=_last_year_end(today, 0),
            payment_period="yearly",
        ),
        Member(
            "999900023", "ZZ100023", date(1977, 11, 26), "cpu", "active", date(2021, 12, 9),
            rights_open_since=date(2022, 1, 1), contributions_paid_until=_last_year_end(today, 1),
            payment_period="yearly",
        ),
        # An artisan paying the CNSS every month, up to date.
        Member(
            "999900024", "ZZ100024", date(1981, 6, 5), "artisan", "active", date(2022, 1, 12),
            rights_open_since=date(2022, 2, 1), contributions_paid_until=paid_last_month, payment_period="monthly",
        ),
        # A farmer paying the CNSS every month, two months unpaid: the TNS payment link.
        Member(
            "999900025", "ZZ100025", date(1966, 3, 19), "farmer", "active", date(2022, 4, 4),
            rights_open_since=date(2022, 5, 1), contributions_paid_until=_month_start(today, 3),
        ),
    )


DEMO_MEMBERS = demo_members(date.today())


def seed(repository: MembersRepository) -> int:
    """Creates the schema if needed and writes the demo members; returns how many."""
    repository.create_schema()
    for member in DEMO_MEMBERS:
        repository.save_member(member)
    return len(DEMO_MEMBERS)


if __name__ == "__main__":
    print(f"{seed(repository_from_env())} demo members written")
