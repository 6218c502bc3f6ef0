"""`python -m bot.tools.review`: the analysts' review of unanswered questions.

    python -m bot.tools.review list --since 2026-11-18 --language dar-latn --unreviewed
    python -m bot.tools.review groups --since 2026-11-18
    python -m bot.tools.review report --html week.html --since 2026-11-18 --tracker-db sqlite:///rasa.db
    python -m bot.tools.review label --group 17 ask_contribution_amount
    python -m bot.tools.review label 42 ask_contribution_amount
    python -m bot.tools.review ignore --group 23
    python -m bot.tools.review export --csv week.csv --since 2026-11-18

The database is $AMO_ANALYTICS_DB_URL (or --db). A group is numbered by its
smallest message id, so its number stays the same while other groups are labelled;
`label/ignore --group` regroup with the same filters (default: unreviewed messages).
"""
from __future__ import annotations

import argparse
import csv
import sys
from datetime import date, datetime
from pathlib import Path
from typing import List, Optional, Sequence

import sqlalchemy as sa
from tqdm import tqdm

from bot.tools.review import labelling
from bot.tools.review.grouping import DEFAULT_THRESHOLD, Group, TooManyTexts, group
from bot.tools.review.report import render_html, user_messages_per_day
from bot.shared.unanswered import IGNORED, REASONS, Filters, Record, UnansweredStore, create_engine, database_url

ROOT = Path(__file__).resolve().parents[3]
CSV_COLUMNS = (
    "id", "created_at", "language", "channel", "reason", "text",
    "top_intents", "reviewed_at", "label", "conversation_hash",
)
# A cell starting with one of these is a formula to a spreadsheet; member text is
# untrusted, so it is shown as text (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class UsageError(Exception):
    """A clear message for the analyst; no traceback."""


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def _filter_options(parser: argparse.ArgumentParser, reviewed_default: Optional[bool]) -> None:
    parser.add_argument("--since", type=_day, help="first day, YYYY-MM-DD (UTC)")
    parser.add_argument("--until", type=_day, help="last day included, YYYY-MM-DD (UTC)")
    parser.add_argument("--language", help="fr, ar, dar or dar-latn")
    parser.add_argument("--channel", help="rest, whatsapp, ...")
    parser.add_argument("--reason", choices=REASONS)
    state = parser.add_mutually_exclusive_group()
    state.add_argument("--reviewed", dest="reviewed", action="store_const", const=True)
    state.add_argument("--unreviewed", dest="reviewed", action="store_const", const=False)
    state.add_argument("--all", dest="reviewed", action="store_const", const=None,
                       help="reviewed and unreviewed")
    parser.set_defaults(reviewed=reviewed_default)


def _target_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--group", type=int, metavar="N", help="the group numbered N by `groups`")
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD, help=argparse.SUPPRESS)
    _filter_options(parser, reviewed_default=False)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot.tools.review", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default=None, help="SQLAlchemy URL (default $AMO_ANALYTICS_DB_URL)")
    commands = parser.add_subparsers(dest="command", required=True)

    listing = commands.add_parser("list", help="unanswered messages, oldest first")
    _filter_options(listing, reviewed_default=None)
    listing.add_argument("--limit", type=int, default=200, help="show the latest N (0: all)")

    groups = commands.add_parser("groups", help="near-duplicate messages grouped, largest first")
    _filter_options(groups, reviewed_default=False)
    groups.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD,
                        help=f"similarity to join a group, 0-1 (default {DEFAULT_THRESHOLD})")
    groups.add_argument("--top", type=int, default=30, help="show the N largest groups (0: all)")

    report = commands.add_parser("report", help="one HTML file with charts and the top groups")
    report.add_argument("--html", type=Path, required=True, metavar="FILE")
    report.add_argument("--tracker-db", metavar="URL",
                        help="Rasa SQL tracker store URL, to count all member messages")
    _filter_options(report, reviewed_default=None)

    label = commands.add_parser("label", help="add a message or a group to an intent's training data")
    label.add_argument("target", nargs="+", metavar="[ID] INTENT")
    label.add_argument("--data", type=Path, default=ROOT / "data" / "nlu", help=argparse.SUPPRESS)
    label.add_argument("--domain", type=Path, default=ROOT / "domain", help=argparse.SUPPRESS)
    _target_options(label)

    ignore = commands.add_parser("ignore", help="mark a message or a group as noise")
    ignore.add_argument("id", nargs="?", type=int)
    _target_options(ignore)

    export = commands.add_parser("export", help="CSV for a spreadsheet (UTF-8 with BOM)")
    export.add_argument("--csv", type=Path, required=True, metavar="FILE")
    _filter_options(export, reviewed_default=None)
    return parser


def _filters(args: argparse.Namespace) -> Filters:
    return Filters(since=args.since, until=args.until, language=args.language,
                   channel=args.channel, reason=args.reason, reviewed=args.reviewed)


def _short(text: str, width: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _messages(count: int) -> str:
    return f"{count} message" if count == 1 else f"{count} messages"


def _languages(g: Group) -> str:
    return ", ".join(f"{language} {count}" for language, count in g.languages.items())


def show_list(store: UnansweredStore, args: argparse.Namespace) -> None:
    records = store.select(_filters(args))
    shown = records[-args.limit:] if args.limit > 0 else records
    for r in shown:
        guess = f"{r.top_intents[0]['name']} {r.top_intents[0]['confidence']:.2f}" if r.top_intents else "-"
        state = r.label or "unreviewed"
        print(f"#{r.id}\t{r.created_at:%Y-%m-%d %H:%M}\t{r.language or '?'}\t{r.channel or '?'}\t"
              f"{r.reason}\t{guess}\t[{state}]\t{_short(r.text)}")
    print(f"{len(shown)} of {len(records)} messages shown")


def show_groups(store: UnansweredStore, args: argparse.Namespace) -> None:
    groups = group(store.select(_filters(args)), args.threshold)
    shown = groups[: args.top] if args.top > 0 else groups
    for g in shown:
        print(f"group {g.number}\t{_messages(g.count)}\tfirst {g.first_seen:%Y-%m-%d %H:%M}\t"
              f"last {g.last_seen:%Y-%m-%d %H:%M}\t{_languages(g)}\n\t{_short(g.representative)}")
    print(f"{len(shown)} of {len(groups)} groups shown")


def write_report(store: UnansweredStore, args: argparse.Namespace) -> None:
    filters = _filters(args)
    records = store.select(filters)
    totals = user_messages_per_day(args.tracker_db, filters) if args.tracker_db else None
    html = render_html(records, group(records), filters, totals, datetime.utcnow())
    args.html.write_text(html, encoding="utf-8")
    print(f"report written to {args.html}")


def export_csv(store: UnansweredStore, args: argparse.Namespace) -> None:
    records = store.select(_filters(args))
    with args.csv.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for r in tqdm(records, desc="export", unit=" rows", disable=None):
            intents = "; ".join(f"{i['name']} {i['confidence']:.2f}" for i in r.top_intents)
            text = "'" + r.text if r.text.startswith(_FORMULA_START) else r.text
            writer.writerow((r.id, f"{r.created_at:%Y-%m-%d %H:%M:%S}", r.language or "", r.channel or "",
                             r.reason, text, intents, f"{r.reviewed_at or ''}", r.label or "",
                             r.conversation_hash))
    print(f"{_messages(len(records))} written to {args.csv}")


def _chosen(store: UnansweredStore, args: argparse.Namespace, record_id: Optional[int]) -> List[Record]:
    if (record_id is None) == (args.group is None):
        raise UsageError("give either a message ID or --group N")
    if args.group is None:
        records = store.select(ids=[record_id])
        if not records:
            raise UsageError(f"no message #{record_id}")
        return records
    groups = group(store.select(_filters(args)), args.threshold)
    found = next((g for g in groups if g.number == args.group), None)
    if found is None:
        raise UsageError(
            f"no group {args.group} among the chosen messages: run `groups` with the same filters"
        )
    print(f"group {found.number}: {_messages(found.count)}, e.g. {_short(found.representative)}")
    return found.records


def label(store: UnansweredStore, args: argparse.Namespace) -> None:
    expected = 1 if args.group is not None else 2
    if len(args.target) != expected:
        raise UsageError("usage: label ID INTENT, or label --group N INTENT")
    record_id = None if args.group is not None else _int(args.target[0])
    intent = args.target[-1]
    problem = labelling.check_intent_name(intent)
    if problem:
        raise UsageError(problem)
    records = _chosen(store, args, record_id)
    result, done = labelling.label_records(store, records, intent, args.data)
    print(f"{len(result.added)} examples added to {result.path}, {len(result.present)} already there; "
          f"{_messages(len(done))} marked reviewed as {intent}")
    for text in result.unusable:
        print(f"  not an example (empty or a button payload): {_short(text, 60)!r}")
    for text, other in result.conflicts.items():
        print(f"  left unreviewed, already an example of {other}: {_short(text, 60)}")
    if intent not in labelling.domain_intents(args.domain):
        print(f"NOTE: '{intent}' is a new intent. Add it to domain/core.yml (intents:), with a rule and a "
              "response, before the next `make train`; `rasa data validate` fails until then.")


def ignore(store: UnansweredStore, args: argparse.Namespace) -> None:
    records = _chosen(store, args, args.id)
    changed = store.mark_reviewed([r.id for r in records], IGNORED)
    print(f"{_messages(changed)} marked reviewed as {IGNORED}")


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise UsageError(f"not a message ID: {value!r}") from None


COMMANDS = {"list": show_list, "groups": show_groups, "report": write_report,
            "label": label, "ignore": ignore, "export": export_csv}


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        store = UnansweredStore(create_engine(args.db or database_url()))
        COMMANDS[args.command](store, args)
    except (UsageError, TooManyTexts) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except sa.exc.SQLAlchemyError as error:
        # the URL may hold a password and the error the rows' text: neither is printed
        print(f"error: a database could not be used ({type(error).__name__}): check --db "
              "($AMO_ANALYTICS_DB_URL) or --tracker-db, and that the server is reachable", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"error: {error.strerror or error}: {error.filename or ''}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
