"""Production refuses unsafe defaults (review findings 9 and 17, and finding 1's "no
token"): bot/shared/production.py, its call sites in both servers, and deploy/."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest

from bot.shared.production import UnsafeProduction, enforce, production_problems
from bot.shared.unanswered import DEFAULT_SALT
from tests.helpers import RASA, ROOT

SAFE = {
    "AMO_ENV": "production",
    "AMO_HASH_SALT": "s" * 40,
    "AMO_WEBCHAT_SECRET": "w" * 40,
    "AMO_REDIS_HOST": "127.0.0.1",
    "AMO_REDIS_PASSWORD": "r" * 30,
    "AMO_PG_USER": "amo",
    "AMO_MEMBERS_DB_URL": "postgresql://amo:pw@127.0.0.1:5432/amo",
    "AMO_ANALYTICS_DB_URL": "postgresql://amo:pw@127.0.0.1:5432/amo",
}
API = ["rasa", "run", "--enable-api", "--auth-token", "t" * 40]


def test_a_safe_production_set_up_starts():
    assert production_problems(SAFE, "rasa", API) == []
    assert production_problems(SAFE, "actions") == []
    assert production_problems({**SAFE, "AMO_ENV": "development", "AMO_HASH_SALT": DEFAULT_SALT}, "actions") == []


UNSAFE = [
    ("actions", {"AMO_HASH_SALT": DEFAULT_SALT}, [], "AMO_HASH_SALT"),
    ("actions", {"AMO_HASH_SALT": ""}, [], "AMO_HASH_SALT"),
    ("actions", {"AMO_HASH_SALT": "short"}, [], "AMO_HASH_SALT"),
    ("actions", {"AMO_MEMBERS_DB_URL": "postgresql://postgres@127.0.0.1:5432/amo"}, [], "superuser"),
    ("actions", {"AMO_ANALYTICS_DB_URL": "postgresql://postgres:pw@db/amo"}, [], "superuser"),
    ("rasa", {"AMO_PG_USER": "postgres"}, API, "superuser"),
    ("rasa", {"AMO_CHANNEL_DB_URL": "postgresql://postgres@db/amo"}, API, "superuser"),
    ("rasa", {"AMO_WEBCHAT_SECRET": ""}, API, "AMO_WEBCHAT_SECRET"),
    ("rasa", {"AMO_REDIS_PASSWORD": ""}, API, "AMO_REDIS_PASSWORD"),
    ("rasa", {}, ["rasa", "run", "--enable-api"], "--auth-token"),
    ("rasa", {}, ["rasa", "run", "--enable-api", "--auth-token", ""], "--auth-token"),
    ("rasa", {}, ["rasa", "run", "--enable-api", "--auth-token=abc"], "--auth-token"),
]


@pytest.mark.parametrize("role, changes, argv, named", UNSAFE)
def test_production_refuses(role, changes, argv, named):
    environ = {**SAFE, **changes}
    problems = production_problems(environ, role, argv)
    assert problems and any(named in problem for problem in problems), problems
    with pytest.raises(UnsafeProduction) as refused:
        enforce(environ, role, argv)
    assert isinstance(refused.value, SystemExit)  # no plugin loader swallows it
    # The message names the variable, never a secret's value.
    assert "pw@" not in str(refused.value)


def test_the_api_may_be_off_without_a_token():
    assert production_problems(SAFE, "rasa", ["rasa", "run", "--port", "5005"]) == []


def _start(arguments, env_changes, tmp_path):
    env = {key: value for key, value in __import__("os").environ.items() if not key.startswith("AMO_")}
    env.update({"AMO_ENV": "production", **env_changes})
    return subprocess.run([RASA, *arguments], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.services
def test_the_rasa_server_refuses_to_start_in_production_without_secrets(tmp_path):
    model = tmp_path / "model.tar.gz"
    model.write_bytes(b"")  # the check runs when the channels load, before the model
    done = _start(["run", "--model", str(model), "--credentials", "credentials.yml", "--port", "6581",
                   "--interface", "127.0.0.1", "--enable-api"], {"AMO_PG_USER": "postgres"}, tmp_path)
    assert done.returncode != 0
    output = done.stdout + done.stderr
    assert "refusing to start the rasa server" in output
    for named in ("AMO_WEBCHAT_SECRET", "--auth-token", "superuser"):
        assert named in output


@pytest.mark.services
def test_the_action_server_refuses_to_start_with_the_public_salt(tmp_path):
    done = _start(["run", "actions", "--actions", "actions", "--port", "6582"],
                  {"AMO_HASH_SALT": DEFAULT_SALT, "SANIC_HOST": "127.0.0.1"}, tmp_path)
    assert done.returncode != 0
    assert "refusing to start the actions server" in done.stdout + done.stderr


# --- deploy/ -------------------------------------------------------------------------

DEPLOY = ROOT / "deploy"


def test_deploy_uses_a_dedicated_database_role_and_a_redis_password():
    production = (DEPLOY / "production.env").read_text(encoding="utf-8")
    compose = (DEPLOY / "compose.yml").read_text(encoding="utf-8")
    endpoints = (DEPLOY / "endpoints.yml").read_text(encoding="utf-8")
    assert re.search(r"^AMO_ENV=production$", production, re.M)
    assert re.search(r"^AMO_PG_USER=amo$", production, re.M)
    assert "postgres@" not in production and "postgres:" not in production.replace("postgresql:", "")
    assert "password: ${AMO_REDIS_PASSWORD}" in endpoints
    assert '"--requirepass", "${AMO_REDIS_PASSWORD:?set it}"' in compose
    assert "AMO_PG_USER: amo" in compose and "POSTGRES_USER: amo_admin" in compose
    assert compose.count("AMO_ENV: production") == 2
    command = re.search(r"command: >-\n((?:\s{6}.*\n)+)", compose).group(1)
    assert "run --model" in command and "--enable-api" not in command


def test_no_secret_is_committed_in_deploy():
    """Every secret is read from the environment (${VAR:?...}), none has a value here."""
    production = (DEPLOY / "production.env").read_text(encoding="utf-8")
    for name in ("AMO_PG_PASSWORD", "AMO_REDIS_PASSWORD", "AMO_HASH_SALT", "AMO_WEBCHAT_SECRET", "AMO_API_TOKEN"):
        [line] = [line for line in production.splitlines() if line.startswith(f"{name}=")]
        assert line.startswith(f"{name}=${{{name}:?"), line
    compose = (DEPLOY / "compose.yml").read_text(encoding="utf-8")
    for key, value in re.findall(r"^\s*(\w*(?:PASSWORD|SECRET|SALT|TOKEN)\w*):\s*(\S+)", compose, re.M):
        assert value.strip('"').startswith("${"), (key, value)


@pytest.mark.parametrize("name", ["nginx.conf", "nginx.compose.conf"])
def test_the_proxy_forwards_only_the_channels_and_the_page(name):
    config = (DEPLOY / name).read_text(encoding="utf-8")
    locations = re.findall(r"location\s+([^{]+)\{([^}]*)\}", config)
    # A location open to this host only (G's /health/ready) is not public.
    forwarded = [where.strip() for where, body in locations if "proxy_pass" in body and "deny all" not in body]
    allowed = ("/webhooks/webchat/", "/webhooks/whatsapp/", "/webhooks/twilio_whatsapp/")
    if name == "nginx.conf":
        allowed += ("/webhooks/rest/",)  # loopback only, for bench/load.py
    for where in forwarded:
        paths = re.sub(r"^(=|~)\s*", "", where)
        if where.startswith("~"):
            alternatives = re.fullmatch(r"\^/webhooks/\(([\w|]+)\)/", paths).group(1).split("|")
            assert all(f"/webhooks/{a}/" in allowed for a in alternatives), where
        else:
            assert paths.startswith(allowed), where
    catch_all = [body for where, body in locations if where.strip() == "/"]
    assert catch_all and "return 404" in catch_all[0]
    assert "limit_req zone=webchat" in config


def test_the_proxy_keeps_the_api_out(tmp_path):
    """The same paths the review used against the open API: none is forwarded."""
    config = (DEPLOY / "nginx.compose.conf").read_text(encoding="utf-8")
    forwarded = [where for where, body in re.findall(r"location\s+([^{]+)\{([^}]*)\}", config)
                 if "proxy_pass" in body and "deny all" not in body]
    for path in ("/conversations/212600000001/tracker", "/model", "/status", "/version", "/webhooks/rest/webhook"):
        for where in forwarded:
            where = where.strip()
            if where.startswith("= "):
                assert path != where[2:].strip()
            else:
                assert not re.search(re.sub(r"^~\s*", "", where), path), (where, path)


def test_scripts_run_starts_the_api_only_with_a_token():
    script = (ROOT / "scripts" / "run").read_text(encoding="utf-8")
    assert script.count("--enable-api") == script.count('--enable-api --auth-token "$AMO_API_TOKEN"') == 1
    env = {key: value for key, value in __import__("os").environ.items() if not key.startswith("AMO_")}
    refused = subprocess.run(["bash", "scripts/run"], cwd=ROOT, env={**env, "AMO_ENV": "production"},
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1 and "AMO_API_TOKEN" in refused.stderr
