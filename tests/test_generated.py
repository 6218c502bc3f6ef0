"""Generated files are whole files, say so in their first line, and are exactly what
the generator writes from knowledge/. `make test` does not regenerate a generated
file that changed on its own, so a hand edit fails here."""
import pytest

from bot.tools import knowledge


@pytest.mark.parametrize("path", sorted(knowledge.rendered_files()), ids=lambda p: p.name)
def test_a_generated_file_is_what_the_generator_writes(path):
    first_line = path.read_text(encoding="utf-8").partition("\n")[0]
    assert first_line.startswith("# Generated from knowledge/"), path
    assert path not in knowledge.stale(knowledge.rendered_files()), "edit knowledge/*.yml, then: python -m bot.tools.knowledge"


def test_a_hand_edit_is_seen_and_never_overwritten(tmp_path, monkeypatch):
    target = tmp_path / "knowledge.yml"
    monkeypatch.setattr(knowledge, "GENERATED_RESPONSES", target)
    monkeypatch.setattr(knowledge, "RULES", tmp_path / "rules.yml")
    monkeypatch.setattr(knowledge, "ROOT", tmp_path)
    assert knowledge.main([]) == 0 and not knowledge.edited_by_hand(target)
    edited = target.read_text(encoding="utf-8").replace("text:", "text: ", 1) + "  utter_by_hand: []\n"
    target.write_text(edited, encoding="utf-8")
    assert knowledge.edited_by_hand(target)
    assert knowledge.main(["--check"]) == 1
    assert knowledge.main([]) == 1, "the generator must refuse to overwrite a hand edit"
    assert target.read_text(encoding="utf-8") == edited
