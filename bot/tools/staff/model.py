"""The trained model inside the staff app: loaded once at start, parsed in-process, and
replaced after a retraining started from the analysts' inbox.

Rasa's parse is a coroutine that computes without awaiting (the NLU graph runs inside
it), so it would hold the event loop: parses run in the model's own worker thread, one
at a time (the loaded pipeline is not known to be safe to share between threads).

Retraining is `rasa train --domain domain` run as a child process in the project
directory (the same command as `make train`), writing models/amo.tar.gz there; when it
succeeds the new model is loaded in a worker thread and swapped in, so searches keep
being answered by the old model until then. One training at a time.
"""
from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, List, Optional

logger = logging.getLogger(__name__)

RASA = str(Path(sys.executable).parent / "rasa")
LOG_TAIL = 4000  # characters of the training log shown when it fails


def _quiet_rasa() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    warnings.showwarning = lambda *args, **kwargs: None
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.ERROR)
    configure_structlog(logging.ERROR)


def load_agent(path: Path) -> Any:
    _quiet_rasa()
    from rasa.core.agent import Agent

    return Agent.load(str(path))


class Model:
    """The model file and the loaded agent (None when no model could be loaded)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.agent: Any = None
        self.loaded_at: Optional[datetime] = None
        self.trained_at: Optional[datetime] = None  # the file's modification time, UTC
        self.problem: Optional[str] = None
        self._parser = ThreadPoolExecutor(max_workers=1, thread_name_prefix="staff-nlu")

    def load(self) -> bool:
        """Loads (or reloads) the file; on failure the previous agent stays."""
        if not self.path.is_file():
            self.problem = f"no trained model at {self.path}: run `make train` (or the retrain button)"
            return False
        try:
            agent = load_agent(self.path)
        except Exception as error:  # a corrupt or foreign archive: say so, keep the old one
            self.problem = f"could not load {self.path.name}: {' '.join(str(error).split())[:300]}"
            return False
        self.agent = agent
        self.loaded_at = datetime.utcnow().replace(microsecond=0)
        self.trained_at = datetime.utcfromtimestamp(self.path.stat().st_mtime).replace(microsecond=0)
        self.problem = None
        return True

    @property
    def ready(self) -> bool:
        return self.agent is not None

    async def parse(self, text: str) -> Dict[str, Any]:
        """The agent's parse of `text`, computed in the model's thread."""
        agent = self.agent  # the one loaded now, even if a retraining swaps it meanwhile
        return await asyncio.get_running_loop().run_in_executor(
            self._parser, lambda: asyncio.run(agent.parse_message(text)))


@dataclass
class Training:
    """The state of the latest retraining, shown in the inbox."""

    running: bool = False
    started_at: Optional[datetime] = None
    finished_at: Optional[datetime] = None
    seconds: Optional[float] = None
    ok: Optional[bool] = None
    message: str = ""
    log_tail: str = ""
    started_by: str = ""
    history: List[str] = field(default_factory=list)


def train_command(model: Path, finetune_fraction: Optional[float] = None) -> List[str]:
    """`make train`'s command, writing `model`. With a fraction: Rasa's incremental training
    (`--finetune` the current model for that fraction of the configured epochs), minutes
    instead of tens of minutes when labels only add examples to existing intents; a full
    `make train` now and then still gives the best model."""
    command = [
        RASA, "train", "--domain", "domain", "--data", "data", "--config", "config.yml",
        "--out", str(model.parent), "--fixed-model-name", model.name.split(".")[0],
    ]
    if finetune_fraction:
        command += ["--finetune", str(model), "--epoch-fraction", f"{finetune_fraction:g}"]
    return command


def _tail(log_path: Path) -> str:
    """The end of the training log (which can be long), as text."""
    with log_path.open("rb") as log:
        log.seek(max(log.seek(0, os.SEEK_END) - 4 * LOG_TAIL, 0))
        return log.read().decode("utf-8", errors="replace")[-LOG_TAIL:]


class Retrainer:
    def __init__(self, model: Model, project: Path, command: Optional[List[str]] = None) -> None:
        self.model = model
        self.project = project
        self.command = command or train_command(model.path)
        self.state = Training()
        self._task: Optional[asyncio.Task] = None

    def start(self, who: str) -> bool:
        """Starts a training in the background; False when one is running already."""
        if self.state.running:
            return False
        self.state = Training(running=True, started_at=datetime.utcnow().replace(microsecond=0),
                              started_by=who, message="training", history=self.state.history)
        self._task = asyncio.get_running_loop().create_task(self._run())
        return True

    async def _run(self) -> None:
        state, began = self.state, time.monotonic()
        log_path = self.model.path.parent / "staff-train.log"
        try:
            log_path.parent.mkdir(parents=True, exist_ok=True)
            env = {**os.environ, "PYTHONPATH": os.pathsep.join(
                filter(None, [str(Path(__file__).resolve().parents[3]), os.environ.get("PYTHONPATH")]))}
            with log_path.open("wb") as log:
                process = await asyncio.create_subprocess_exec(
                    *self.command, cwd=str(self.project), stdout=log, stderr=asyncio.subprocess.STDOUT, env=env)
                code = await process.wait()
            if code != 0:
                state.ok = False
                state.message = f"rasa train failed (exit code {code}); the previous model is still in use"
                state.log_tail = await asyncio.to_thread(_tail, log_path)
                return
            state.message = "trained; loading the new model"
            loaded = await asyncio.to_thread(self.model.load)
            state.ok = loaded
            state.message = "new model loaded" if loaded else f"trained, but {self.model.problem}"
        except Exception as error:  # noqa: BLE001 - the app keeps serving with the old model
            logger.exception("retraining failed")
            state.ok, state.message = False, f"retraining failed: {type(error).__name__}: {error}"
        finally:
            state.running = False
            state.finished_at = datetime.utcnow().replace(microsecond=0)
            state.seconds = round(time.monotonic() - began, 1)
            state.history.append(f"{state.started_at:%Y-%m-%d %H:%M} by {state.started_by}: "
                                 f"{state.message} ({state.seconds:.0f} s)")

    async def wait(self) -> None:
        if self._task is not None:
            await self._task
