"""The retraining runner of the staff app (bot/tools/staff/model.py), with stand-in commands:
one training at a time, a failure keeps the old model and shows the log's end, a
model that cannot be loaded is said. The real `rasa train` runs in test_loop.py."""
from __future__ import annotations

import asyncio
import sys

from bot.tools.staff.model import Model, Retrainer


def run(retrainer: Retrainer, who: str = "karim"):
    async def go():
        assert retrainer.start(who)
        assert retrainer.state.running
        assert not retrainer.start("someone else")  # one training at a time
        await retrainer.wait()
    asyncio.run(go())
    return retrainer.state


def test_a_failed_training_keeps_the_model_and_shows_the_log(tmp_path):
    model = Model(tmp_path / "models" / "amo.tar.gz")
    command = [sys.executable, "-c", "import sys; print('InvalidDomain: intent x is not in the domain'); sys.exit(3)"]
    state = run(Retrainer(model, tmp_path, command))
    assert not state.running and state.ok is False
    assert "exit code 3" in state.message and "previous model is still in use" in state.message
    assert "InvalidDomain" in state.log_tail
    assert state.seconds is not None and state.history and "karim" in state.history[-1]
    assert not model.ready


def test_a_model_that_cannot_be_loaded_is_reported(tmp_path):
    model = Model(tmp_path / "models" / "amo.tar.gz")
    command = [sys.executable, "-c", f"open({str(model.path)!r}, 'wb').write(b'not a model')"]
    state = run(Retrainer(model, tmp_path, command))
    assert state.ok is False and "could not load amo.tar.gz" in state.message
    assert not model.ready


def test_the_default_command_is_make_train_s(tmp_path):
    retrainer = Retrainer(Model(tmp_path / "models" / "amo.tar.gz"), tmp_path)
    assert retrainer.command[1:] == ["train", "--domain", "domain", "--data", "data", "--config", "config.yml",
                                     "--out", str(tmp_path / "models"), "--fixed-model-name", "amo"]


def test_incremental_retraining_finetunes_the_current_model(tmp_path):
    from bot.tools.staff.model import train_command

    model = tmp_path / "models" / "amo.tar.gz"
    command = train_command(model, 0.2)
    assert command[-4:] == ["--finetune", str(model), "--epoch-fraction", "0.2"]
    assert "--finetune" not in train_command(model)
