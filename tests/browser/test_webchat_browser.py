"""The web chat in a real browser: headless Chromium (Debian's `chromium` and
`chromium-driver`) driven by Selenium against a real `rasa run` with the trained model
and the web chat channel.

Without a browser the test is skipped with the reason, except under CI=true where a
missing browser is a failure. Screenshots go to test-output/webchat/.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator, List, NamedTuple

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

ROOT = Path(__file__).resolve().parents[2]
RASA = str(Path(sys.executable).parent / "rasa")
SCREENSHOTS = ROOT / "test-output" / "webchat"
CHROMIUM = next(filter(None, map(shutil.which, ("chromium", "chromium-browser"))), None)
CHROMEDRIVER = shutil.which("chromedriver")
# Generous bounds for a 2-core machine; they bound waits, they assert no speed.
SERVER_START_TIMEOUT = 300
REPLY_TIMEOUT = 120
DIRECTION_MARKS = "\u200e\u200f"


class RasaServer(NamedTuple):
    url: str
    process: subprocess.Popen


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    if not (CHROMIUM and CHROMEDRIVER):
        reason = "no Chromium or chromedriver found; install: apt-get install -y chromium chromium-driver"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    # A phone-sized window: the page is laid out mobile first.
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=412,915"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def rasa_server(browser, model_path, endpoints_file, tmp_path_factory) -> Iterator[RasaServer]:
    folder = tmp_path_factory.mktemp("webchat")
    credentials = folder / "credentials.yml"
    credentials.write_text("bot.server.channels.webchat.WebChatInput:\n", encoding="utf-8")
    port = _free_port()
    log_path = folder / "rasa.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [RASA, "run", "--model", str(model_path), "--interface", "127.0.0.1",
             "--port", str(port), "--credentials", str(credentials), "--endpoints", str(endpoints_file)],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while not _answers(f"{url}/webhooks/webchat/"):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("rasa run did not start:\n" + log_path.read_text(errors="replace")[-3000:])
            time.sleep(1)
        yield RasaServer(url, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def bubbles(driver: WebDriver, who: str) -> List[WebElement]:
    return driver.find_elements(By.CSS_SELECTOR, f".message.{who} .bubble")


def text_of(bubble: WebElement) -> str:
    return bubble.text.strip(DIRECTION_MARKS + " \n")


def direction(driver: WebDriver, element: WebElement) -> str:
    return driver.execute_script("return getComputedStyle(arguments[0]).direction", element)


def arabic_share(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    return sum("\u0600" <= c <= "\u06ff" for c in letters) / len(letters)


def reply_to(driver: WebDriver, act) -> List[WebElement]:
    """Does `act` (which sends one message) and returns the bot bubbles it brought."""
    before = len(bubbles(driver, "bot"))
    act()

    def answered(d: WebDriver) -> bool:
        problem = d.find_element(By.ID, "status").text
        assert not problem, f"the page shows an error: {problem}"
        typing = d.find_element(By.ID, "typing").get_attribute("hidden") is not None
        return typing and len(bubbles(d, "bot")) > before

    WebDriverWait(driver, REPLY_TIMEOUT).until(answered)
    return bubbles(driver, "bot")[before:]


def type_and_enter(driver: WebDriver, text: str) -> None:
    field = driver.find_element(By.ID, "input")
    field.send_keys(text)
    field.send_keys(Keys.ENTER)


def stored_sender(driver: WebDriver) -> str:
    return driver.execute_script("return JSON.parse(localStorage.getItem('amo-webchat')).sender")


@pytest.fixture
def page(browser, rasa_server) -> WebDriver:
    """The chat page with no stored conversation."""
    browser.get(f"{rasa_server.url}/webhooks/webchat/")
    browser.execute_script("localStorage.clear()")
    browser.refresh()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return browser


def test_member_chats_switches_language_reloads_and_sees_a_polite_error(page):
    driver = page
    assert driver.find_element(By.ID, "input").get_attribute("dir") == "auto"

    # Arabizi gets Darija in Arabic script, right to left even though it starts with "AMO".
    replies = reply_to(driver, lambda: type_and_enter(driver, "salam, chno hiya AMO?"))
    assert [text_of(b) for b in replies if text_of(b)], "the bot answered nothing"
    assert text_of(bubbles(driver, "user")[-1]) == "salam, chno hiya AMO?"
    assert driver.find_element(By.ID, "input").get_attribute("value") == ""
    for bubble in bubbles(driver, "bot") + bubbles(driver, "user"):
        assert bubble.get_attribute("dir") == "auto"
    answer = replies[0]
    assert arabic_share(text_of(answer)) > 0.5, text_of(answer)
    assert direction(driver, answer) == "rtl"
    assert direction(driver, bubbles(driver, "user")[-1]) == "ltr"
    driver.save_screenshot(str(SCREENSHOTS / "1-darija-answer.png"))

    # A bot button sends its payload and shows its title as the member's message.
    choices = driver.find_elements(By.CSS_SELECTOR, ".message.bot:last-child .choices button")
    if choices:
        title = choices[0].text
        assert reply_to(driver, choices[0].click)
        assert text_of(bubbles(driver, "user")[-1]) == title

    # The language switch: the answer comes in Arabic script, right to left...
    arabic = driver.find_element(By.CSS_SELECTOR, "[data-language='ar']")
    [changed] = reply_to(driver, arabic.click)
    assert text_of(bubbles(driver, "user")[-1]) == "العربية"
    assert arabic_share(text_of(changed)) > 0.8, text_of(changed)
    assert direction(driver, changed) == "rtl"
    assert arabic.get_attribute("aria-pressed") == "true"
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("dir") == "rtl"
    loaded_fonts = driver.execute_async_script(
        "const done = arguments[0]; document.fonts.ready.then(() =>"
        " done([...document.fonts].filter(f => f.status === 'loaded').map(f => f.family)))"
    )
    assert any("Noto Sans Arabic" in family for family in loaded_fonts), loaded_fonts
    driver.save_screenshot(str(SCREENSHOTS / "2-arabic.png"))

    # ...and back to French: Latin script, left to right.
    [changed] = reply_to(driver, driver.find_element(By.CSS_SELECTOR, "[data-language='fr']").click)
    assert arabic_share(text_of(changed)) < 0.2, text_of(changed)
    assert direction(driver, changed) == "ltr"

    # A reload keeps the conversation and its sender id.
    shown = [text_of(b) for b in driver.find_elements(By.CSS_SELECTOR, ".bubble")]
    sender = stored_sender(driver)
    driver.refresh()
    WebDriverWait(driver, REPLY_TIMEOUT).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".bubble")) == len(shown))
    assert [text_of(b) for b in driver.find_elements(By.CSS_SELECTOR, ".bubble")] == shown
    assert stored_sender(driver) == sender
    driver.save_screenshot(str(SCREENSHOTS / "3-after-reload.png"))

    # The network goes away: a polite message, and the typed text is back in the input.
    driver.set_network_conditions(offline=True, latency=0, download_throughput=0, upload_throughput=0)
    members_before = len(bubbles(driver, "user"))
    type_and_enter(driver, "wach ana m3ni?")
    status = driver.find_element(By.ID, "status")
    WebDriverWait(driver, REPLY_TIMEOUT).until(lambda d: status.text)
    assert "réessayez" in status.text
    assert driver.find_element(By.ID, "input").get_attribute("value") == "wach ana m3ni?"
    assert len(bubbles(driver, "user")) == members_before
    driver.save_screenshot(str(SCREENSHOTS / "4-offline.png"))
    driver.delete_network_conditions()

    # "New conversation" forgets the history and the sender id.
    driver.find_element(By.ID, "new-conversation").click()
    assert driver.find_elements(By.CSS_SELECTOR, ".bubble") == []
    assert stored_sender(driver) != sender


@pytest.mark.parametrize(
    "text, direction_wanted",
    [
        ("AMO هي التأمين الإجباري عن المرض.", "rtl"),  # Arabic, though the first letter is Latin
        ("شنو هي AMO؟", "rtl"),
        ("L'AMO, c'est l'assurance maladie obligatoire.", "ltr"),
        ("سلام, je voudrais savoir comment m'inscrire à l'AMO", "ltr"),  # French, first letter Arabic
        ("salam, chno hiya AMO?", "ltr"),
        ("3939", "ltr"),  # no letter: the interface's direction (French here)
    ],
    ids=["arabic-first-letter-latin", "darija", "french", "french-first-letter-arabic", "arabizi", "digits"],
)
def test_each_bubble_takes_the_direction_of_its_main_script(page, text, direction_wanted):
    page.execute_script(
        "localStorage.setItem('amo-webchat', JSON.stringify("
        "{sender: 'web-test', lang: 'fr', messages: [{from: 'bot', text: arguments[0], buttons: []}]}))",
        text,
    )
    page.refresh()
    [bubble] = bubbles(page, "bot")
    assert text_of(bubble) == text
    assert bubble.get_attribute("dir") == "auto"
    assert direction(page, bubble) == direction_wanted


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("ma CIN AB123456", "ma CIN AB•••"),
        ("CIN: BE12345", "CIN: •••"),
        ("immatriculation 123456789", "immatriculation •••"),
        ("tel 06 12 34 56 78 svp", "tel ••• svp"),
        ("mzyada 12/03/1985", "mzyada •••"),
        ("رقمي ١٢٣٤٥٦٧٨٩", "رقمي •••"),
        ("CPU 2021, 25 ans, 3939", "CPU 2021, 25 ans, 3939"),  # identifies nobody: kept
    ],
    ids=["cin-8", "cin-5", "immatriculation", "phone", "birth-date", "eastern-digits", "kept"],
)
def test_personal_numbers_are_masked_in_the_stored_history(page, typed, stored):
    assert page.execute_script("return arguments[0].replace(PERSONAL, '•••')", typed) == stored


# The page's own words, the header and the button labels (issue 13 item 7), against a
# stub of the web chat server: the real page and assets (webchat.load_assets), and a
# webhook that answers with the domain's own responses, so no trained model is needed.

import json as _json
import random as _random
import threading as _threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def _stub_replies(message: str) -> list:
    from tests.helpers import DOMAIN

    def variant(name: str, language: str) -> dict:
        for v in DOMAIN.responses[name]:
            if v["condition"][0]["value"] == language:
                return {"recipient_id": "stub", "text": v["text"],
                        **({"buttons": v["buttons"]} if v.get("buttons") else {})}
        raise KeyError(name)

    if message.startswith("/change_language"):
        language = _json.loads(message[len("/change_language"):])["language"]
        return [variant("utter_language_changed", language)]
    language = {"سؤال بالعربية": "ar", "سؤال بالدارجة": "dar"}.get(message, "fr")
    return [variant("utter_ask_tadamon", language), variant("utter_ask_helpful", language)]


@pytest.fixture(scope="module")
def stub_server(browser) -> Iterator[str]:
    from bot.server.channels.webchat import load_assets

    assets = load_assets()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # quiet
            pass

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            if path == "/webhooks/webchat/":
                asset = assets["index.html"]
            else:
                asset = assets.get(path[len("/webhooks/webchat/static/"):]) if path.startswith("/webhooks/webchat/static/") else None
            if asset is None:
                self._send(404, b"", "text/plain")
            else:
                self._send(200, asset.body, asset.content_type)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = _json.loads(self.rfile.read(length) or b"{}")
            if self.path.endswith("/conversation"):
                answer = {"sender": "web:stub.signature"}
            else:
                answer = _stub_replies(body.get("message", ""))
            self._send(200, _json.dumps(answer).encode(), "application/json")

    server = None
    for _ in range(20):  # a port in 6100-6999, away from the integrator's
        try:
            server = ThreadingHTTPServer(("127.0.0.1", _random.randint(6100, 6999)), Handler)
            break
        except OSError:
            continue
    assert server is not None
    thread = _threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def stub_page(browser, stub_server) -> WebDriver:
    browser.get(f"{stub_server}/webhooks/webchat/")
    browser.execute_script("localStorage.clear()")
    browser.refresh()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return browser


def page_words(driver: WebDriver) -> dict:
    return driver.execute_script(
        "return {placeholder: document.getElementById('input').placeholder,"
        " send: document.getElementById('send').textContent,"
        " fresh: document.getElementById('new-conversation').textContent,"
        " title: document.title, dir: document.documentElement.dir, lang: document.documentElement.lang}"
    )


def ui(driver: WebDriver, language: str) -> dict:
    return driver.execute_script("return UI[arguments[0]]", language)


def test_the_pages_words_follow_the_language_of_the_replies(stub_page):
    driver = stub_page
    assert page_words(driver)["placeholder"] == ui(driver, "fr")["placeholder"]
    for typed, language in (("سؤال بالعربية", "ar"), ("سؤال بالدارجة", "dar"), ("Une question", "fr"),
                            ("سؤال بالدارجة", "dar")):
        reply_to(driver, lambda: type_and_enter(driver, typed))
        words, expected = page_words(driver), ui(driver, language)
        assert words == {"placeholder": expected["placeholder"], "send": expected["send"],
                         "fresh": expected["fresh"], "title": expected["title"],
                         "dir": expected["dir"], "lang": expected["lang"]}, (typed, words)
    driver.save_screenshot(str(SCREENSHOTS / "5-darija-page-words.png"))
    # The status message too, in the conversation's language (here Darija).
    driver.set_network_conditions(offline=True, latency=0, download_throughput=0, upload_throughput=0)
    try:
        type_and_enter(driver, "wach kayn chi haja?")
        status = driver.find_element(By.ID, "status")
        WebDriverWait(driver, REPLY_TIMEOUT).until(lambda d: status.text)
        assert status.text == ui(driver, "dar")["down"]
    finally:
        driver.delete_network_conditions()
    # And it stays after a reload.
    driver.refresh()
    assert page_words(driver)["send"] == ui(driver, "dar")["send"]


def test_the_header_isolates_its_french_and_arabic_titles(stub_page):
    driver = stub_page
    parts = driver.find_elements(By.CSS_SELECTOR, "#title bdi")
    assert [(p.get_attribute("dir"), p.text) for p in parts] == [("ltr", "Assistant AMO"), ("rtl", "مساعد AMO")]
    for direction_wanted, part in zip(("ltr", "rtl"), parts):
        assert direction(driver, part) == direction_wanted
        assert driver.execute_script("return getComputedStyle(arguments[0]).unicodeBidi", part) == "isolate"
    title = driver.find_element(By.ID, "title").text
    assert "·" in title and "AMO AMO" not in title, title
    reply_to(driver, lambda: type_and_enter(driver, "سؤال بالعربية"))  # also in a right-to-left page
    title = driver.find_element(By.ID, "title").text
    assert "·" in title and "AMO AMO" not in title, title


def test_the_feedback_buttons_carry_a_text_label(stub_page):
    driver = stub_page
    for typed, language in (("Une question", "fr"), ("سؤال بالعربية", "ar")):
        reply_to(driver, lambda: type_and_enter(driver, typed))
        buttons = driver.find_elements(By.CSS_SELECTOR, ".message.bot:last-child .choices button")
        assert len(buttons) == 2
        labels = [b.find_element(By.CSS_SELECTOR, ".label").text for b in buttons]
        assert all(label and any(c.isalpha() for c in label) for label in labels), labels
        for button in buttons:
            emoji = button.find_element(By.CSS_SELECTOR, ".emoji")
            assert emoji.get_attribute("aria-hidden") == "true" and emoji.text in ("👍", "👎")
        assert driver.execute_script("return arguments[0].innerText", buttons[0]).strip().endswith(labels[0])
