"""`python -m bot.tools.reference`: the desk agents' quick reference (see bot/tools/reference)."""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import sys
import warnings
from functools import partial
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import yaml

from bot.tools.knowledge import ROOT, Topic
from bot.tools.reference import (
    HEADING,
    LANGUAGE_NAMES,
    RIGHT_TO_LEFT,
    RUNNER_UP_GAP,
    Reading,
    Reference,
    question,
    read,
    sheet,
)
from bot.tools.reference.terminal import (
    BIDI_ENV,
    Terminal,
    column_widths,
    display_width,
    shaping_wanted,
)
from bot.shared.languages import REPLY_LANGUAGES

# Below this many cells a column of Arabic or French prose is hard to read: stack instead.
MIN_COLUMN = 28
LABEL = "{:<11}"
QUIT = {"q", "quit", "exit", ":q"}


def answer_lines(texts: Dict[str, str], term: Terminal) -> List[str]:
    """The three languages side by side when the terminal is wide enough, else stacked."""
    def block(lang: str, width: int) -> List[str]:
        rule = "─" * width
        body = texts.get(lang) or "(no text in this language)"
        rtl = lang in RIGHT_TO_LEFT
        return term.block(HEADING[lang], width, rtl) + [rule] + term.block(body, width, rtl)

    widths = column_widths(term.width, len(REPLY_LANGUAGES), MIN_COLUMN)
    if widths:
        return term.columns([block(lang, w) for lang, w in zip(REPLY_LANGUAGES, widths)], widths)
    lines: List[str] = []
    for lang in REPLY_LANGUAGES:
        lines += [line.rstrip() for line in block(lang, max(term.width, 20))] + [""]
    return lines[:-1]


def _fact_lines(topic: Topic, term: Terminal) -> List[str]:
    lines = ["Facts and sources (knowledge/amo-facts.md):"]
    for fact in topic.facts:
        note = f"{fact['text']} [{fact['confidence']}; §{fact['section']}; {', '.join(fact['sources'])}]"
        wrapped = term.block(note, max(term.width - 4, 20))
        lines += ["  • " + wrapped[0].rstrip()] + ["    " + line.rstrip() for line in wrapped[1:]]
    return lines


def reading_lines(reading: Reading, term: Terminal) -> List[str]:
    """What the agent sees for one question."""
    language = LANGUAGE_NAMES.get(reading.language, "unclear (the chat keeps the previous reply language)")
    if reading.language:
        language += f", {reading.language_confidence:.0%}"
    if reading.mixed:
        language += ", mixed"
    lines = [
        LABEL.format("Language") + language,
        LABEL.format("Intent") + f"{reading.intent.name}  {reading.intent.confidence:.2f}",
    ]
    if reading.runner_up:
        lines.append(
            LABEL.format("Runner-up")
            + f"{reading.runner_up.name}  {reading.runner_up.confidence:.2f}"
            + f"  (within {RUNNER_UP_GAP} of the top: check the answer fits)"
        )
    topic = reading.topic
    if topic:
        titles = term.join([topic.title[lang] for lang in REPLY_LANGUAGES], " · ")
        lines.append(LABEL.format("Topic") + f"{titles}  (checked {topic.checked})")
        if topic.form:
            lines.append(f"In the chat this intent starts {topic.form}; below is the general answer.")
    elif reading.texts:
        lines.append(f"Not a knowledge topic: '{reading.intent.name}' gets this conversation reply.")
    else:
        lines.append(f"Not a knowledge topic: '{reading.intent.name}' has no fixed reply to show.")
    lines.append("")
    if reading.texts:
        lines += answer_lines(reading.texts, term)
    if topic:
        lines += [""] + _fact_lines(topic, term)
    return lines


def topic_lines(topics: Dict[str, Topic], term: Terminal) -> List[str]:
    """One row per topic: name, title in three languages, date checked."""
    rows = [["topic", *(HEADING[lang] for lang in REPLY_LANGUAGES), "checked"]] + [
        [t.topic, *(t.title[lang] for lang in REPLY_LANGUAGES), t.checked] for t in topics.values()
    ]
    rtl = [False, *(lang in RIGHT_TO_LEFT for lang in REPLY_LANGUAGES), False]
    # Shaping only ever joins letters (lam-alef), so the raw width is enough.
    widths = [max(display_width(row[i]) for row in rows) for i in range(len(rtl))]
    return [
        term.columns([term.block(cell, w, r) for cell, w, r in zip(row, widths, rtl)], widths, gap="  ")[0]
        for row in rows
    ] + ["", f"{len(topics)} topics"]


class Assistant:
    """The trained model, loaded once, in-process (no server)."""

    def __init__(self, agent: Any) -> None:
        self.agent = agent
        self.loop = asyncio.new_event_loop()

    @classmethod
    def load(cls, model: Path) -> "Assistant":
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        logging.basicConfig(stream=sys.stderr, level=logging.ERROR)
        # Library warnings (deprecations, training advice, "/payload" parsing) are
        # not for desk agents. Filters do not hold them back (an import resets
        # them), so this process never shows them.
        warnings.showwarning = lambda *args, **kwargs: None
        from rasa.core.agent import Agent
        from rasa.utils.common import configure_logging_and_warnings
        from rasa.utils.log_utils import configure_structlog

        # Rasa's debug lines would otherwise go to stdout, between the answers.
        configure_logging_and_warnings(logging.ERROR)
        configure_structlog(logging.ERROR)
        return cls(Agent.load(str(model)))

    def parse(self, text: str) -> Dict[str, Any]:
        return self.loop.run_until_complete(self.agent.parse_message(text))


def _questions() -> Iterator[str]:
    """Lines typed by the agent, until end of input or a quit word."""
    if sys.stdin.isatty() and sys.stdout.isatty():
        from prompt_toolkit import PromptSession

        ask = partial(PromptSession().prompt, "question> ")
    else:
        ask = input
    while True:
        try:
            text = ask()
        except (EOFError, KeyboardInterrupt):
            return
        if text.strip().lower() in QUIT:
            return
        yield text


def _terminal(shape: bool) -> Terminal:
    # COLUMNS wins over the real size: scripts and tests can fix the layout.
    return Terminal(shutil.get_terminal_size().columns, shape)


def _print(lines: List[str]) -> None:
    print("\n".join(lines), flush=True)


def _load(model: Path) -> Optional[Assistant]:
    if not model.is_file():
        print(
            f"No trained model at {model}. Run `make train` first, or pass --model FILE. "
            "(--topics and --export work without a model.)",
            file=sys.stderr,
        )
        return None
    print(f"Loading {model.name} (takes some seconds)...", file=sys.stderr, flush=True)
    try:
        return Assistant.load(model)
    except Exception as error:  # a corrupt or foreign archive: say so, no traceback
        print(f"Could not load the model {model}: {error}", file=sys.stderr)
        return None


def _answer(assistant: Assistant, reference: Reference, text: str, shape: bool) -> None:
    _print(reading_lines(read(assistant.parse(text), reference), _terminal(shape)))


def parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bot.tools.reference",
        description="Quick reference for desk agents: what the assistant understands of a "
        "question, and the official answer in French, Arabic and Darija with its sources. "
        "With no option: type questions one after another (q to quit; /topic_name shows a topic).",
        epilog=f"Arabic in terminals: most terminals show Arabic letters unjoined and reversed, so "
        f"this tool joins and reorders them itself; terminals known to do it themselves (VTE, "
        f"Konsole, mlterm, macOS Terminal) and output that is not a terminal get the text as is. "
        f"{BIDI_ENV}=1 or 0 sets the default, like --bidi or --no-bidi.",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--ask", metavar="QUESTION", help="answer one question and exit")
    mode.add_argument("--topics", action="store_true", help="list every topic (no model needed)")
    mode.add_argument("--export", metavar="FILE.html", type=Path,
                      help="write the printable A4 sheet of every answer (no model needed)")
    bidi = parser.add_mutually_exclusive_group()
    bidi.add_argument("--bidi", dest="bidi", action="store_const", const=True, default=None,
                      help="join and reorder Arabic here (terminal does no right-to-left)")
    bidi.add_argument("--no-bidi", dest="bidi", action="store_const", const=False,
                      help="print Arabic as is (terminal renders right-to-left itself)")
    parser.add_argument("--model", type=Path,
                        default=Path(os.environ.get("AMO_MODEL", ROOT / "models" / "amo.tar.gz")),
                        help="trained model (default: models/amo.tar.gz, or $AMO_MODEL)")
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    for stream in (sys.stdin, sys.stdout):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")  # undecodable bytes are not a crash
    try:
        reference = Reference.load()
    except (OSError, yaml.YAMLError, KeyError) as error:
        print(f"Could not read the knowledge files in knowledge/: {error}", file=sys.stderr)
        return 1
    if reference.problem:
        print(f"Warning: {reference.problem}", file=sys.stderr)
    if args.export:
        try:
            sheet.write(args.export, reference.topics)
        except OSError as error:
            print(f"Could not write {args.export}: {error.strerror}", file=sys.stderr)
            return 1
        print(f"{len(reference.topics)} topics written to {args.export}")
        return 0
    shape, why = shaping_wanted(args.bidi, os.environ, sys.stdout.isatty())
    if args.topics:
        _print(topic_lines(reference.topics, _terminal(shape)))
        return 0
    if args.ask is not None:
        try:
            text = question(args.ask)
        except ValueError as problem:
            print(problem, file=sys.stderr)
            return 2
    assistant = _load(args.model)
    if assistant is None:
        return 2
    if args.ask is not None:
        _answer(assistant, reference, text, shape)
        return 0
    print(
        f"AMO quick reference. Arabic: {'joined and reordered here' if shape else 'printed as is'} "
        f"({why}; --bidi/--no-bidi to change). Type a question; q to quit.",
        flush=True,
    )
    for typed in _questions():
        try:
            _answer(assistant, reference, question(typed), shape)
        except ValueError as problem:
            print(problem, file=sys.stderr)
        except Exception as error:  # keep the loaded model and the session going
            print(f"Could not read that question: {error}", file=sys.stderr)
        print()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # piped into `head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
