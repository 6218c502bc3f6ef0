"""Staff accounts: password hashing, account rules, sessions and their expiry, CSRF
tokens, the login rate limit (bot/tools/staff/accounts.py)."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from bot.tools.staff import accounts
from bot.tools.staff.accounts import (
    AccountError, Accounts, csrf_ok, hash_password, needs_rehash, sessions_table, users_table, verify_password,
)

PASSWORD = "correct horse battery"


@pytest.fixture
def store(tmp_path, fast_hashing) -> Accounts:
    engine = accounts.create_engine(f"sqlite:///{tmp_path / 'var' / 'staff.db'}")
    yield Accounts(engine, idle=timedelta(minutes=30), absolute=timedelta(hours=10))
    engine.dispose()


def test_hash_is_salted_scrypt_and_verifies():
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert first != second  # a fresh salt each time
    assert first.startswith(f"scrypt${accounts.SCRYPT_N}${accounts.SCRYPT_R}${accounts.SCRYPT_P}$")
    assert PASSWORD not in first
    assert verify_password(PASSWORD, first) and verify_password(PASSWORD, second)
    assert not verify_password(PASSWORD + " ", first)
    assert not verify_password("", first)


@pytest.mark.parametrize("stored", ["", "plain", "bcrypt$1$2$3$4$5", "scrypt$x$8$1$AAAA$BBBB", "scrypt$1024$8$1$!!$??"])
def test_a_malformed_stored_hash_never_verifies_and_never_raises(stored):
    assert verify_password(PASSWORD, stored) is False


def test_weaker_parameters_are_rehashed_at_the_next_login(store, monkeypatch):
    store.add_user("amina", "agent", PASSWORD)
    with store.engine.connect() as c:
        old = c.execute(sa.select(users_table.c.password_hash)).scalar_one()
    monkeypatch.setattr(accounts, "SCRYPT_N", 2 ** 11)
    assert needs_rehash(old)
    token, _ = store.login("amina", PASSWORD, "10.0.0.1")
    assert token
    with store.engine.connect() as c:
        new = c.execute(sa.select(users_table.c.password_hash)).scalar_one()
    assert new.startswith("scrypt$2048$") and verify_password(PASSWORD, new)


@pytest.mark.parametrize("name, role, password, problem", [
    ("a", "agent", PASSWORD, "name"),
    ("Amina Big", "agent", PASSWORD, "name"),
    ("amina", "admin", PASSWORD, "role"),
    ("amina", "agent", "short", "at least"),
    ("amina", "agent", "x" * 2000, "at most"),
])
def test_bad_accounts_are_refused(store, name, role, password, problem):
    with pytest.raises(AccountError, match=problem):
        store.add_user(name, role, password)


def test_a_name_is_taken_once(store):
    store.add_user("amina", "agent", PASSWORD)
    with pytest.raises(AccountError, match="already"):
        store.add_user("amina", "analyst", PASSWORD)


def test_login_opens_a_session_whose_token_is_not_stored(store):
    store.add_user("karim", "analyst", PASSWORD)
    token, session = store.login("Karim ", PASSWORD, "10.0.0.1")  # names are case-insensitive
    assert token and session.user.name == "karim" and session.user.role == "analyst"
    with store.engine.connect() as c:
        keys = [row.token_hash for row in c.execute(sa.select(sessions_table))]
    assert len(keys) == 1 and token not in keys[0]
    again = store.session(token)
    assert again.user == session.user and again.csrf == session.csrf


def test_wrong_password_and_unknown_name_open_nothing(store):
    store.add_user("karim", "analyst", PASSWORD)
    assert store.login("karim", "wrong password!", "10.0.0.1") == (None, None)
    assert store.login("nobody", PASSWORD, "10.0.0.1") == (None, None)
    assert store.session("made-up-token") is None
    assert store.session("") is None and store.session(None) is None


def test_idle_and_absolute_expiry(store):
    store.add_user("karim", "analyst", PASSWORD)
    token, session = store.login("karim", PASSWORD, "10.0.0.1")
    start = session.created_at
    # each request moves the idle deadline...
    for minutes in (20, 40, 60, 80):
        assert store.session(token, now=start + timedelta(minutes=minutes)) is not None
    # ...but not past 30 minutes of silence,
    assert store.session(token, now=start + timedelta(minutes=80 + 31)) is None
    assert store.session(token, now=start + timedelta(minutes=81)) is None  # and the row is gone
    # and never past the absolute limit, however active.
    token, session = store.login("karim", PASSWORD, "10.0.0.1")
    now = session.created_at
    while now <= session.created_at + timedelta(hours=10):
        assert store.session(token, now=now) is not None
        now += timedelta(minutes=25)
    assert store.session(token, now=session.created_at + timedelta(hours=10, minutes=1)) is None


def test_logout_and_a_new_password_end_sessions(store):
    store.add_user("karim", "analyst", PASSWORD)
    first, _ = store.login("karim", PASSWORD, "10.0.0.1")
    second, _ = store.login("karim", PASSWORD, "10.0.0.2")
    store.logout(first)
    assert store.session(first) is None and store.session(second) is not None
    store.set_password("karim", "another long password")
    assert store.session(second) is None
    assert store.login("karim", PASSWORD, "10.0.0.1") == (None, None)
    assert store.login("karim", "another long password", "10.0.0.1")[0]


def test_each_session_has_its_own_csrf_token(store):
    store.add_user("karim", "analyst", PASSWORD)
    _, one = store.login("karim", PASSWORD, "10.0.0.1")
    _, two = store.login("karim", PASSWORD, "10.0.0.1")
    assert one.csrf != two.csrf and len(one.csrf) >= 32
    assert csrf_ok(one, one.csrf)
    assert not csrf_ok(one, two.csrf)
    assert not csrf_ok(one, "") and not csrf_ok(one, None) and not csrf_ok(None, one.csrf)


def test_failed_logins_are_limited_per_name_and_per_address(store):
    store.add_user("karim", "analyst", PASSWORD)
    for _ in range(accounts.MAX_FAILURES):
        assert not store.blocked("karim", "10.0.0.1")
        store.login("karim", "wrong password!", "10.0.0.1")
    assert store.blocked("karim", "10.0.0.9")  # the account, from anywhere
    assert store.blocked("someone", "10.0.0.1")  # anyone, from that address
    assert not store.blocked("someone", "10.0.0.9")
    later = datetime.utcnow() + accounts.FAILURE_WINDOW + timedelta(seconds=1)
    assert not store.blocked("karim", "10.0.0.1", now=later)


def test_a_successful_login_clears_the_name_s_failures(store):
    store.add_user("karim", "analyst", PASSWORD)
    for _ in range(accounts.MAX_FAILURES - 1):
        store.login("karim", "wrong password!", "10.0.0.1")
    assert store.login("karim", PASSWORD, "10.0.0.2")[0]
    store.login("karim", "wrong password!", "10.0.0.3")
    assert not store.blocked("karim", "10.0.0.3")


def test_purge_deletes_expired_sessions(store):
    store.add_user("karim", "analyst", PASSWORD)
    token, session = store.login("karim", PASSWORD, "10.0.0.1")
    store.purge(now=session.created_at + timedelta(minutes=31))
    with store.engine.connect() as c:
        assert c.execute(sa.select(sa.func.count()).select_from(sessions_table)).scalar_one() == 0
