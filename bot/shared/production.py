"""Settings a production server refuses to start with (pure: the environment and the
command line are passed in; no Rasa import).

Production is `AMO_ENV=production`. Then:

* every server: no PostgreSQL superuser (`postgres`) in a database URL
  (`AMO_*_DB_URL`) or as `AMO_PG_USER`: each server connects as a dedicated role;
* the action server: `AMO_HASH_SALT` set, secret (not the public default) and long
  enough, or the analytics hash of a phone-number conversation is reversible;
* the Rasa server: `AMO_WEBCHAT_SECRET` set (it signs the web chat's conversation
  ids), a Redis password when a Redis lock store is configured (`AMO_REDIS_HOST`),
  and, if its HTTP API is on (`--enable-api`), an `--auth-token`.

Called at load by the Rasa server's plugins (bot/server/__init__.py), by the action
server (actions/__init__.py) and by bot/tools/purge.py.
"""
from __future__ import annotations

import logging
from typing import List, Mapping, Optional, Sequence
from urllib.parse import urlsplit

from bot.shared.unanswered import DEFAULT_SALT, SALT_ENV

ENV = "AMO_ENV"
WEBCHAT_SECRET_ENV = "AMO_WEBCHAT_SECRET"
SUPERUSERS = {"postgres"}
MIN_SECRET_CHARS = 32
MIN_TOKEN_CHARS = 24
ROLES = ("rasa", "actions", "tool")

logger = logging.getLogger(__name__)


class UnsafeProduction(SystemExit):
    """Raised at start-up; a SystemExit, so that no plugin loader swallows it."""


def is_production(environ: Mapping[str, str]) -> bool:
    return (environ.get(ENV) or "").strip().lower() == "production"


def database_user(url: str) -> Optional[str]:
    """The user of a SQLAlchemy URL ("postgresql://amo:pw@host/db" -> "amo"), if any."""
    try:
        return urlsplit(url).username
    except ValueError:
        return None


def _option(argv: Sequence[str], name: str) -> Optional[str]:
    """The value of `--name value` or `--name=value` on a command line."""
    for index, argument in enumerate(argv):
        if argument == name:
            return argv[index + 1] if index + 1 < len(argv) else ""
        if argument.startswith(name + "="):
            return argument.split("=", 1)[1]
    return None


def production_problems(
    environ: Mapping[str, str], role: str, argv: Sequence[str] = (), database_urls: Sequence[str] = ()
) -> List[str]:
    """What is unsafe for `role` ("rasa", "actions" or "tool"); empty outside production."""
    if role not in ROLES:
        raise ValueError(role)
    if not is_production(environ):
        return []
    problems = []
    urls = [(name, value) for name, value in environ.items() if name.startswith("AMO_") and name.endswith("_DB_URL")]
    urls += [("the tracker store", url) for url in database_urls]
    for name, url in urls:
        if value_user := database_user(url):
            if value_user in SUPERUSERS:
                problems.append(f"{name} connects as the PostgreSQL superuser {value_user!r}: use a dedicated role")
    if (environ.get("AMO_PG_USER") or "").strip() in SUPERUSERS:
        problems.append("AMO_PG_USER is the PostgreSQL superuser: use a dedicated role")
    if role in ("actions", "tool"):
        salt = environ.get(SALT_ENV) or ""
        if not salt or salt == DEFAULT_SALT:
            problems.append(f"{SALT_ENV} is not set or is the public default: set a secret salt")
        elif len(salt) < MIN_SECRET_CHARS:
            problems.append(f"{SALT_ENV} is shorter than {MIN_SECRET_CHARS} characters")
    if role == "rasa":
        secret = environ.get(WEBCHAT_SECRET_ENV) or ""
        if len(secret) < MIN_SECRET_CHARS:
            problems.append(f"{WEBCHAT_SECRET_ENV} is not set (or shorter than {MIN_SECRET_CHARS} characters)")
        if environ.get("AMO_REDIS_HOST") and not environ.get("AMO_REDIS_PASSWORD"):
            problems.append("AMO_REDIS_PASSWORD is not set: Redis must require a password")
        if "--enable-api" in argv:
            token = _option(argv, "--auth-token") or ""
            if len(token) < MIN_TOKEN_CHARS:
                problems.append(
                    f"the HTTP API is on (--enable-api) without an --auth-token of {MIN_TOKEN_CHARS}+ characters"
                    " (AMO_API_TOKEN)"
                )
    return problems


def enforce(
    environ: Mapping[str, str], role: str, argv: Sequence[str] = (), database_urls: Sequence[str] = ()
) -> None:
    """Refuses to go on (UnsafeProduction) if `production_problems` finds any; names
    the variables, never their values."""
    problems = production_problems(environ, role, argv, database_urls)
    if problems:
        message = f"AMO_ENV=production: refusing to start the {role} server: " + "; ".join(problems)
        logger.critical(message)
        raise UnsafeProduction(message)
