"""No member message lost, a polite answer when a part is down (issue 15), on the real
servers: Rasa (models/amo.tar.gz), the action server, this machine's PostgreSQL and
Redis, each behind a fault proxy; members on WhatsApp (signed deliveries, a fake
Graph API). One stack is started for the whole module and reused, in this order:

1. PostgreSQL refused while Rasa starts (fresh database, no tables): /health/ready
   503, then PostgreSQL back: 200 and the tables created, with no restart.
2. Rasa killed (SIGKILL) in the middle of each form (eligibility, file status), on
   SQLite and on PostgreSQL, and started again: the conversations go on where they were.
3. The action server killed mid-conversation: the busy answer; restarted: the next
   turn works.
4. PostgreSQL refused, then hung, then back: the busy answer within the timeouts,
   every other conversation answered within its own, the server alive; then normal.
5. A WhatsApp delivery whose turn failed is answered when it is redelivered.
6. Redis refused, then back.

Needs PostgreSQL (127.0.0.1:5432, user postgres, trust) and Redis (127.0.0.1:6379):
CI (CI=true) fails without them, a laptop skips. Transcripts: results/faults/*.txt.
"""
from __future__ import annotations

import concurrent.futures
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from bot.server.channels.busy import BUSY_TEXTS
from tests.conftest import RASA, ROOT, free_port, start_rasa_server, wait_until_up
from tests.faults import APP_SECRET, FakeGraphAPI, FaultProxy, Member, Transcript, get_json, wait_for_turns
from tests.helpers import DOMAIN, variant

PG = ("127.0.0.1", 5432)
REDIS = ("127.0.0.1", 6379)
CALL_TIMEOUT = 3  # seconds per tracker-store call in these servers
ATTEMPTS = 2  # tries per WhatsApp turn before the busy answer

pytestmark = pytest.mark.services


def _reachable(address) -> bool:
    import socket

    try:
        socket.create_connection(address, timeout=2).close()
        return True
    except OSError:
        return False


def prefix(response: str, language: str) -> str:
    """The fixed start of `response` in `language` (before any {placeholder})."""
    return variant(response, language).split("{")[0]


def said(received, response: str, language: str) -> bool:
    """A message rendered from `response` (numbered options may follow its text)."""
    start = prefix(response, language)
    return bool(start) and any(text.startswith(start) for text in received)


def said_any(received, names, language: str) -> bool:
    for name in names:
        try:
            if said(received, name, language):
                return True
        except KeyError:  # a response without this language
            continue
    return False


ELIGIBILITY_NEXT = [name for name in DOMAIN.responses if name.startswith(("utter_ask_", "utter_eligibility_"))
                    and name not in ("utter_ask_profession", "utter_ask_member_identifier",
                                     "utter_ask_member_birth_date", "utter_ask_city")]
FILE_STATUS_ANSWERS = [name for name in DOMAIN.responses if name.startswith("utter_file_status_")]


def start_actions(env: dict, port: int, log: Path) -> subprocess.Popen:
    process = subprocess.Popen([RASA, "run", "actions", "--actions", "actions", "--port", str(port)],
                               cwd=ROOT, stdout=log.open("a"), stderr=subprocess.STDOUT, env=env)
    wait_until_up(f"http://127.0.0.1:{port}/health", process)
    return process


def kill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)


@pytest.fixture(scope="module")
def stack(model_path, action_env, tmp_path_factory):
    missing = [name for name, address in (("PostgreSQL", PG), ("Redis", REDIS)) if not _reachable(address)]
    if missing:
        message = f"{' and '.join(missing)} not reachable on 127.0.0.1"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    import psycopg2

    workdir = tmp_path_factory.mktemp("faults")
    database = f"amo_faults_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(host=PG[0], port=PG[1], user="postgres", dbname="postgres")
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{database}"')
    graph, pg, redis = FakeGraphAPI(), FaultProxy(PG[1]), FaultProxy(REDIS[1])
    actions_port = free_port()
    actions = start_actions(action_env, actions_port, workdir / "actions.log")
    actions_url = f"http://127.0.0.1:{actions_port}/webhook"
    common = {
        **action_env,
        "WHATSAPP_APP_SECRET": APP_SECRET, "WHATSAPP_VERIFY_TOKEN": "verify", "WHATSAPP_ACCESS_TOKEN": "token",
        "WHATSAPP_PHONE_NUMBER_ID": "PHONE_ID", "WHATSAPP_GRAPH_URL": graph.url,
        "AMO_CHANNEL_TURN_ATTEMPTS": str(ATTEMPTS), "AMO_CHANNEL_RETRY_DELAY": "0.5",
    }
    endpoints = {
        "sqlite": f"""action_endpoint:
  url: "{actions_url}"
  timeout: 5
tracker_store:
  type: bot.server.tracker_store.RedactingSQLTrackerStore
  call_timeout: {CALL_TIMEOUT}
  dialect: sqlite
  db: {workdir / 'trackers.db'}
""",
        "postgresql": f"""action_endpoint:
  url: "{actions_url}"
  timeout: 5
tracker_store:
  type: bot.server.tracker_store.RedactingSQLTrackerStore
  call_timeout: {CALL_TIMEOUT}
  dialect: postgresql
  url: 127.0.0.1
  port: {pg.port}
  db: {database}
  username: postgres
  query:
    connect_timeout: "2"
    options: "-c statement_timeout=3000"
lock_store:
  type: bot.server.lock_store.AtomicRedisLockStore
  url: 127.0.0.1
  port: {redis.port}
  db: 3
  key_prefix: faults{uuid.uuid4().hex[:6]}
  socket_timeout: 1
  max_wait: 5
""",
    }
    envs = {
        "sqlite": {**common, "AMO_CHANNEL_DB_URL": f"sqlite:///{workdir / 'channels.db'}"},
        # The channel state straight to PostgreSQL, so that the proxy's faults hit the
        # tracker store (and a failed turn's message id is released, then redelivered).
        "postgresql": {**common, "AMO_CHANNEL_DB_URL": f"postgresql://postgres@{PG[0]}:{PG[1]}/{database}"},
    }
    for dialect, text in endpoints.items():
        (workdir / f"endpoints-{dialect}.yml").write_text(text, encoding="utf-8")
    state = {"workdir": workdir, "graph": graph, "pg": pg, "redis": redis, "database": database, "admin": admin,
             "actions": actions, "actions_port": actions_port, "action_env": action_env, "envs": envs,
             "rasa": {}, "urls": {}, "starts": 0}

    def start(dialect: str) -> None:
        state["starts"] += 1
        process, url = start_rasa_server(model_path, workdir / f"endpoints-{dialect}.yml",
                                         workdir / f"rasa-{dialect}-{state['starts']}.log", envs[dialect])
        state["rasa"][dialect], state["urls"][dialect] = process, url

    state["start"] = start
    try:
        yield state
    finally:
        for process in [*state["rasa"].values(), state["actions"]]:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
        pg.close()
        redis.close()
        graph.close()
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin.close()


def tables(stack) -> list:
    import psycopg2

    with psycopg2.connect(host=PG[0], port=PG[1], user="postgres", dbname=stack["database"]) as connection:
        cursor = connection.cursor()
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
        return [row[0] for row in cursor.fetchall()]


def wait_ready(url: str, want: int, timeout: float = 30) -> "tuple[int, dict, float]":
    started = time.monotonic()
    while True:
        status, body = get_json(f"{url}/health/ready")
        if status == want or time.monotonic() - started > timeout:
            return status, body, time.monotonic() - started
        time.sleep(0.5)


@pytest.fixture(scope="module")
def restarted(stack):
    """Steps 1 and 2: both servers started at once (PostgreSQL refused meanwhile), a
    conversation in each form on each, both killed, both started again."""
    transcripts = {dialect: Transcript(f"test_rasa_restarted_mid_form_{dialect}") for dialect in ("sqlite", "postgresql")}
    late = Transcript("test_postgresql_late_at_start")
    stack["pg"].set("refuse")
    late.step("PostgreSQL refused; Rasa starts on a fresh database (no tables)")
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        list(pool.map(stack["start"], ("sqlite", "postgresql")))
    url = stack["urls"]["postgresql"]
    status, body, _ = wait_ready(url, 503, timeout=5)
    late.note(f"GET /health/ready -> {status} {body}")
    results = {"late_refused": (status, body, tables(stack))}
    late.note(f"tables in the database: {results['late_refused'][2]}")
    late.step("PostgreSQL back (no restart of Rasa)")
    stack["pg"].set("pass")
    status, body, seconds = wait_ready(url, 200)
    late.note(f"GET /health/ready -> {status} {body} after {seconds:.1f} s")
    results["late_back"] = (status, body, tables(stack))
    late.note(f"tables in the database: {results['late_back'][2]}")
    member = Member(stack["graph"], url)
    results["late_turn"] = member.say("Bonjour")
    late.exchange("member", "Bonjour", member)
    results["late"] = late

    members = {}
    for dialect, transcript in transcripts.items():
        eligibility = Member(stack["graph"], stack["urls"][dialect])
        file_status = Member(stack["graph"], stack["urls"][dialect])
        members[dialect] = (eligibility, file_status)
        transcript.step(f"Rasa on {dialect}: a member starts the eligibility check, another the file status")
        for who, member, text in (("eligibility member", eligibility, "Est-ce que je suis concerné par l'AMO ?"),
                                  ("file-status member", file_status, "fin wsal dossier dyali f cnss?"),
                                  ("file-status member", file_status, "999900002")):
            results[(dialect, who, text)] = member.say(text)
            transcript.exchange(who, text, member)
        transcript.step(f"Rasa on {dialect} killed (SIGKILL), started again")
    for process in stack["rasa"].values():
        kill(process)
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        list(pool.map(stack["start"], ("sqlite", "postgresql")))
    for dialect, transcript in transcripts.items():
        eligibility, file_status = members[dialect]
        for member in (eligibility, file_status):
            member.base_url = stack["urls"][dialect]
        for who, member, text in (("eligibility member", eligibility, '/inform{"profession":"no_activity"}'),
                                  ("file-status member", file_status, "1 juillet 1979")):
            results[(dialect, who, text)] = member.say(text)
            transcript.exchange(who, text, member)
    results["transcripts"] = transcripts
    return results


def test_postgresql_late_at_start_gets_its_tables_on_reconnect(restarted):
    status, body, found = restarted["late_refused"]
    assert status == 503 and body["checks"]["tracker_store"] != "ok" and body["checks"]["model"] == "ok"
    assert "events" not in found
    status, body, found = restarted["late_back"]
    assert status == 200 and set(body["checks"].values()) == {"ok"}
    assert "events" in found and "channel_message_ids" in found
    assert said(restarted["late_turn"], "utter_greet", "fr")
    restarted["late"].write()


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_rasa_restarted_in_the_middle_of_each_form_goes_on_where_it_was(restarted, dialect):
    transcript = restarted["transcripts"][dialect]
    transcript.write()
    assert said(restarted[(dialect, "eligibility member", "Est-ce que je suis concerné par l'AMO ?")],
                "utter_ask_profession", "fr")
    assert said(restarted[(dialect, "file-status member", "999900002")], "utter_ask_member_birth_date", "dar")
    # After the restart: the eligibility check's next step, not its first question again.
    after = restarted[(dialect, "eligibility member", '/inform{"profession":"no_activity"}')]
    assert said_any(after, ELIGIBILITY_NEXT, "fr"), after
    assert not said(after, "utter_ask_profession", "fr") and not said(after, "utter_greet", "fr")
    # The file-status form takes the birth date it was asking for, and answers the file.
    after = restarted[(dialect, "file-status member", "1 juillet 1979")]
    assert said_any(after, FILE_STATUS_ANSWERS, "dar"), after
    assert not said(after, "utter_ask_member_identifier", "dar")


def test_action_server_killed_mid_conversation_then_restarted(stack, restarted):
    transcript = Transcript("test_action_server_killed_then_restarted")
    member = Member(stack["graph"], stack["urls"]["postgresql"])
    transcript.step("Rasa on PostgreSQL, action server up")
    first = member.say("Bonjour, où en est mon dossier AMO ?")
    transcript.exchange("member", "Bonjour, où en est mon dossier AMO ?", member)
    transcript.step("action server killed (SIGKILL)")
    kill(stack["actions"])
    started = time.monotonic()
    down = member.say("ZZ100003")
    transcript.exchange("member", "ZZ100003", down, time.monotonic() - started)
    status, body = get_json(f"{stack['urls']['postgresql']}/health/ready")
    transcript.note(f"GET /health/ready -> {status} {body}")
    transcript.step("action server started again (same port)")
    stack["actions"] = start_actions(stack["action_env"], stack["actions_port"], stack["workdir"] / "actions.log")
    again = member.say("ZZ100003")
    transcript.exchange("member", "ZZ100003", member)
    answer = member.say("25/01/1990")
    transcript.exchange("member", "25/01/1990", member)
    transcript.write()

    assert said(first, "utter_ask_member_identifier", "fr")
    assert down == [BUSY_TEXTS["fr"]]
    assert status == 503 and body["checks"]["action_server"] != "ok"
    assert said(again, "utter_ask_member_birth_date", "fr")
    assert any("1 conjoint, 2 enfants" in text for text in answer), answer


def test_postgresql_refused_then_hung_then_back(stack, restarted):
    transcript = Transcript("test_postgresql_refused_then_hung_then_back")
    url = stack["urls"]["postgresql"]
    member = Member(stack["graph"], url)
    others = [Member(stack["graph"], url) for _ in range(3)]
    transcript.step("all up")
    greeting = member.say("Bonjour")
    transcript.exchange("member", "Bonjour", member)

    transcript.step("PostgreSQL refused")
    stack["pg"].set("refuse")
    started = time.monotonic()
    refused = member.say("c'est quoi l'AMO ?")
    refused_seconds = time.monotonic() - started
    transcript.exchange("member", "c'est quoi l'AMO ?", refused, refused_seconds)
    ready_refused = get_json(f"{url}/health/ready")
    transcript.note(f"GET /health/ready -> {ready_refused[0]} {ready_refused[1]}")

    transcript.step("PostgreSQL hung (accepts, never answers); three other members write at once")
    stack["pg"].set("hang")
    started = time.monotonic()
    texts = ["salam, chno hiya AMO?", "هل يشمل التأمين أبنائي؟", "combien je dois payer ?"]
    for other, text in zip(others, texts):
        assert other.post(text) == 200
    alive_started = time.monotonic()
    alive = get_json(f"{url}/health/")
    alive_seconds = time.monotonic() - alive_started
    transcript.note(f"GET /health/ (liveness) during the hang -> {alive[0]} in {alive_seconds:.2f} s")
    wait_for_turns(url, timeout=60)
    hung_seconds = time.monotonic() - started
    hung = [stack["graph"].texts_to(other.phone) for other in others]
    for other, text, received in zip(others, texts, hung):
        transcript.exchange("other member", text, received)
    transcript.note(f"all three answered within {hung_seconds:.1f} s")
    ready_hung = get_json(f"{url}/health/ready", timeout=15)
    transcript.note(f"GET /health/ready -> {ready_hung[0]} {ready_hung[1]}")

    transcript.step("PostgreSQL back")
    stack["pg"].set("pass")
    ready_back = wait_ready(url, 200)
    transcript.note(f"GET /health/ready -> {ready_back[0]} after {ready_back[2]:.1f} s")
    back = member.say("c'est quoi l'AMO ?")
    transcript.exchange("member", "c'est quoi l'AMO ?", member)
    transcript.write()

    assert said(greeting, "utter_greet", "fr")
    assert refused == [BUSY_TEXTS["fr"]] and refused_seconds < 15
    assert ready_refused[0] == 503 and ready_refused[1]["checks"]["tracker_store"] != "ok"
    assert alive == (200, {"status": "ok"}) and alive_seconds < 1.5
    assert hung == [[BUSY_TEXTS["dar"]], [BUSY_TEXTS["ar"]], [BUSY_TEXTS["fr"]]]
    # Each within its own timeouts: ATTEMPTS x (call timeout + channel-state timeout) and the retry delay.
    assert hung_seconds < ATTEMPTS * (CALL_TIMEOUT + 5) + 5
    assert ready_hung[0] == 503
    assert ready_back[0] == 200
    assert back and BUSY_TEXTS["fr"] not in back


def test_a_whatsapp_delivery_whose_turn_failed_is_answered_after_redelivery(stack, restarted):
    transcript = Transcript("test_whatsapp_delivery_answered_after_redelivery")
    url = stack["urls"]["postgresql"]
    member = Member(stack["graph"], url)
    message_id = f"wamid.{uuid.uuid4().hex}"
    transcript.step(f"PostgreSQL refused; Meta delivers {message_id}")
    stack["pg"].set("refuse")
    failed = member.say("Comment je m'inscris à l'AMO ?", message_id)
    transcript.exchange("member", "Comment je m'inscris à l'AMO ?", failed)
    stack["pg"].set("pass")
    wait_ready(url, 200)
    transcript.step(f"PostgreSQL back; Meta redelivers {message_id}, then once more")
    redelivered = member.say("Comment je m'inscris à l'AMO ?", message_id)
    transcript.exchange("Meta (redelivery)", "Comment je m'inscris à l'AMO ?", member)
    again = member.say("Comment je m'inscris à l'AMO ?", message_id)
    transcript.exchange("Meta (redelivery of a done message)", "Comment je m'inscris à l'AMO ?", again)
    transcript.write()

    assert failed == [BUSY_TEXTS["fr"]]
    assert redelivered and BUSY_TEXTS["fr"] not in redelivered
    assert again == []  # done: dropped


def test_redis_refused_then_back(stack, restarted):
    transcript = Transcript("test_redis_refused_then_back")
    url = stack["urls"]["postgresql"]
    member = Member(stack["graph"], url)
    transcript.step("Redis (lock store) refused")
    stack["redis"].set("refuse")
    started = time.monotonic()
    refused = member.say("واش خاصني نخلص كل شهر؟")
    transcript.exchange("member", "واش خاصني نخلص كل شهر؟", refused, time.monotonic() - started)
    ready = get_json(f"{url}/health/ready")
    transcript.note(f"GET /health/ready -> {ready[0]} {ready[1]}")
    transcript.step("Redis back")
    stack["redis"].set("pass")
    ready_back = wait_ready(url, 200)
    transcript.note(f"GET /health/ready -> {ready_back[0]} after {ready_back[2]:.1f} s")
    back = member.say("واش خاصني نخلص كل شهر؟")
    transcript.exchange("member", "واش خاصني نخلص كل شهر؟", member)
    transcript.write()

    assert refused == [BUSY_TEXTS["dar"]]
    assert ready[0] == 503 and ready[1]["checks"]["lock_store"] != "ok"
    assert ready_back[0] == 200
    assert back and BUSY_TEXTS["dar"] not in back
