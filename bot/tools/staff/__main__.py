"""`python -m bot.tools.staff`: start the staff web app, or manage its accounts."""
from __future__ import annotations

import argparse
import getpass
import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import List, Optional

import sqlalchemy as sa

from bot.tools.staff import DEFAULT_HOST, DEFAULT_PORT
from bot.tools.staff.accounts import ROLES, AccountError, Accounts, create_engine, database_url

ROOT = Path(__file__).resolve().parents[3]


def _minutes(value: str) -> timedelta:
    try:
        minutes = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of minutes: {value!r}") from None
    if minutes <= 0:
        raise argparse.ArgumentTypeError("a duration is more than 0 minutes")
    return timedelta(minutes=minutes)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot.tools.staff",
        description="The staff web app: desk agents' quick reference and analysts' inbox. "
        "With no command: serve it.",
    )
    parser.add_argument("--db", help="staff accounts database, SQLAlchemy URL (default $AMO_STAFF_DB_URL "
                        "or sqlite:///var/staff.db)")
    commands = parser.add_subparsers(dest="command")
    serve = commands.add_parser("serve", help="serve the web app (the default)")
    _serve_options(serve)
    _serve_options(parser, suppress=True)
    add = commands.add_parser("add-user", help="create an account")
    add.add_argument("name")
    add.add_argument("--role", choices=ROLES, required=True)
    add.add_argument("--password-stdin", action="store_true",
                     help="read the password from the first line of standard input (scripts)")
    passwd = commands.add_parser("set-password", help="change an account's password (ends its sessions)")
    passwd.add_argument("name")
    passwd.add_argument("--password-stdin", action="store_true")
    commands.add_parser("list-users", help="list the accounts and their roles")
    return parser


def _serve_options(parser: argparse.ArgumentParser, suppress: bool = False) -> None:
    hide = (lambda text: argparse.SUPPRESS) if suppress else (lambda text: text)
    parser.add_argument("--host", default=os.environ.get("AMO_STAFF_HOST", DEFAULT_HOST),
                        help=hide(f"interface (default {DEFAULT_HOST}; put a TLS reverse proxy in front "
                                  "for other machines)"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("AMO_STAFF_PORT", DEFAULT_PORT)),
                        help=hide(f"port (default {DEFAULT_PORT})"))
    parser.add_argument("--model", type=Path,
                        default=Path(os.environ.get("AMO_MODEL", ROOT / "models" / "amo.tar.gz")),
                        help=hide("trained model (default models/amo.tar.gz or $AMO_MODEL); retraining "
                                  "writes this file"))
    parser.add_argument("--project", type=Path, default=ROOT,
                        help=hide("project directory: knowledge/, domain/, data/nlu/reviewed/, config.yml"))
    parser.add_argument("--analytics-db", default=None,
                        help=hide("unanswered messages, SQLAlchemy URL (default $AMO_ANALYTICS_DB_URL)"))
    parser.add_argument("--idle-minutes", type=_minutes,
                        default=_minutes(os.environ.get("AMO_STAFF_IDLE_MINUTES", "30")),
                        help=hide("a session ends after this long without a request (default 30)"))
    parser.add_argument("--max-hours", type=lambda v: _minutes(str(float(v) * 60)),
                        default=_minutes(str(float(os.environ.get("AMO_STAFF_MAX_HOURS", "10")) * 60)),
                        help=hide("a session ends this long after login whatever happens (default 10)"))
    parser.add_argument("--finetune-fraction", type=float,
                        default=float(os.environ.get("AMO_STAFF_FINETUNE_FRACTION") or 0) or None,
                        help=hide("retrain incrementally: `rasa train --finetune` the current model for this "
                                  "fraction of the epochs (e.g. 0.2; default: a full training, as make train)"))
    parser.add_argument("--secure-cookies", action="store_true",
                        default=os.environ.get("AMO_STAFF_SECURE_COOKIES", "") == "1",
                        help=hide("mark cookies Secure (behind HTTPS; $AMO_STAFF_SECURE_COOKIES=1)"))


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise AccountError("the two passwords differ")
    return first


def serve(args: argparse.Namespace, staff_url: str) -> int:
    from bot.shared.unanswered import database_url as analytics_url
    from bot.tools.staff.app import Config, build_state, create_app
    from bot.tools.staff.model import train_command

    config = Config(
        project=args.project.resolve(), model_path=args.model.resolve(),
        analytics_url=args.analytics_db or analytics_url(), staff_url=staff_url,
        secure_cookies=args.secure_cookies, idle=args.idle_minutes, absolute=args.max_hours,
        train_command=train_command(args.model.resolve(), args.finetune_fraction),
    )
    print(f"Loading {config.model_path} (takes some seconds)...", file=sys.stderr, flush=True)
    state = build_state(config)
    if state.model.problem:
        print(f"Warning: {state.model.problem}; the desk search is off until a model is loaded "
              "(the inbox works).", file=sys.stderr, flush=True)
    if not state.accounts.users():
        print("No account yet: python -m bot.tools.staff add-user NAME --role analyst", file=sys.stderr, flush=True)
    state.accounts.purge()
    app = create_app(state)
    print(f"Staff app on http://{args.host}:{args.port}/", file=sys.stderr, flush=True)
    # one worker: the loaded model and the retraining state live in this process
    app.run(host=args.host, port=args.port, workers=1, access_log=False, motd=False)
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    staff_url = args.db or database_url()
    try:
        if args.command in (None, "serve"):
            return serve(args, staff_url)
        accounts = Accounts(create_engine(staff_url))
        if args.command == "list-users":
            for user in accounts.users():
                print(f"{user.name}\t{user.role}")
            return 0
        password = _password(args.password_stdin)
        if args.command == "add-user":
            user = accounts.add_user(args.name, args.role, password)
            print(f"account {user.name} ({user.role}) created")
        else:
            accounts.set_password(args.name, password)
            print(f"password of {args.name} changed; its sessions are closed")
        return 0
    except AccountError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except sa.exc.SQLAlchemyError as error:
        print(f"error: the staff database could not be used ({type(error).__name__}): check --db "
              "($AMO_STAFF_DB_URL)", file=sys.stderr)
        return 1
    except (KeyboardInterrupt, EOFError):
        return 130


if __name__ == "__main__":
    sys.exit(main())
