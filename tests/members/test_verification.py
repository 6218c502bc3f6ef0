"""actions.members.verification and status: the pure rules."""
from datetime import date, datetime, timedelta

import pytest

from actions.members.status import Beneficiary, CorruptRecord, Member, file_status
from actions.members.verification import (
    MAX_DELAY,
    PER_CONVERSATION,
    Attempt,
    Limit,
    delay_after,
    delayed_until,
    identity_matches,
    locked_until,
)

T0 = datetime(2026, 11, 25, 9, 0)


def minutes(*offsets: float, success: bool = False):
    return [Attempt(T0 + timedelta(minutes=m), success) for m in offsets]


@pytest.mark.parametrize(
    "recorded, given, expected",
    [
        (date(1985, 3, 12), date(1985, 3, 12), True),
        (date(1985, 3, 12), date(1985, 12, 3), False),
        (None, date(1985, 3, 12), False),  # unknown identifier: the same failure
    ],
)
def test_identity_matches(recorded, given, expected) -> None:
    assert identity_matches(recorded, given) is expected


LOCKS = [
    # attempts, now (minutes after T0), lock end (minutes after T0) or None
    (minutes(0, 1), 2, None),
    (minutes(0, 1, 2), 3, 32),
    (minutes(0, 1, 2), 32, None),  # the lock has ended
    (minutes(0, 1) + minutes(1.5, success=True) + minutes(2), 3, None),  # a success clears the count
    (minutes(0, 1, 2, 40, 41), 42, None),  # a new count after the lock
    (minutes(0, 1, 2, 40, 41, 42), 43, 72),
    (minutes(0, 60 * 24 + 1, 60 * 24 + 2), 60 * 24 + 3, None),  # the first failure left the window
]


@pytest.mark.parametrize("attempts, now, end", LOCKS)
def test_conversation_lock(attempts, now, end) -> None:
    expected = T0 + timedelta(minutes=end) if end is not None else None
    assert locked_until(attempts, PER_CONVERSATION, T0 + timedelta(minutes=now)) == expected


def test_member_delay_grows_1_2_4_minutes_and_stops_at_the_documented_cap() -> None:
    assert [delay_after(n) for n in range(1, 11)] == [timedelta(minutes=m) for m in (0, 0, 1, 2, 4, 8, 16, 32, 60, 60)]
    assert MAX_DELAY == timedelta(minutes=60)
    assert max(delay_after(n) for n in range(1, 1000)) == MAX_DELAY


def test_member_delay_runs_from_the_last_failure() -> None:
    assert delayed_until(minutes(0, 1), T0 + timedelta(minutes=1)) is None  # two free failures
    assert delayed_until(minutes(0, 1, 2), T0 + timedelta(minutes=2)) == T0 + timedelta(minutes=3)
    assert delayed_until(minutes(0, 1, 2), T0 + timedelta(minutes=3)) is None
    assert delayed_until(minutes(0, 1, 2, 3, 5), T0 + timedelta(minutes=5)) == T0 + timedelta(minutes=9)


def test_a_success_or_24_hours_clear_the_member_delay() -> None:
    failures = minutes(0, 1, 2, 3, 5, 9, 17, 33)
    assert delayed_until(failures, T0 + timedelta(minutes=33)) == T0 + timedelta(minutes=33 + 32)
    assert delayed_until(failures + minutes(70, success=True), T0 + timedelta(minutes=70)) is None
    # A day later the old failures no longer count: the next one is free.
    later = T0 + timedelta(hours=25)
    assert delayed_until(failures + [Attempt(later, False)], later) is None


def test_any_number_of_failures_delays_by_at_most_the_cap() -> None:
    """However many failures a stranger causes, the member waits at most MAX_DELAY after the last."""
    failures = minutes(*range(0, 500))
    last = failures[-1].at
    end = delayed_until(failures, last)
    assert end is not None and end - last <= MAX_DELAY
    assert delayed_until(failures, last + MAX_DELAY) is None


def test_attempts_are_sorted_before_counting() -> None:
    limit = Limit(max_failures=2, window=timedelta(minutes=10), lock_for=timedelta(minutes=5))
    attempts = list(reversed(minutes(0, 1)))
    assert locked_until(attempts, limit, T0 + timedelta(minutes=2)) == T0 + timedelta(minutes=6)


def member(**changes) -> Member:
    fields = dict(
        immatriculation="999900003", cin="ZZ100003", birth_date=date(1990, 1, 25), category="trader",
        registration_status="active", status_date=date(2025, 5, 20), rights_open_since=date(2025, 6, 1),
        contributions_paid_until=date(2026, 10, 1),
    )
    fields.update(changes)
    return Member(**fields)


TODAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    "changes, up_to_date, next_step",
    [
        ({}, True, "nothing_to_do"),
        ({"contributions_paid_until": date(2026, 11, 1)}, True, "nothing_to_do"),
        ({"contributions_paid_until": date(2026, 9, 1)}, False, "pay_contributions"),
        ({"contributions_paid_until": None}, None, "nothing_to_do"),
        ({"registration_status": "suspended"}, True, "pay_contributions"),
        ({"registration_status": "pending_validation"}, True, "wait_for_validation"),
        ({"registration_status": "incomplete", "missing_documents": ("rib",)}, True, "send_missing_documents"),
        ({"registration_status": "rejected", "rejection_reason": "already_insured"}, True, "contact_cnss"),
    ],
)
def test_file_status(changes, up_to_date, next_step) -> None:
    status = file_status(member(**changes), TODAY)
    assert (status.contributions_up_to_date, status.next_step) == (up_to_date, next_step)


def test_up_to_date_in_january_looks_at_december() -> None:
    january = date(2027, 1, 10)
    assert file_status(member(contributions_paid_until=date(2026, 12, 1)), january).contributions_up_to_date
    assert not file_status(member(contributions_paid_until=date(2026, 11, 1)), january).contributions_up_to_date


def test_status_counts_beneficiaries_by_type_and_hides_what_does_not_apply() -> None:
    children = (Beneficiary("child", date(2016, 9, 3), "active"), Beneficiary("child", date(2019, 2, 14), "pending"))
    status = file_status(member(beneficiaries=(Beneficiary("spouse", date(1992, 4, 8), "active"),) + children), TODAY)
    assert status.beneficiaries == {"spouse": 1, "child": 2}
    assert status.rights_open_since == date(2025, 6, 1)
    pending = file_status(member(registration_status="pending_validation"), TODAY)
    assert pending.rights_open_since is None and pending.rejection_reason is None


@pytest.mark.parametrize(
    "changes",
    [
        {"registration_status": "lost"},
        {"category": "astronaut"},
        {"missing_documents": ("passport",)},
        {"rejection_reason": "because"},
        {"beneficiaries": (Beneficiary("cousin", date(2000, 1, 1), "active"),)},
    ],
)
def test_unknown_values_are_a_corrupt_record(changes) -> None:
    with pytest.raises(CorruptRecord):
        member(**changes)
