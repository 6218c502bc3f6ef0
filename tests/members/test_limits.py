"""The look-up limits under concurrency and abuse (security review findings 2 and 8),
on SQLite and on PostgreSQL: concurrent guesses, a stranger delaying a member, a
spray over many identifiers from rotating conversations."""
from __future__ import annotations

import logging
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest

from actions.members import service as service_module
from actions.members import verification
from actions.members.demo import demo_members
from actions.members.repository import MembersRepository
from actions.members.service import FileStatusService, Locked, Mismatch, RateLimited, Verified
from bot.shared.identifiers import Identifier

ACTIVE = Identifier("cin", "ZZ100003")
ACTIVE_NUMBER = Identifier("immatriculation", "999900003")
ACTIVE_BORN = date(1990, 1, 25)
GUESSES = 50


@pytest.fixture
def seeded(repository: MembersRepository, clock) -> MembersRepository:
    for member in demo_members(clock.now.date()):
        repository.save_member(member)
    return repository


@pytest.fixture
def checks(monkeypatch) -> Counter:
    """How many birth dates were actually compared with the file."""
    counted: Counter = Counter()
    lock = threading.Lock()
    compare = verification.identity_matches

    def counting(recorded, given):
        with lock:
            counted["checked"] += 1
        return compare(recorded, given)

    monkeypatch.setattr(verification, "identity_matches", counting)
    return counted


def wrong_dates(n: int):
    """n distinct wrong birth dates (none is the member's)."""
    return [date(1950, 1, 1) + timedelta(days=i) for i in range(n)]


def test_50_concurrent_wrong_guesses_check_at_most_the_limit(service: FileStatusService, seeded, checks, clock):
    # Every guess from its own conversation, half by CIN and half by immatriculation:
    # one member, one count.
    for n in range(GUESSES):
        service.remember_identifier(f"attacker-{n}", ACTIVE if n % 2 else ACTIVE_NUMBER)
    with ThreadPoolExecutor(GUESSES) as pool:
        outcomes = list(pool.map(lambda pair: service.verify(f"attacker-{pair[0]}", pair[1]),
                                 enumerate(wrong_dates(GUESSES))))
    free_checks = verification.FREE_FAILURES + 1  # the failure that starts the delay is a check too
    assert checks["checked"] <= free_checks, Counter(type(o).__name__ for o in outcomes)
    assert not any(isinstance(o, Verified) for o in outcomes)
    assert sum(isinstance(o, Mismatch) for o in outcomes) <= verification.FREE_FAILURES
    # The right date right after is refused while the delay runs, and not checked.
    before = checks["checked"]
    service.remember_identifier("attacker-right", ACTIVE)
    assert isinstance(service.verify("attacker-right", ACTIVE_BORN), Locked)
    assert checks["checked"] == before


def test_50_concurrent_guesses_with_the_right_one_among_them_never_verify_past_the_limit(
    service: FileStatusService, seeded, checks
):
    dates = wrong_dates(GUESSES - 1) + [ACTIVE_BORN]
    for n in range(GUESSES):
        service.remember_identifier(f"attacker-{n}", ACTIVE)
    with ThreadPoolExecutor(GUESSES) as pool:
        outcomes = list(pool.map(lambda pair: service.verify(f"attacker-{pair[0]}", pair[1]), enumerate(dates)))
    assert checks["checked"] <= verification.FREE_FAILURES + 1
    verified = [n for n, outcome in enumerate(outcomes) if isinstance(outcome, Verified)]
    # Verified only if the right date happened to be among the first checks.
    assert verified in ([], [GUESSES - 1])


def test_a_stranger_delays_the_member_by_at_most_the_documented_delay(service: FileStatusService, seeded, clock):
    """A stranger who knows the CIN fails as often as the limits let him for a whole
    day; at any moment the member is at most MAX_DELAY away from a look-up."""
    guess = iter(wrong_dates(10_000))
    longest_wait = timedelta(0)
    start = clock.now
    n = 0
    while clock.now < start + timedelta(hours=24):
        n += 1
        service.remember_identifier(f"stranger-{n}", ACTIVE)
        outcome = service.verify(f"stranger-{n}", next(guess))
        if isinstance(outcome, Locked):
            longest_wait = max(longest_wait, outcome.until - clock.now)
            # The member's own look-up, as soon as the stranger's last failure is recorded.
            service.remember_identifier("member", ACTIVE)
            member = service.verify("member", ACTIVE_BORN)
            assert isinstance(member, Locked) and member.until - clock.now <= verification.MAX_DELAY
            clock.now = outcome.until  # the stranger comes back the moment he may
        else:
            assert outcome == Mismatch()
            clock.advance(seconds=1)
    assert longest_wait == verification.MAX_DELAY
    # The stranger's last failure, then he stops: MAX_DELAY later the member is verified.
    service.remember_identifier("stranger-last", ACTIVE)
    assert service.verify("stranger-last", next(guess)) == Locked(clock.now + verification.MAX_DELAY)
    service.remember_identifier("member", ACTIVE)
    assert isinstance(service.verify("member", ACTIVE_BORN), Locked)
    clock.now += verification.MAX_DELAY
    service.remember_identifier("member", ACTIVE)
    assert isinstance(service.verify("member", ACTIVE_BORN), Verified)


def test_a_spray_over_300_identifiers_is_slowed_and_raises_the_alarm(
    repository: MembersRepository, seeded, clock, checks, caplog
):
    service = FileStatusService(repository, clock)
    total = service.rates.total
    outcomes = Counter()
    caplog.set_level(logging.WARNING, logger=service_module.__name__)
    for n in range(300):
        conversation = f"spray-{n}"
        service.remember_identifier(conversation, Identifier("cin", f"ZZ{200000 + n}"))
        outcome = service.verify(conversation, date(1980, 1, 1))
        outcomes[type(outcome).__name__] += 1
        clock.advance(seconds=0.1)  # 300 look-ups in 30 seconds
    assert checks["checked"] == total, outcomes
    assert outcomes["RateLimited"] == 300 - total
    alarms = [r for r in caplog.records if "ALARM" in r.getMessage()]
    assert alarms, "no alarm logged for the spray"
    logged = "\n".join(r.getMessage() for r in alarms)
    assert "ZZ2" not in logged and "spray-" not in logged and "1980" not in logged
    # The next minute the look-ups are served again.
    clock.advance(minutes=1)
    service.remember_identifier("member", ACTIVE)
    assert isinstance(service.verify("member", ACTIVE_BORN), Verified)


def test_one_conversation_is_limited_per_minute(repository: MembersRepository, seeded, clock):
    service = FileStatusService(repository, clock, verification.Rates(per_conversation=2, total=100))
    service.remember_identifier("conv", ACTIVE)
    assert isinstance(service.verify("conv", ACTIVE_BORN), Verified)
    service.remember_identifier("conv", ACTIVE)
    assert isinstance(service.verify("conv", ACTIVE_BORN), Verified)
    service.remember_identifier("conv", ACTIVE)
    assert service.verify("conv", ACTIVE_BORN) == RateLimited(clock.now + timedelta(minutes=1))
    clock.advance(minutes=1)
    service.remember_identifier("conv", ACTIVE)
    assert isinstance(service.verify("conv", ACTIVE_BORN), Verified)


def test_rates_come_from_the_environment():
    rates = service_module.rates_from_env({"AMO_LOOKUPS_PER_MINUTE": "7", "AMO_LOOKUPS_PER_CONVERSATION_PER_MINUTE": "2"})
    assert (rates.total, rates.per_conversation) == (7, 2)
    assert service_module.rates_from_env({}) == verification.Rates()
