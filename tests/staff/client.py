"""A small HTTP client for the staff app's own endpoints (login, CSRF token, POST), used
by the unit, loop and browser tests: cookies kept, redirects not followed."""
from __future__ import annotations

import re
from html import unescape
from typing import Dict, Optional

import requests

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


class StaffClient:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = requests.Session()

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.http.get(self.base_url + path, allow_redirects=False, timeout=120, **kwargs)

    def post(self, path: str, data: Dict[str, str], **kwargs) -> requests.Response:
        return self.http.post(self.base_url + path, data=data, allow_redirects=False, timeout=120, **kwargs)

    @staticmethod
    def csrf(page: str) -> str:
        found = _CSRF.search(page)
        assert found, "no CSRF token in the page"
        return unescape(found.group(1))

    def login(self, name: str, password: str, next_path: str = "") -> requests.Response:
        form = self.get("/login")
        return self.post("/login", {"csrf": self.csrf(form.text), "name": name, "password": password,
                                    "next": next_path})

    def token(self, path: str = "/desk") -> str:
        page = self.get(path)
        assert page.status_code == 200, (path, page.status_code)
        return self.csrf(page.text)

    def review(self, ids, action: str, intent: Optional[str] = None, token: Optional[str] = None) -> requests.Response:
        data = {"csrf": self.token("/inbox") if token is None else token, "ids": ",".join(str(i) for i in ids), "action": action}
        if intent is not None:
            data["intent"] = intent
        return self.post("/inbox/review", data)
