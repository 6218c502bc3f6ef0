"""The staff app in a real browser: headless Chromium (Debian's `chromium` and
`chromium-driver`) driven by Selenium, against `python -m bot.tools.staff` with the
trained model, a temporary copy of the project and a seeded unanswered store.

Desk agent: log in, search in Darija, the three answers side by side (Arabic and
Darija right to left), the printable sheet (printed to an A4 PDF). Analyst: label a
group, it leaves the inbox. Refused: a wrong password, an expired session, an agent
labelling (403). Screenshots of the desk and the inbox at desktop (1366x900) and phone
(412x915) width go to results/staff/.

Without a browser the tests are skipped with the reason, except under CI=true.
"""
from __future__ import annotations

import base64
import os
import re
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from typing import Iterator

import pytest
import sqlalchemy as sa
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.print_page_options import PrintOptions
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from bot.shared.unanswered import UnansweredStore, create_engine
from bot.tools.knowledge import load_topics
from bot.tools.staff.accounts import sessions_table
from tests.helpers import ROOT
from tests.review.conftest import WEEK, insert
from tests.staff.conftest import add_user, copy_project, start_staff_server, stop

CHROMIUM = next(filter(None, map(shutil.which, ("chromium", "chromium-browser"))), None)
CHROMEDRIVER = shutil.which("chromedriver")
SCREENSHOTS = ROOT / "results" / "staff"
DESKTOP, PHONE = (1366, 900), (412, 915)
AGENT, ANALYST = ("amina", "desk password 1"), ("karim", "inbox password 1")
# A Darija question as members write it (an example of data/nlu/dar/contributions.yml).
DARIJA = "شحال كنخلص ف الشهر"
TOPIC = "ask_contribution_amount"
WAIT = 60


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    if not (CHROMIUM and CHROMEDRIVER):
        reason = "no Chromium or chromedriver found; install: apt-get install -y chromium chromium-driver"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     f"--window-size={DESKTOP[0]},{DESKTOP[1]}", "--lang=fr"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(WAIT)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def staff(browser, model_path, tmp_path_factory):
    folder = tmp_path_factory.mktemp("staff-browser")
    project = copy_project(folder / "project")
    staff_url = f"sqlite:///{folder / 'staff.db'}"
    analytics_url = f"sqlite:///{folder / 'analytics.db'}"
    engine = create_engine(analytics_url)
    insert(engine, WEEK)
    add_user(staff_url, AGENT[0], "agent", AGENT[1])
    add_user(staff_url, ANALYST[0], "analyst", ANALYST[1])
    process, url = start_staff_server(project, model_path, staff_url, analytics_url, folder / "staff.log")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        yield {"url": url, "staff_url": staff_url, "store": UnansweredStore(engine), "project": project}
    finally:
        stop(process)
        engine.dispose()


def login(driver: WebDriver, base: str, name: str, password: str) -> None:
    driver.delete_all_cookies()
    driver.get(base + "/login")
    driver.find_element(By.ID, "name").send_keys(name)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, ".login button[type=submit]").click()
    # The next driver.get() would cancel a login still under way (scrypt takes a while
    # on a loaded machine): wait for its answer, a redirect or the refusal.
    wait(driver).until(lambda d: "/login" not in d.current_url
                       or d.find_elements(By.CSS_SELECTOR, ".error[role=alert]"))


def direction(driver: WebDriver, element) -> str:
    return driver.execute_script("return getComputedStyle(arguments[0]).direction", element)


def shoot(driver: WebDriver, name: str) -> Path:
    """The page at desktop and phone width; fails on a page wider than a phone."""
    for label, (width, height) in (("desktop", DESKTOP), ("phone", PHONE)):
        driver.set_window_size(width, height)
        overflow = driver.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"{name} scrolls sideways at {width} px ({overflow} px too wide)"
        driver.save_screenshot(str(SCREENSHOTS / f"{name}-{label}.png"))
    driver.set_window_size(*DESKTOP)
    return SCREENSHOTS


def wait(driver: WebDriver):
    return WebDriverWait(driver, WAIT)


def test_wrong_password_is_refused(browser, staff):
    login(browser, staff["url"], AGENT[0], "not my password")
    alert = wait(browser).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".error[role=alert]")))
    assert "Wrong name or password" in alert.text
    assert "/login" in browser.current_url
    browser.get(staff["url"] + "/desk")
    assert "/login" in browser.current_url


def test_desk_agent_searches_in_darija_and_sees_three_answers(browser, staff):
    topic = load_topics()[TOPIC]
    login(browser, staff["url"], *AGENT)
    box = wait(browser).until(EC.presence_of_element_located((By.ID, "q")))
    box.send_keys(DARIJA)
    browser.find_element(By.CSS_SELECTOR, ".search button").click()
    intent = wait(browser).until(EC.presence_of_element_located((By.ID, "intent")))
    assert intent.get_attribute("data-name") == TOPIC
    assert browser.find_element(By.ID, "language").get_attribute("data-code") == "dar"
    answers = browser.find_elements(By.CSS_SELECTOR, "#result .answer")
    assert [a.get_attribute("data-lang") for a in answers] == ["fr", "ar", "dar"]
    assert [direction(browser, a) for a in answers] == ["ltr", "rtl", "rtl"]
    for answer, lang in zip(answers, ("fr", "ar", "dar")):
        shown = answer.find_element(By.TAG_NAME, "p").text
        assert " ".join(shown.split()) == " ".join(topic.answer[lang].split())
    # side by side on a desk PC: three columns at the same height
    tops = {round(a.rect["y"]) for a in answers}
    assert len(tops) == 1, tops
    facts = browser.find_element(By.CSS_SELECTOR, "table.facts")
    assert facts.find_elements(By.CSS_SELECTOR, "tbody tr") and topic.checked in browser.page_source
    assert "S" in facts.text  # source ids such as S3
    shoot(browser, "desk")
    # stacked on a phone
    browser.set_window_size(*PHONE)
    tops = [round(a.rect["y"]) for a in browser.find_elements(By.CSS_SELECTOR, "#result .answer")]
    assert tops == sorted(tops) and len(set(tops)) == 3
    browser.set_window_size(*DESKTOP)


def test_topics_list_and_print_view(browser, staff):
    topics = load_topics()
    login(browser, staff["url"], *AGENT)
    browser.get(staff["url"] + "/desk/topics")
    rows = browser.find_elements(By.CSS_SELECTOR, "#topics tbody tr")
    assert len(rows) == len(topics)
    first = browser.current_window_handle
    browser.find_element(By.ID, "sheet").click()
    wait(browser).until(lambda d: len(d.window_handles) == 2)
    browser.switch_to.window([h for h in browser.window_handles if h != first][0])
    wait(browser).until(EC.presence_of_element_located((By.ID, "print")))
    assert len(browser.find_elements(By.CSS_SELECTOR, "section.topic")) == len(topics)
    assert browser.execute_script(
        "return getComputedStyle(document.querySelector('section.topic')).breakInside") == "avoid"
    options = PrintOptions()
    options.page_width, options.page_height = 21.0, 29.7  # A4, cm
    pdf = base64.b64decode(browser.print_page(options))
    assert pdf.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    (SCREENSHOTS / "sheet.pdf").write_bytes(pdf)
    assert pages >= 3, pages  # 21 topics in three languages do not fit on one or two pages
    # the Print button is for the screen only
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    assert not browser.find_element(By.ID, "print").is_displayed()
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    browser.close()
    browser.switch_to.window(first)


def test_analyst_labels_a_group_and_it_leaves_the_inbox(browser, staff):
    login(browser, staff["url"], *ANALYST)
    wait(browser).until(EC.presence_of_element_located((By.ID, "summary")))
    assert browser.current_url.endswith("/inbox")
    card = browser.find_element(By.ID, "g1")  # chhal nkhalss / ch7al nkhles / شحال نخلص ...
    assert card.get_attribute("data-ids") == "1,2,3,4"
    # a member's "<script>" is shown as text, never run
    assert "<script>alert(1)</script>" in browser.find_element(By.TAG_NAME, "main").text
    assert browser.execute_script("return document.scripts.length") == 0
    shoot(browser, "inbox")
    field = card.find_element(By.CSS_SELECTOR, "form.review input[name=intent]")
    field.send_keys(TOPIC)
    card.find_element(By.CSS_SELECTOR, "form.review button[value=label]").click()
    notice = wait(browser).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".notice[role=status]")))
    assert f"4 message(s) labelled {TOPIC}" in notice.text
    assert not browser.find_elements(By.ID, "g1")
    assert {r.label for r in staff["store"].select(ids=[1, 2, 3, 4])} == {TOPIC}
    assert (staff["project"] / "data" / "nlu" / "reviewed" / f"{TOPIC}.yml").is_file()
    # the labelled view parses them with the model in use: labelled after it was trained
    browser.get(staff["url"] + "/inbox/labelled")
    states = [row.get_attribute("data-state") for row in browser.find_elements(By.CSS_SELECTOR, "#labelled tbody tr")]
    assert states == ["labelled after this model"] * 4
    browser.get(staff["url"] + "/dashboard")
    assert browser.find_elements(By.CSS_SELECTOR, "svg.chart")
    shoot(browser, "dashboard")


def test_agent_cannot_label(browser, staff):
    login(browser, staff["url"], *AGENT)
    wait(browser).until(EC.presence_of_element_located((By.ID, "q")))
    token = browser.find_element(By.CSS_SELECTOR, "form.who input[name=csrf]").get_attribute("value")
    browser.get(staff["url"] + "/inbox")
    assert "Not allowed" in browser.find_element(By.TAG_NAME, "h1").text
    # a forged label POST with the agent's own valid session and token
    browser.get(staff["url"] + "/desk")
    browser.execute_script(
        "const f = document.createElement('form'); f.method = 'post'; f.action = '/inbox/review';"
        "for (const [k, v] of Object.entries(arguments[0])) {"
        "  const i = document.createElement('input'); i.type = 'hidden'; i.name = k; i.value = v; f.appendChild(i); }"
        "document.body.appendChild(f); f.submit();",
        {"csrf": token, "ids": "5,6,7", "action": "label", "intent": "ask_beneficiaries_who"},
    )
    wait(browser).until(lambda d: "/inbox/review" in d.current_url)
    assert "Not allowed" in browser.find_element(By.TAG_NAME, "h1").text
    status = browser.execute_script(
        "return performance.getEntriesByType('navigation')[0].responseStatus")
    assert status in (403, None)  # responseStatus is recent; the page says it either way
    assert all(r.reviewed_at is None for r in staff["store"].select(ids=[5, 6, 7]))


def test_an_expired_session_is_refused(browser, staff):
    login(browser, staff["url"], *ANALYST)
    wait(browser).until(EC.presence_of_element_located((By.ID, "summary")))
    engine = sa.create_engine(staff["staff_url"])
    with engine.begin() as connection:  # 31 minutes without a request
        connection.execute(sessions_table.update().values(last_seen=datetime.utcnow() - timedelta(minutes=31)))
    engine.dispose()
    browser.get(staff["url"] + "/inbox")
    assert "/login" in browser.current_url and "expired=1" in browser.current_url
    assert "session has expired" in browser.find_element(By.CSS_SELECTOR, ".error").text
