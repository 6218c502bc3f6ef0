"""The members database and the look-up service, on SQLite and PostgreSQL."""
from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import create_engine, insert, inspect, select, text, update

from actions.members import models
from actions.members.demo import DEMO_MEMBERS, demo_members, seed
from bot.shared.identifiers import Identifier
from actions.members.repository import MembersRepository, engine_for, look_up_engine_for
from actions.members.service import (
    FileStatusService,
    IdentifierNeeded,
    Locked,
    LookupUnavailable,
    Mismatch,
    Verified,
)
from actions.members.status import DEPENDS_ON_PERIOD, UP_TO_DATE, Beneficiary, file_status

ACTIVE = Identifier("cin", "ZZ100003")
ACTIVE_BORN = date(1990, 1, 25)
WRONG = date(1990, 1, 26)


@pytest.fixture
def seeded(repository: MembersRepository, clock) -> MembersRepository:
    for member in demo_members(clock.now.date()):
        repository.save_member(member)
    return repository


def test_schema_creation_is_idempotent_and_versioned(repository: MembersRepository, engine) -> None:
    repository.create_schema()
    with engine.connect() as connection:
        rows = connection.execute(select(models.schema_version)).all()
    assert [row.version for row in rows] == [models.SCHEMA_VERSION]
    with engine.begin() as connection:
        connection.execute(update(models.schema_version).values(version=models.SCHEMA_VERSION + 1))
    with pytest.raises(RuntimeError, match="schema version"):
        repository.create_schema()


def test_demo_seeding_is_idempotent_and_covers_every_status(repository: MembersRepository, engine) -> None:
    assert seed(repository) == seed(repository) == len(DEMO_MEMBERS)
    with engine.connect() as connection:
        statuses = {row.registration_status for row in connection.execute(select(models.members))}
        beneficiary_count = len(connection.execute(select(models.beneficiaries)).all())
    assert statuses == {"pending_validation", "incomplete", "active", "suspended", "rejected"}
    assert beneficiary_count == sum(len(m.beneficiaries) for m in DEMO_MEMBERS)
    assert all(m.cin.startswith("ZZ") and m.immatriculation.startswith("9999") for m in DEMO_MEMBERS)


def test_find_member_by_cin_and_by_immatriculation(seeded: MembersRepository) -> None:
    by_cin = seeded.find_member(ACTIVE)
    by_number = seeded.find_member(Identifier("immatriculation", "999900003"))
    assert by_cin == by_number
    assert by_cin.beneficiaries == (
        Beneficiary("spouse", date(1992, 4, 8), "active"),
        Beneficiary("child", date(2016, 9, 3), "active"),
        Beneficiary("child", date(2019, 2, 14), "active"),
    )
    assert seeded.find_member(Identifier("cin", "ZZ999999")) is None


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_a_look_up_reconnects_after_the_database_dropped_its_connection(seeded, engine) -> None:
    """The look-up engine has no pre-ping (one round trip a look-up): after a restart,
    the first look-up meets a dead connection, and find_member retries on a new one."""
    with engine.connect() as connection:
        schema = connection.execute(text("SELECT current_schema()")).scalar_one()
    look_ups = look_up_engine_for(f"{engine.url}?options=-csearch_path%3D{schema}")
    repository = MembersRepository(engine, look_ups=look_ups)
    try:
        before = repository.find_member(ACTIVE)
        with look_ups.connect() as connection:  # the pooled connection find_member used
            backend = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with engine.connect() as connection:
            assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend}).scalar_one()

        assert repository.find_member(ACTIVE) == before
        with look_ups.connect() as connection:
            assert connection.execute(text("SELECT pg_backend_pid()")).scalar_one() != backend
    finally:
        look_ups.dispose()


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_both_members_engines_bound_statements_at_5_s_and_keep_the_urls_options(engine) -> None:
    with engine.connect() as connection:
        schema = connection.execute(text("SELECT current_schema()")).scalar_one()
    url = f"{engine.url}?options=-csearch_path%3D{schema}"
    for members_engine in (engine_for(url), look_up_engine_for(url)):
        try:
            with members_engine.connect() as connection:
                assert connection.execute(text("SHOW statement_timeout")).scalar_one() == "5s"
                assert connection.execute(text("SELECT current_schema()")).scalar_one() == schema
        finally:
            members_engine.dispose()


def test_the_payment_period_is_stored_and_read_back(seeded: MembersRepository) -> None:
    quarterly = seeded.find_member(Identifier("cin", "ZZ100016"))
    assert quarterly.payment_period == "quarterly"
    assert seeded.find_member(Identifier("cin", "ZZ100014")).payment_period is None
    seeded.save_member(replace(quarterly, payment_period="yearly"))
    assert seeded.find_member(Identifier("cin", "ZZ100016")).payment_period == "yearly"


def test_a_database_written_before_the_payment_period_gets_the_column_at_start(repository, engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE members DROP COLUMN payment_period"))
        # A row as the code before the column wrote it: an auto-entrepreneur paid up to June.
        connection.execute(insert(models.members).values(
            immatriculation="999900099", cin="ZZ100099", birth_date=date(1980, 1, 1), category="auto_entrepreneur",
            registration_status="active", status_date=date(2022, 2, 1), missing_documents=[],
            rights_open_since=date(2022, 3, 1), contributions_paid_until=date(2026, 6, 1),
        ))
    restarted = MembersRepository(engine)
    restarted.create_schema()
    restarted.create_schema()
    assert "payment_period" in {column["name"] for column in inspect(engine).get_columns("members")}
    old = restarted.find_member(Identifier("cin", "ZZ100099"))
    assert old.payment_period is None  # not recorded: both periods are considered
    assert file_status(old, date(2026, 11, 25)).contributions_standing == DEPENDS_ON_PERIOD
    restarted.save_member(replace(old, payment_period="yearly"))
    yearly = restarted.find_member(Identifier("cin", "ZZ100099"))
    assert file_status(yearly, date(2026, 11, 25)).contributions_standing == UP_TO_DATE


def test_attempts_store_hashes_never_the_identifier(service: FileStatusService, seeded, engine) -> None:
    service.remember_identifier("conv-1", ACTIVE)
    service.verify("conv-1", WRONG)
    with engine.connect() as connection:
        rows = [tuple(map(str, row)) for row in connection.execute(select(models.verification_attempts))]
    assert len(rows) == 1
    assert not any("ZZ100003" in value or "conv-1" in value for value in rows[0])


def test_verified_look_up_then_the_status_is_read_once(service: FileStatusService, seeded) -> None:
    service.remember_identifier("conv-1", ACTIVE)
    outcome = service.verify("conv-1", ACTIVE_BORN)
    assert isinstance(outcome, Verified)
    assert outcome.status.state == "active"
    assert service.take_verified_status("conv-1") == outcome.status
    assert service.take_verified_status("conv-1") is None


def test_mismatch_and_unknown_identifier_give_the_same_outcome(service: FileStatusService, seeded) -> None:
    service.remember_identifier("conv-1", ACTIVE)
    wrong_date = service.verify("conv-1", WRONG)
    service.remember_identifier("conv-2", Identifier("cin", "ZZ999999"))
    unknown = service.verify("conv-2", ACTIVE_BORN)
    assert wrong_date == unknown == Mismatch()
    # After a mismatch the identifier is asked again.
    assert service.verify("conv-1", ACTIVE_BORN) == IdentifierNeeded()


def test_three_failures_lock_the_conversation_for_30_minutes_even_after_a_restart(
    service: FileStatusService, seeded, engine, clock
) -> None:
    for _ in range(2):
        service.remember_identifier("conv-1", ACTIVE)
        assert service.verify("conv-1", WRONG) == Mismatch()
    service.remember_identifier("conv-1", ACTIVE)
    assert service.verify("conv-1", WRONG) == Locked(clock.now + timedelta(minutes=30))

    # A new process: nothing kept in memory, everything read back from the database.
    restarted = FileStatusService(MembersRepository(engine), clock)
    restarted.remember_identifier("conv-1", ACTIVE)
    assert restarted.conversation_locked_until("conv-1") == clock.now + timedelta(minutes=30)
    assert restarted.verify("conv-1", ACTIVE_BORN) == Locked(clock.now + timedelta(minutes=30))

    clock.advance(minutes=31)
    restarted.remember_identifier("conv-1", ACTIVE)
    assert isinstance(restarted.verify("conv-1", ACTIVE_BORN), Verified)


def test_failures_across_conversations_delay_the_member_by_a_growing_delay(
    service: FileStatusService, seeded, clock
) -> None:
    for n in range(2):
        service.remember_identifier(f"conv-{n}", ACTIVE)
        assert service.verify(f"conv-{n}", WRONG) == Mismatch()
    service.remember_identifier("conv-2", ACTIVE)
    assert service.verify("conv-2", WRONG) == Locked(clock.now + timedelta(minutes=1))
    service.remember_identifier("conv-3", ACTIVE)
    assert service.verify("conv-3", ACTIVE_BORN) == Locked(clock.now + timedelta(minutes=1))
    # Another member from a fresh conversation is not delayed.
    service.remember_identifier("conv-4", Identifier("cin", "ZZ100004"))
    assert isinstance(service.verify("conv-4", date(1988, 11, 30)), Verified)
    clock.advance(minutes=1)
    service.remember_identifier("conv-3", ACTIVE)
    assert service.verify("conv-3", WRONG) == Locked(clock.now + timedelta(minutes=2))
    clock.advance(minutes=2)
    service.remember_identifier("conv-5", ACTIVE)
    assert isinstance(service.verify("conv-5", ACTIVE_BORN), Verified)


def test_the_cin_and_the_immatriculation_of_one_member_share_one_count(
    service: FileStatusService, seeded, clock
) -> None:
    by_number = Identifier("immatriculation", "999900003")
    service.remember_identifier("conv-1", ACTIVE)
    assert service.verify("conv-1", WRONG) == Mismatch()
    service.remember_identifier("conv-2", by_number)
    assert service.verify("conv-2", WRONG) == Mismatch()
    # The third failure, whichever identifier, starts the delay for both.
    service.remember_identifier("conv-3", ACTIVE)
    assert service.verify("conv-3", WRONG) == Locked(clock.now + timedelta(minutes=1))
    service.remember_identifier("conv-4", by_number)
    assert service.verify("conv-4", ACTIVE_BORN) == Locked(clock.now + timedelta(minutes=1))


def test_an_unknown_identifier_is_counted_on_itself(service: FileStatusService, seeded, clock) -> None:
    unknown = Identifier("cin", "ZZ999999")
    for n in range(3):
        service.remember_identifier(f"conv-{n}", unknown)
        service.verify(f"conv-{n}", WRONG)
    service.remember_identifier("conv-9", unknown)
    assert service.verify("conv-9", WRONG) == Locked(clock.now + timedelta(minutes=1))
    service.remember_identifier("conv-10", ACTIVE)
    assert isinstance(service.verify("conv-10", ACTIVE_BORN), Verified)


def test_pending_identifier_expires_after_15_minutes(service: FileStatusService, seeded, clock) -> None:
    service.remember_identifier("conv-1", ACTIVE)
    clock.advance(minutes=15, seconds=1)
    assert service.verify("conv-1", ACTIVE_BORN) == IdentifierNeeded()


def test_unusual_length_is_accepted_when_given_twice(service: FileStatusService, seeded) -> None:
    assert service.remember_unusual_number("conv-1", "12345678") is False
    assert service.verify("conv-1", ACTIVE_BORN) == IdentifierNeeded()
    assert service.remember_unusual_number("conv-1", "87654321") is False
    assert service.remember_unusual_number("conv-1", "87654321") is True
    assert service.verify("conv-1", ACTIVE_BORN) == Mismatch()


def test_forget_drops_the_pending_identifier(service: FileStatusService, seeded, engine) -> None:
    service.remember_identifier("conv-1", ACTIVE)
    service.forget("conv-1")
    with engine.connect() as connection:
        assert connection.execute(select(models.pending_lookups)).all() == []


def test_corrupt_row_is_unavailable_not_a_crash(service: FileStatusService, seeded, engine) -> None:
    with engine.begin() as connection:
        connection.execute(
            update(models.members).where(models.members.c.cin == "ZZ100003").values(registration_status="???")
        )
    service.remember_identifier("conv-1", ACTIVE)
    with pytest.raises(LookupUnavailable) as raised:
        service.verify("conv-1", ACTIVE_BORN)
    assert "ZZ100003" not in str(raised.value)


def test_database_down_is_unavailable(tmp_path, clock) -> None:
    # A directory cannot be opened as a SQLite file.
    broken = FileStatusService(MembersRepository(create_engine(f"sqlite:///{tmp_path}")), clock)
    with pytest.raises(LookupUnavailable):
        broken.remember_identifier("conv-1", ACTIVE)


def test_attempts_no_limit_looks_at_are_deleted(service: FileStatusService, seeded, engine, clock) -> None:
    service.remember_identifier("conv-1", ACTIVE)
    service.verify("conv-1", WRONG)
    clock.advance(hours=25, minutes=1)
    service.remember_identifier("conv-2", ACTIVE)
    service.verify("conv-2", WRONG)
    with engine.connect() as connection:
        assert len(connection.execute(select(models.verification_attempts)).all()) == 1
