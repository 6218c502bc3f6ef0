"""Staff accounts, password hashes, server-side sessions, CSRF tokens and the login rate limit.

Storage is SQLAlchemy: `AMO_STAFF_DB_URL` (default `sqlite:///var/staff.db`, relative to the
working directory); a PostgreSQL URL works unchanged.

Passwords: scrypt from Python's standard library (`hashlib.scrypt`, OpenSSL's implementation,
RFC 7914), a memory-hard password hash; no bcrypt, argon2 or passlib is installed with Rasa,
and this needs no new dependency. Only the parameters, the salt and the hash are stored,
in one string: `scrypt$n$r$p$salt$hash` (base64), so the parameters can be raised later and
old hashes still verify (and are re-hashed at the next login).

Sessions: the browser holds a random token (32 bytes); the table keeps only its SHA-256, so a
copy of the database opens no session. A session ends after `idle` without a request, or
`absolute` after login, whichever comes first, or at logout. Each session has its own
CSRF token, which every POST form carries and the server compares in constant time.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Optional, Tuple

import sqlalchemy as sa
from sqlalchemy.engine import Engine

DB_URL_ENV = "AMO_STAFF_DB_URL"
DEFAULT_DB_URL = "sqlite:///var/staff.db"
AGENT, ANALYST = "agent", "analyst"
ROLES = (AGENT, ANALYST)
# One of OWASP's equivalent scrypt settings (Password Storage Cheat Sheet: N=2^15, r=8,
# p=3): 32 MiB of memory per guess, about a third of a second per login on this machine.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 15, 8, 3
SCRYPT_MAXMEM = 64 * 1024 * 1024
MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # scrypt hashes anything, but a megabyte "password" is an attack
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
DEFAULT_IDLE = timedelta(minutes=30)
DEFAULT_ABSOLUTE = timedelta(hours=10)  # a working day
# At most this many failed logins per account name, and per client address, in the window.
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)

metadata = sa.MetaData()
users_table = sa.Table(
    "staff_users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(64), nullable=False, unique=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
)
sessions_table = sa.Table(
    "staff_sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("staff_users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("csrf", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("last_seen", sa.DateTime, nullable=False),
)
failures_table = sa.Table(
    "staff_login_failures",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(64), nullable=False, index=True),
    sa.Column("address", sa.String(64), nullable=False, index=True),
    sa.Column("at", sa.DateTime, nullable=False, index=True),
)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str, n: Optional[int] = None, r: Optional[int] = None, p: Optional[int] = None) -> str:
    n, r, p = n or SCRYPT_N, r or SCRYPT_R, p or SCRYPT_P
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=SCRYPT_MAXMEM, dklen=32)
    return f"scrypt${n}${r}${p}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """Constant-time check of a password against `hash_password`'s string; False for a
    malformed string (never raises on what is stored)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
            maxmem=SCRYPT_MAXMEM, dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def needs_rehash(stored: str) -> bool:
    return not stored.startswith(f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}$")


def password_problem(password: str) -> Optional[str]:
    if len(password) < MIN_PASSWORD:
        return f"a password has at least {MIN_PASSWORD} characters"
    if len(password) > MAX_PASSWORD:
        return f"a password has at most {MAX_PASSWORD} characters"
    return None


def name_problem(name: str) -> Optional[str]:
    if not _NAME.match(name):
        return "a name is 2-64 characters: lower-case letters, digits, '.', '_' or '-', a letter or digit first"
    return None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _now() -> datetime:
    return datetime.utcnow().replace(microsecond=0)


def database_url() -> str:
    return os.environ.get(DB_URL_ENV) or DEFAULT_DB_URL


def create_engine(url: Optional[str] = None) -> Engine:
    url = sa.engine.make_url(url or database_url())
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    return sa.create_engine(url, future=True, pool_pre_ping=True)


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str


@dataclass(frozen=True)
class Session:
    user: User
    csrf: str
    created_at: datetime
    last_seen: datetime


class AccountError(ValueError):
    """A clear message for whoever creates an account."""


class Accounts:
    def __init__(
        self,
        engine: Engine,
        idle: timedelta = DEFAULT_IDLE,
        absolute: timedelta = DEFAULT_ABSOLUTE,
        max_failures: int = MAX_FAILURES,
        failure_window: timedelta = FAILURE_WINDOW,
    ) -> None:
        self.engine = engine
        self.idle, self.absolute = idle, absolute
        self.max_failures, self.failure_window = max_failures, failure_window
        metadata.create_all(engine)

    # accounts

    def add_user(self, name: str, role: str, password: str) -> User:
        problem = name_problem(name) or password_problem(password)
        if role not in ROLES:
            problem = f"the role is one of {', '.join(ROLES)}"
        if problem:
            raise AccountError(problem)
        with self.engine.begin() as connection:
            if connection.execute(sa.select(users_table.c.id).where(users_table.c.name == name)).first():
                raise AccountError(f"there is already an account named {name}")
            result = connection.execute(
                users_table.insert().values(name=name, role=role, password_hash=hash_password(password),
                                            created_at=_now())
            )
        return User(result.inserted_primary_key[0], name, role)

    def set_password(self, name: str, password: str) -> None:
        problem = password_problem(password)
        if problem:
            raise AccountError(problem)
        with self.engine.begin() as connection:
            changed = connection.execute(
                users_table.update().where(users_table.c.name == name)
                .values(password_hash=hash_password(password))
            ).rowcount
            # a new password closes every open session of the account
            connection.execute(sessions_table.delete().where(sessions_table.c.user_id.in_(
                sa.select(users_table.c.id).where(users_table.c.name == name))))
        if not changed:
            raise AccountError(f"no account named {name}")

    def users(self) -> list:
        with self.engine.connect() as connection:
            rows = connection.execute(sa.select(users_table).order_by(users_table.c.name)).mappings()
            return [User(row["id"], row["name"], row["role"]) for row in rows]

    # login

    def blocked(self, name: str, address: str, now: Optional[datetime] = None) -> bool:
        """Too many recent failures for this account name or from this address."""
        since = (now or _now()) - self.failure_window
        with self.engine.connect() as connection:
            for column, value in ((failures_table.c.name, name), (failures_table.c.address, address)):
                count = connection.execute(
                    sa.select(sa.func.count()).select_from(failures_table)
                    .where(column == value, failures_table.c.at >= since)
                ).scalar_one()
                if count >= self.max_failures:
                    return True
        return False

    def login(self, name: str, password: str, address: str) -> Tuple[Optional[str], Optional[Session]]:
        """(token, session) on success, (None, None) on a wrong name or password.

        The caller checks `blocked` first. An unknown name costs a hash too, so the time
        taken does not tell which names exist."""
        name = name.strip().lower()[:64]
        with self.engine.connect() as connection:
            row = connection.execute(sa.select(users_table).where(users_table.c.name == name)).mappings().first()
        stored = row["password_hash"] if row else _DUMMY_HASH
        if not (verify_password(password[:MAX_PASSWORD], stored) and row):
            with self.engine.begin() as connection:
                connection.execute(failures_table.insert().values(name=name, address=address[:64], at=_now()))
            return None, None
        now = _now()
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with self.engine.begin() as connection:
            if needs_rehash(stored):
                connection.execute(users_table.update().where(users_table.c.id == row["id"])
                                   .values(password_hash=hash_password(password)))
            connection.execute(failures_table.delete().where(failures_table.c.name == name))
            connection.execute(sessions_table.insert().values(
                token_hash=_token_hash(token), user_id=row["id"], csrf=csrf, created_at=now, last_seen=now))
        return token, Session(User(row["id"], row["name"], row["role"]), csrf, now, now)

    # sessions

    def session(self, token: Optional[str], now: Optional[datetime] = None) -> Optional[Session]:
        """The live session of a cookie's token, its last-seen time moved to now; None
        (and the row deleted) when it is unknown or has expired."""
        if not token or len(token) > 128:
            return None
        now = now or _now()
        key = _token_hash(token)
        query = (
            sa.select(sessions_table, users_table.c.name, users_table.c.role)
            .join(users_table, users_table.c.id == sessions_table.c.user_id)
            .where(sessions_table.c.token_hash == key)
        )
        with self.engine.begin() as connection:
            row = connection.execute(query).mappings().first()
            if row is None:
                return None
            if now - row["last_seen"] > self.idle or now - row["created_at"] > self.absolute:
                connection.execute(sessions_table.delete().where(sessions_table.c.token_hash == key))
                return None
            connection.execute(sessions_table.update().where(sessions_table.c.token_hash == key)
                               .values(last_seen=now))
        return Session(User(row["user_id"], row["name"], row["role"]), row["csrf"], row["created_at"], now)

    def logout(self, token: Optional[str]) -> None:
        if token:
            with self.engine.begin() as connection:
                connection.execute(sessions_table.delete().where(sessions_table.c.token_hash == _token_hash(token)))

    def purge(self, now: Optional[datetime] = None) -> None:
        """Deletes expired sessions and old login failures."""
        now = now or _now()
        with self.engine.begin() as connection:
            connection.execute(sessions_table.delete().where(sa.or_(
                sessions_table.c.last_seen < now - self.idle, sessions_table.c.created_at < now - self.absolute)))
            connection.execute(failures_table.delete().where(failures_table.c.at < now - self.failure_window))


def csrf_ok(session: Optional[Session], submitted: Optional[str]) -> bool:
    return bool(session and submitted) and hmac.compare_digest(session.csrf.encode(), submitted.encode())


# Verified against when the name is unknown: same cost as a real account's check.
_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))
