"""The staff web app over HTTP, as a browser or a script meets it: login, roles, CSRF,
session expiry, security headers, labelling into a temporary project's data/nlu/reviewed/.

The app runs as its own process (`python -m bot.tools.staff serve`) without a model: the
desk search says so, and everything else works. The model side is in test_loop.py and
test_staff_browser.py."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
import yaml

from bot.shared.unanswered import UnansweredStore, create_engine
from bot.tools.staff.accounts import MAX_FAILURES, sessions_table
from tests.review.conftest import WEEK, insert
from tests.staff.client import StaffClient
from tests.staff.conftest import add_user, copy_project, start_staff_server, stop

pytestmark = pytest.mark.services

AGENT, ANALYST = ("amina", "desk password 1"), ("karim", "inbox password 1")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("staff-app")
    project = copy_project(folder / "project")
    staff_url = f"sqlite:///{folder / 'staff.db'}"
    analytics_url = f"sqlite:///{folder / 'analytics.db'}"
    engine = create_engine(analytics_url)
    insert(engine, WEEK)
    add_user(staff_url, *AGENT[:1], "agent", AGENT[1])
    add_user(staff_url, *ANALYST[:1], "analyst", ANALYST[1])
    process, url = start_staff_server(project, folder / "no-model.tar.gz", staff_url, analytics_url,
                                      folder / "staff.log")
    try:
        yield {"url": url, "project": project, "staff_url": staff_url, "store": UnansweredStore(engine)}
    finally:
        stop(process)
        engine.dispose()


def client(app, who=None) -> StaffClient:
    c = StaffClient(app["url"])
    if who:
        assert c.login(*who).status_code == 303
    return c


def groups(page: str):
    return [(int(n), [int(i) for i in ids.split(",")]) for n, ids in re.findall(r'data-group="(\d+)" data-ids="([\d,]+)"', page)]


def test_every_page_wants_a_login(app):
    c = client(app)
    for path in ("/desk", "/desk/topics", "/desk/sheet", "/inbox", "/dashboard", "/inbox/labelled"):
        answer = c.get(path)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next="), path
    assert c.post("/inbox/review", {"ids": "1", "action": "ignore"}).status_code == 401
    assert c.post("/retrain", {}).status_code == 401


def test_wrong_password_is_refused(app):
    c = client(app)
    answer = c.login(AGENT[0], "not the password")
    assert answer.status_code == 401 and "Wrong name or password" in answer.text
    assert "amo_staff_session" not in c.http.cookies
    assert c.get("/desk").status_code == 303


def test_login_without_the_form_s_token_is_refused(app):
    c = client(app)
    answer = c.post("/login", {"name": AGENT[0], "password": AGENT[1]})
    assert answer.status_code == 403 and "amo_staff_session" not in answer.headers.get("set-cookie", "")


def test_session_cookie_is_httponly_and_samesite_strict(app):
    c = client(app)
    form = c.get("/login")
    answer = c.post("/login", {"csrf": c.csrf(form.text), "name": AGENT[0], "password": AGENT[1]})
    cookie = answer.headers["set-cookie"]
    assert "amo_staff_session=" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert answer.headers["location"] == "/desk"


def test_security_headers(app):
    answer = client(app, AGENT).get("/desk")
    assert "script-src" not in answer.headers["content-security-policy"]  # default-src 'none': no script
    assert answer.headers["x-frame-options"] == "DENY" and answer.headers["cache-control"] == "no-store"


def test_login_goes_back_to_the_page_asked_for_but_never_elsewhere(app):
    c = client(app)
    assert c.login(*ANALYST, next_path="/dashboard").headers["location"] == "/dashboard"
    for evil in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        assert client(app).login(*ANALYST, next_path=evil).headers["location"] == "/inbox"


def test_agent_sees_the_desk_without_a_model_and_no_inbox(app):
    c = client(app, AGENT)
    desk = c.get("/desk")
    assert desk.status_code == 200 and 'href="/inbox"' not in desk.text
    assert c.get("/desk?q=chhal+nkhalss").status_code == 503  # no model: said, not crashed
    topics = c.get("/desk/topics")
    assert topics.status_code == 200 and topics.text.count('<a href="/desk/topic/') >= 20
    topic = c.get("/desk/topic/ask_contribution_amount")
    assert topic.status_code == 200 and 'dir="rtl"' in topic.text and "Facts and sources" in topic.text
    sheet = c.get("/desk/sheet")
    assert sheet.status_code == 200 and "@page { size: A4" in sheet.text and 'id="print"' in sheet.text


def test_agent_cannot_label_ignore_or_retrain(app):
    c = client(app, AGENT)
    token = c.token("/desk")
    assert c.get("/inbox").status_code == 403
    assert c.get("/dashboard").status_code == 403
    assert c.review([1], "label", "ask_contribution_amount", token=token).status_code == 403
    assert c.review([1], "ignore", token=token).status_code == 403
    assert c.post("/retrain", {"csrf": token}).status_code == 403
    assert all(r.reviewed_at is None for r in app["store"].select(ids=[1]))


def test_a_post_without_this_session_s_csrf_token_is_refused(app):
    karim, other = client(app, ANALYST), client(app, ANALYST)
    first = groups(karim.get("/inbox").text)[0][1]
    assert karim.review(first, "ignore", token="").status_code == 403
    assert karim.review(first, "ignore", token=other.token("/inbox")).status_code == 403
    assert karim.post("/logout", {}).status_code == 403
    assert all(r.reviewed_at is None for r in app["store"].select(ids=first))


def test_inbox_shows_groups_redacted_and_escaped_largest_first(app):
    page = client(app, ANALYST).get("/inbox").text
    found = groups(page)
    sizes = [len(ids) for _, ids in found]
    assert sizes == sorted(sizes, reverse=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    # "chhal nkhalss", "ch7al nkhles", "شحال نخلص" and "شحال خاصني نخلص": one group across scripts
    (first_ids,) = [ids for number, ids in found if number == 1]
    assert first_ids == [1, 2, 3, 4]
    assert 'list="intents"' in page and '<option value="ask_contribution_amount">' in page


def test_labelling_a_group_writes_reviewed_data_and_empties_the_group(app):
    c = client(app, ANALYST)
    ids = dict(groups(c.get("/inbox").text))[1]
    answer = c.review(ids, "label", "ask_contribution_amount")
    assert answer.status_code == 303
    page = c.get("/inbox").text
    assert 1 not in dict(groups(page)) and "4 message(s) labelled ask_contribution_amount" in page
    written = yaml.safe_load((app["project"] / "data/nlu/reviewed/ask_contribution_amount.yml").read_text())
    examples = {b["metadata"]["language"]: b["examples"] for b in written["nlu"]}
    assert "chhal nkhalss" in examples["dar-latn"] and "شحال نخلص" in examples["dar"]
    assert {r.label for r in app["store"].select(ids=ids)} == {"ask_contribution_amount"}
    labelled = c.get("/inbox/labelled").text
    assert all(f'data-id="{i}"' in labelled for i in ids)


def test_out_of_scope_and_ignore(app):
    c = client(app, ANALYST)
    store = app["store"]
    (weather,) = [r.id for r in store.select() if r.text == "quel temps fait-il demain"]
    (script,) = [r.id for r in store.select() if r.text.startswith("<script>")]
    assert c.review([weather], "out_of_scope").status_code == 303
    assert c.review([script], "ignore").status_code == 303
    assert store.select(ids=[weather])[0].label == "out_of_scope"
    assert store.select(ids=[script])[0].label == "ignored"
    assert "quel temps fait-il demain" in (app["project"] / "data/nlu/reviewed/out_of_scope.yml").read_text()
    page = c.get("/inbox").text
    assert f'id="m{weather}"' not in page and f'id="m{script}"' not in page


def test_an_intent_outside_the_list_is_refused(app):
    c = client(app, ANALYST)
    number, ids = groups(c.get("/inbox").text)[0]
    for intent in ("ask_made_up_thing", "nlu_fallback", "ignored", "Bad Name", ""):
        assert c.review(ids, "label", intent).status_code == 400, intent
    assert number in dict(groups(c.get("/inbox").text))


def test_an_expired_session_is_refused(app):
    c = client(app, ANALYST)
    assert c.get("/inbox").status_code == 200
    engine = sa.create_engine(app["staff_url"])
    with engine.begin() as connection:  # 31 minutes without a request
        connection.execute(sessions_table.update().values(last_seen=datetime.utcnow() - timedelta(minutes=31)))
    engine.dispose()
    answer = c.get("/inbox")
    assert answer.status_code == 303 and "expired=1" in answer.headers["location"]
    assert "session has expired" in c.get(answer.headers["location"]).text


def test_logout_ends_the_session(app):
    c = client(app, AGENT)
    assert c.post("/logout", {"csrf": c.token()}).status_code == 303
    assert c.get("/desk").status_code == 303


def test_repeated_wrong_passwords_are_rate_limited(app):
    c = client(app)
    add_user(app["staff_url"], "target", "agent", "a good password")
    for _ in range(MAX_FAILURES):
        assert c.login("target", "guess guess guess").status_code == 401
    blocked = c.login("target", "a good password")
    assert blocked.status_code == 429 and "Too many failed logins" in blocked.text
