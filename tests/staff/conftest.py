"""Fixtures of the staff app's tests: fast password hashing for unit tests, and a
temporary copy of the project (so labels never reach the repository's data/nlu/reviewed/)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Optional

import pytest

from bot.tools.staff import accounts
from tests.conftest import free_port, wait_until_up
from tests.helpers import ROOT

PROJECT_PARTS = ("config.yml", "domain", "data", "knowledge")


@pytest.fixture
def fast_hashing(monkeypatch):
    """scrypt with N=2^10: the same code path, a hundred times faster (unit tests only)."""
    monkeypatch.setattr(accounts, "SCRYPT_N", 2 ** 10)
    monkeypatch.setattr(accounts, "SCRYPT_P", 1)


def copy_project(target: Path) -> Path:
    """config.yml, domain/, data/ and knowledge/ copied: what `rasa train` and the app read."""
    target.mkdir(parents=True, exist_ok=True)
    for part in PROJECT_PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, target / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target / part)
    (target / "data" / "nlu" / "reviewed").mkdir(parents=True, exist_ok=True)
    return target


def add_user(staff_url: str, name: str, role: str, password: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot.tools.staff", "--db", staff_url, "add-user", name, "--role", role,
         "--password-stdin"],
        input=password + "\n", cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr


def start_staff_server(project: Path, model: Path, staff_url: str, analytics_url: str, log_path: Path,
                       *extra: str, env: Optional[dict] = None, wait: bool = True) -> "tuple[subprocess.Popen, str]":
    """`python -m bot.tools.staff` on a free loopback port; returns it and its base URL
    (wait=False: at once, `wait_for_staff` later, to load other servers meanwhile)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.tools.staff", "--db", staff_url, "serve", "--port", str(port),
         "--project", str(project), "--model", str(model), "--analytics-db", analytics_url, *extra],
        cwd=ROOT, stdout=log_path.open("w"), stderr=subprocess.STDOUT, env={**os.environ, **(env or {})},
    )
    url = f"http://127.0.0.1:{port}"
    if wait:
        wait_for_staff(process, url, log_path)
    return process, url


def wait_for_staff(process: subprocess.Popen, url: str, log_path: Path) -> None:
    try:
        wait_until_up(f"{url}/login", process, timeout=400)
    except (RuntimeError, TimeoutError):
        process.kill()
        raise RuntimeError("the staff app did not start:\n" + log_path.read_text(errors="replace")[-3000:])


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
