"""The folders say which process runs what, and the imports keep to it:
- bot/server/: what the Rasa server loads; bot/tools/: what people run;
- bot/shared/: pure logic both servers use, with no rasa or rasa_sdk import;
- actions/: the action server.
No arrow from the Rasa server (or anything in bot/) into actions/, none from the action
server into the Rasa server's plugins or the tools."""
import ast
from pathlib import Path
from typing import Iterator, Tuple

import pytest

from tests.helpers import ROOT

FORBIDDEN = {
    "bot/server": ("actions",),
    "bot/tools": ("actions",),
    "bot/shared": ("actions", "rasa", "rasa_sdk", "bot.server", "bot.tools"),
    "actions": ("bot.server", "bot.tools", "rasa."),
}


def imports(path: Path) -> Iterator[Tuple[int, str]]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module


def violations(folder: str, banned: Tuple[str, ...]) -> list:
    found = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        for line, module in imports(path):
            if any(module == b.rstrip(".") or module.startswith(b.rstrip(".") + ".") for b in banned):
                found.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    return found


@pytest.mark.parametrize("folder", sorted(FORBIDDEN))
def test_no_import_crosses_a_process_boundary(folder):
    assert violations(folder, FORBIDDEN[folder]) == []


def test_the_check_sees_a_forbidden_import(tmp_path, monkeypatch):
    (tmp_path / "bot" / "shared").mkdir(parents=True)
    (tmp_path / "bot" / "shared" / "bad.py").write_text("from rasa.core.agent import Agent\nimport actions.members\n")
    monkeypatch.setattr("tests.test_layout.ROOT", tmp_path)
    assert len(violations("bot/shared", FORBIDDEN["bot/shared"])) == 2
