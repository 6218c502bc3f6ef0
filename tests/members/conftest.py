"""The members database on SQLite (a temporary file) and on PostgreSQL.

PostgreSQL: $AMO_TEST_POSTGRES_URL, else the machine's server at 127.0.0.1:5432.
Each run uses its own schema, dropped afterwards. Unreachable: a skip locally,
a failure in CI (CI=true)."""
from __future__ import annotations

import os
import uuid
from datetime import datetime, timedelta
from typing import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from actions.members.repository import MembersRepository
from actions.members.service import FileStatusService

POSTGRES_URL = os.environ.get("AMO_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _postgres_engine() -> Iterator[Engine]:
    admin = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
    try:
        with admin.begin() as connection:
            schema = f"amo_test_{uuid.uuid4().hex[:12]}"
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as error:
        admin.dispose()
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL unreachable in CI: {type(error).__name__}")
        pytest.skip("PostgreSQL unreachable")
    engine = create_engine(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = create_engine(f"sqlite:///{tmp_path / 'members.db'}")
        yield engine
        engine.dispose()
    else:
        yield from _postgres_engine()


@pytest.fixture
def repository(engine: Engine) -> MembersRepository:
    repository = MembersRepository(engine)
    repository.create_schema()
    return repository


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 25, 9, 0))


@pytest.fixture
def service(repository: MembersRepository, clock: Clock) -> FileStatusService:
    return FileStatusService(repository, clock)
