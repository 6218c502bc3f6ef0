"""Synthetic demo members, one per registration status (and with/without beneficiaries).

Every identity is obviously fake: CINs start with "ZZ", immatriculation numbers
with 9999. `python -m actions.members.demo` creates the schema in the database of
AMO_MEMBERS_DB_URL (default var/members.db) and (re)writes these members; running
it again changes nothing else.
"""
from __future__ import annotations

from datetime import date
from typing import Tuple

from actions.members.repository import MembersRepository, engine_from_env
from actions.members.status import Beneficiary, Member


def _month_start(today: date, months_back: int) -> date:
    index = today.year * 12 + today.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def demo_members(today: date) -> Tuple[Member, ...]:
    """Contributions are dated relative to `today` so "up to date" stays true."""
    paid_last_month = _month_start(today, 1)
    return (
        Member("999900001", "ZZ100001", date(1985, 3, 12), "trader", "pending_validation", date(2026, 11, 10)),
        Member(
            "999900002", "ZZ100002", date(1979, 7, 1), "artisan", "incomplete", date(2026, 10, 2),
            missing_documents=("cin_copy", "rib"),
        ),
        Member(
            "999900003", "ZZ100003", date(1990, 1, 25), "achamil", "active", date(2025, 5, 20),
            rights_open_since=date(2025, 6, 1), contributions_paid_until=paid_last_month,
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
        Member(
            "999900007", "ZZ100007", date(1969, 12, 24), "cpu", "active", date(2023, 1, 10),
            rights_open_since=date(2023, 4, 1), contributions_paid_until=_month_start(today, 4),
            beneficiaries=(Beneficiary("disabled_child", date(1998, 8, 8), "active"),),
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
    print(f"{seed(MembersRepository(engine_from_env()))} demo members written")
