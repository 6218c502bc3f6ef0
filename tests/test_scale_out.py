"""Scale-out: two Rasa servers and two action servers sharing PostgreSQL (tracker
store) and Redis (lock store) behave as one, even with one conversation spread
over both and messages of one conversation arriving at the same time.

Needs the machine's PostgreSQL (127.0.0.1:5432, trust auth) and Redis
(127.0.0.1:6379): CI (CI=true) fails without them, a laptop skips.
"""
import concurrent.futures
import json
import os
import socket
import urllib.request
import uuid

import pytest

from tests.conftest import api_url, say_over_rest, start_action_server, start_rasa_server
from tests.helpers import variant

PG = ("127.0.0.1", 5432)
REDIS = ("127.0.0.1", 6379)


def _reachable(address) -> bool:
    try:
        socket.create_connection(address, timeout=2).close()
        return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def services():
    missing = [name for name, address in (("PostgreSQL", PG), ("Redis", REDIS)) if not _reachable(address)]
    if missing:
        message = f"{' and '.join(missing)} not reachable on 127.0.0.1"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def database(services):
    import psycopg2

    name = f"amo_scale_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(host=PG[0], port=PG[1], user="postgres", dbname="postgres")
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    yield name
    admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture(scope="module")
def two_instances(model_path, database, action_env, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("scale")
    prefix = f"amo{uuid.uuid4().hex[:6]}"
    processes, urls = [], []
    try:
        for number in (1, 2):
            actions, actions_url = start_action_server(action_env, workdir / f"actions{number}.log")
            processes.append(actions)
            endpoints = workdir / f"endpoints{number}.yml"
            endpoints.write_text(
                f"""action_endpoint:
  url: "{actions_url}"
tracker_store:
  type: bot.server.tracker_store.RedactingSQLTrackerStore
  session_events_limit: 150
  dialect: postgresql
  url: {PG[0]}
  port: {PG[1]}
  db: {database}
  username: postgres
lock_store:
  type: bot.server.lock_store.AtomicRedisLockStore
  url: {REDIS[0]}
  port: {REDIS[1]}
  db: 1
  key_prefix: {prefix}
""",
                encoding="utf-8",
            )
            rasa, url = start_rasa_server(model_path, endpoints, workdir / f"rasa{number}.log", action_env)
            processes.append(rasa)
            urls.append(url)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)


say = say_over_rest


def texts(messages):
    return [m.get("text") for m in messages]


def test_one_conversation_alternating_between_two_instances(two_instances):
    first, second = two_instances
    sender = f"scale-{uuid.uuid4().hex}"
    assert variant("utter_greet", "fr") in texts(say(first, sender, "Bonjour"))
    assert variant("utter_ask_profession", "fr") in texts(say(second, sender, "Est-ce que je suis concerné par l'AMO ?"))
    assert variant("utter_ask_covered_as_dependant", "fr") in texts(say(first, sender, '/inform{"profession":"no_activity"}'))
    assert variant("utter_ask_rsu_score", "fr") in texts(say(second, sender, "/deny"))
    assert variant("utter_eligibility_tadamon", "fr") in texts(say(first, sender, "9,1"))


def test_a_chosen_language_holds_on_the_other_instance(two_instances):
    first, second = two_instances
    sender = f"scale-{uuid.uuid4().hex}"
    say(first, sender, "Bonjour")
    say(first, sender, '/change_language{"language":"ar"}')
    assert variant("utter_greet", "ar") in texts(say(second, sender, "Bonjour"))


def test_messages_of_one_conversation_at_the_same_time_are_serialised(two_instances):
    first, second = two_instances
    sender = f"scale-{uuid.uuid4().hex}"
    say(first, sender, "salam")
    messages = ["chno hiya AMO?", "kifach ntsjl?", "chhal nkhelless?", "fin nmchi?",
                "merci", "c est quoi tadamon", "wach wladi m3aya?", "bslama"]
    with concurrent.futures.ThreadPoolExecutor(len(messages)) as pool:
        replies = list(pool.map(lambda pair: say(*pair), [(two_instances[i % 2], sender, m) for i, m in enumerate(messages)]))
    assert all(replies)
    # The REST channel's conversations are named "rest:<sender>" (it cannot reach another channel's).
    with urllib.request.urlopen(api_url(first, f"/conversations/rest:{sender}/tracker"), timeout=30) as response:
        events = json.loads(response.read())["events"]
    turns = [e["event"] for e in events if e["event"] in ("user", "action") and
             (e["event"] == "user" or e.get("name") == "action_listen")]
    # Serialised: every user message is followed by the bot's turn ending in action_listen
    # before the next user message is processed.
    pairs = list(zip(turns, turns[1:]))
    assert ("user", "user") not in pairs
    assert turns.count("user") == 1 + len(messages), [(e["event"], e.get("name") or e.get("text")) for e in events]
