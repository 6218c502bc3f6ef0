"""The exported sheet in headless Chromium: right-to-left sections render right to left.

Reuses the web chat browser set-up (skipped without Chromium, failed under CI=true).
The screenshot goes to test-output/reference/.
"""
from __future__ import annotations

import subprocess
import sys

import pytest
from selenium.webdriver.common.by import By

from bot.tools.knowledge import ROOT, load_topics
from tests.browser.test_webchat_browser import browser, direction  # noqa: F401 (fixture)

SCREENSHOTS = ROOT / "test-output" / "reference"
# Where the first word of a paragraph starts: its right edge in a right-to-left
# paragraph, its left edge in a left-to-right one, both against the paragraph's box.
FIRST_WORD_OFFSETS = """
const p = arguments[0], text = p.firstChild, box = p.getBoundingClientRect();
const end = text.data.search(/\\s/);
const range = document.createRange();
range.setStart(text, 0);
range.setEnd(text, end > 0 ? end : text.data.length);
const word = range.getBoundingClientRect();
return [word.left - box.left, box.right - word.right];
"""


@pytest.fixture(scope="module")
def sheet_page(browser, tmp_path_factory):  # noqa: F811 (the imported fixture)
    path = tmp_path_factory.mktemp("sheet") / "reference.html"
    subprocess.run([sys.executable, "-m", "bot.tools.reference", "--export", str(path)], cwd=ROOT, check=True)
    browser.set_window_size(1240, 1754)  # an A4 page at 150 dpi
    browser.get(path.as_uri())
    return browser


def test_arabic_and_darija_sections_render_right_to_left(sheet_page):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    sheet_page.save_screenshot(str(SCREENSHOTS / "sheet.png"))
    sections = sheet_page.find_elements(By.CSS_SELECTOR, "section.answer")
    assert len(sections) == 3 * len(load_topics())
    for section in sections:
        lang = section.get_attribute("lang")
        paragraph = section.find_element(By.TAG_NAME, "p")
        from_left, from_right = sheet_page.execute_script(FIRST_WORD_OFFSETS, paragraph)
        if lang in ("ar", "ary"):
            assert direction(sheet_page, paragraph) == "rtl"
            assert abs(from_right) < 2, (section.get_attribute("outerHTML")[:120], from_right)
        else:
            assert direction(sheet_page, paragraph) == "ltr"
            assert abs(from_left) < 2, (section.get_attribute("outerHTML")[:120], from_left)
