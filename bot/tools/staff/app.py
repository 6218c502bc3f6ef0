"""The staff web app (Sanic): routes, login, roles and CSRF checks.

Roles: an `agent` sees the desk pages (search, topics, printable sheet); an `analyst`
sees those and the inbox, the labelled messages, the dashboard, and may label, ignore
and retrain. Every POST carries the session's CSRF token (the login form a token of its
own, in a cookie and in the form); a state-changing request without it gets 403.

One event loop serves every agent: what blocks (SQL, password hashing, files, the NLU
parse, grouping the inbox) runs in worker threads (`asyncio.to_thread`, the model's own
thread), so that one slow query or login does not freeze the others' pages.
"""
from __future__ import annotations

import asyncio
import hmac
import logging
import re
import secrets
import threading
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple
from urllib.parse import quote

from sanic import Sanic, response
from sanic.request import Request

from bot.shared.unanswered import IGNORED, Filters, Record, UnansweredStore
from bot.tools.reference import Reference, question, read, sheet
from bot.tools.review import labelling
from bot.tools.review.grouping import TooManyTexts, group
from bot.tools.staff import charts, pages
from bot.tools.staff.accounts import ANALYST, Accounts, Session, csrf_ok
from bot.tools.staff.model import Model, Retrainer

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
FONTS = ROOT / "bot" / "server" / "channels" / "webchat" / "fonts"
CONTRACT = ROOT / "docs" / "intents.md"
SESSION_COOKIE = "amo_staff_session"
LOGIN_COOKIE = "amo_staff_login"
OUT_OF_SCOPE_INTENT = "out_of_scope"
MAX_IDS = 2000
# Pages: no script at all; styles and fonts from this server only.
CSP = ("default-src 'none'; style-src 'self'; font-src 'self'; img-src 'self' data:; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
# The printable sheet is the reference tool's self-contained file: its style is inline.
SHEET_CSP = ("default-src 'none'; style-src 'self' 'unsafe-inline'; font-src 'self'; script-src 'self'; "
             "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
_ROW = re.compile(r"^\|\s*([a-z][a-z0-9_]*)\s*\|\s*(.*?)\s*\|\s*$")


def contract_intents(path: Path = CONTRACT) -> Dict[str, str]:
    """intent -> meaning, from the tables of docs/intents.md whose first column is `intent`."""
    intents: Dict[str, str] = {}
    in_intents = False
    for line in path.read_text(encoding="utf-8").splitlines() if path.is_file() else []:
        if line.startswith("#"):
            in_intents = False
        row = _ROW.match(line)
        if row and row.group(1) in ("intent", "entity"):
            in_intents = row.group(1) == "intent"
        elif row and in_intents:
            intents[row.group(1)] = row.group(2).replace("`", "")
    return intents


def intent_choices(project: Path) -> List[Tuple[str, str]]:
    """The contract's intents, then the domain's other intents; never a reserved name."""
    meanings = contract_intents()
    try:
        domain = labelling.domain_intents(project / "domain")
    except Exception:  # noqa: BLE001 - an unreadable domain leaves the contract's list
        logger.warning("could not read the domain's intents", exc_info=True)
        domain = set()
    names = list(meanings) + sorted(domain - set(meanings))
    return [(name, meanings.get(name, "domain intent")) for name in names if name not in labelling.RESERVED]


@dataclass
class Config:
    project: Path
    model_path: Path
    analytics_url: str
    staff_url: str
    secure_cookies: bool = False
    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=10)
    train_command: Optional[List[str]] = None


@dataclass
class State:
    config: Config
    accounts: Accounts
    store: UnansweredStore
    reference: Reference
    register: Dict[str, str]
    intents: List[Tuple[str, str]]
    model: Model
    retrainer: Retrainer
    notices: Dict[int, str] = field(default_factory=dict)
    parsed: Dict[Tuple[Any, str], Tuple[str, float]] = field(default_factory=dict)
    # One review at a time: two at once would both rewrite a file of data/nlu/reviewed/
    # (and could label the same messages twice).
    review_lock: threading.Lock = field(default_factory=threading.Lock)


def _client(request: Request) -> str:
    return str(request.remote_addr or request.ip or "?")


def _set_cookie(resp, name: str, value: str, secure: bool, max_age: Optional[int] = None) -> None:
    resp.cookies[name] = value
    cookie = resp.cookies[name]
    cookie["httponly"] = True
    cookie["samesite"] = "Strict"
    cookie["path"] = "/"
    if secure:
        cookie["secure"] = True
    if max_age is not None:
        cookie["max-age"] = max_age


def _html(body: str, status: int = 200):
    return response.html(body, status=status)


def _safe_next(path: Optional[str], role: str) -> str:
    default = "/inbox" if role == ANALYST else "/desk"
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path or path.startswith("/login"):
        return default
    return path


def _ids(value: str) -> List[int]:
    ids = []
    for piece in (value or "").split(","):
        piece = piece.strip()
        if piece.isdigit():
            ids.append(int(piece))
    return ids[:MAX_IDS]


def create_app(state: State, name: str = "amo_staff") -> Sanic:
    app = Sanic(name)
    app.config.REQUEST_MAX_SIZE = 256 * 1024
    app.config.FALLBACK_ERROR_FORMAT = "html"
    app.ctx.state = state
    app.static("/static/staff.css", str(HERE / "static" / "staff.css"), name="css")
    app.static("/static/print.js", str(HERE / "static" / "print.js"), name="printjs")
    app.static("/static/fonts", str(FONTS), name="fonts")

    @app.middleware("response")
    async def security_headers(request: Request, resp) -> None:
        resp.headers.setdefault("Content-Security-Policy", CSP)
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["Referrer-Policy"] = "no-referrer"
        resp.headers["X-Frame-Options"] = "DENY"
        if not request.path.startswith("/static/"):
            resp.headers["Cache-Control"] = "no-store"

    async def current(request: Request) -> Optional[Session]:
        return await asyncio.to_thread(state.accounts.session, request.cookies.get(SESSION_COOKIE))

    def login_redirect(request: Request, expired: bool):
        target = "/login?next=" + _quote(request.path + (f"?{request.query_string}" if request.query_string else ""))
        if expired:
            target += "&expired=1"
        resp = response.redirect(target, status=303)
        if expired:
            del_cookie(resp, SESSION_COOKIE)
        return resp

    def del_cookie(resp, name: str) -> None:
        _set_cookie(resp, name, "", state.config.secure_cookies, max_age=0)

    async def guard(request: Request, role: Optional[str] = None):
        """(session, None) when allowed, else (None, the response to send)."""
        session = await current(request)
        if session is None:
            had_cookie = bool(request.cookies.get(SESSION_COOKIE))
            if request.method == "POST":
                return None, _html(pages.message_page(
                    "Session ended", "Your session has expired or ended: log in again."), 401)
            return None, login_redirect(request, had_cookie)
        if role and session.user.role != role:
            return None, _html(pages.message_page(
                "Not allowed", f"This page is for the {role} role; you are logged in as {session.user.role}.",
                session), 403)
        if request.method == "POST" and not csrf_ok(session, request.form.get("csrf")):
            return None, _html(pages.message_page(
                "Form expired", "The form was not sent from this session (CSRF check): reload the page and retry.",
                session), 403)
        return session, None

    # login

    @app.get("/")
    async def home(request: Request):
        session = await current(request)
        if session is None:
            return response.redirect("/login", status=303)
        return response.redirect(_safe_next(None, session.user.role), status=303)

    def login_form(request: Request, problem: str = "", name: str = "", status: int = 200):
        token = secrets.token_urlsafe(32)
        next_path = request.form.get("next") if request.method == "POST" else request.args.get("next", "")
        if not problem and request.args.get("expired"):
            problem = "Your session has expired: log in again."
        resp = _html(pages.login_page(token, next_path or "", problem, name), status)
        _set_cookie(resp, LOGIN_COOKIE, token, state.config.secure_cookies, max_age=3600)
        return resp

    @app.get("/login")
    async def login_get(request: Request):
        return login_form(request)

    @app.post("/login")
    async def login_post(request: Request):
        name = (request.form.get("name") or "").strip().lower()[:64]
        password = request.form.get("password") or ""
        cookie, submitted = request.cookies.get(LOGIN_COOKIE) or "", request.form.get("csrf") or ""
        if not (cookie and submitted and hmac.compare_digest(cookie.encode(), submitted.encode())):
            return login_form(request, "The form expired (CSRF check): log in again.", name, 403)
        address = _client(request)
        if await asyncio.to_thread(state.accounts.blocked, name, address):
            return login_form(request, "Too many failed logins: wait 15 minutes, or ask an administrator.", name, 429)
        token, session = await asyncio.to_thread(state.accounts.login, name, password, address)
        if token is None:
            return login_form(request, "Wrong name or password.", name, 401)
        resp = response.redirect(_safe_next(request.form.get("next"), session.user.role), status=303)
        _set_cookie(resp, SESSION_COOKIE, token, state.config.secure_cookies)
        del_cookie(resp, LOGIN_COOKIE)
        return resp

    @app.post("/logout")
    async def logout(request: Request):
        session, refused = await guard(request)
        if refused is not None:
            return refused
        await asyncio.to_thread(state.accounts.logout, request.cookies.get(SESSION_COOKIE))
        resp = response.redirect("/login", status=303)
        del_cookie(resp, SESSION_COOKIE)
        return resp

    # desk agents

    @app.get("/desk")
    async def desk(request: Request):
        session, refused = await guard(request)
        if refused is not None:
            return refused
        typed = request.args.get("q", "")
        if not typed.strip():
            return _html(pages.desk_page(session, "", ""))
        try:
            text = question(typed)
        except ValueError as problem:
            return _html(pages.desk_page(session, typed[:1000], "", str(problem)), 400)
        if not state.model.ready:
            return _html(pages.desk_page(session, text, "", f"The model is not loaded: {state.model.problem}"), 503)
        parse = await state.model.parse(text)
        reading = read(parse, state.reference)
        result = pages.reading_html(text, reading, parse, state.reference.topics, state.register)
        return _html(pages.desk_page(session, text, result))

    @app.get("/desk/topics")
    async def topics(request: Request):
        session, refused = await guard(request)
        if refused is not None:
            return refused
        return _html(pages.topics_page(session, state.reference.topics))

    @app.get("/desk/topic/<name>")
    async def topic(request: Request, name: str):
        session, refused = await guard(request)
        if refused is not None:
            return refused
        found = state.reference.topics.get(name)
        if found is None:
            return _html(pages.message_page("No such topic", f"There is no topic {name}.", session), 404)
        return _html(pages.topic_page(session, found, state.register))

    @app.get("/desk/sheet")
    async def printable(request: Request):
        session, refused = await guard(request)
        if refused is not None:
            return refused
        rendered = await asyncio.to_thread(sheet.render, state.reference.topics, state.register, date.today())
        html = pages.printable_sheet(rendered)
        resp = _html(html)
        resp.headers["Content-Security-Policy"] = SHEET_CSP
        return resp

    # analysts

    def notice_for(session: Session) -> str:
        return state.notices.pop(session.user.id, "")

    def refresh_while_training() -> Optional[int]:
        return 10 if state.retrainer.state.running else None

    def training_box(session: Session) -> str:
        return pages.training_html(session, state.retrainer.state, state.model, state.retrainer.command)

    @app.get("/inbox")
    async def inbox(request: Request):
        session, refused = await guard(request, ANALYST)
        if refused is not None:
            return refused
        filters = {k: request.args.get(k, "") for k in ("language", "reason", "sort")}
        records = await asyncio.to_thread(state.store.select, Filters(
            language=filters["language"] or None, reason=filters["reason"] or None, reviewed=False))
        try:
            groups = await asyncio.to_thread(group, records)
        except TooManyTexts as error:
            return _html(pages.message_page("Too many messages", str(error), session), 413)
        if filters["sort"] == "newest":
            groups = sorted(groups, key=lambda g: (-g.last_seen.timestamp(), -g.count, g.number))
        return _html(pages.inbox_page(session, groups, len(records), filters, state.intents,
                                      training_box(session), notice_for(session),
                                      refresh=refresh_while_training()))

    @app.post("/inbox/review")
    async def review(request: Request):
        session, refused = await guard(request, ANALYST)
        if refused is not None:
            return refused
        action = request.form.get("action") or ""
        ids = _ids(request.form.get("ids", ""))
        back = request.form.get("back") or "/inbox"
        back = back if back.startswith("/inbox") else "/inbox"
        intent: Optional[str] = None  # ignore
        if action == "out_of_scope":
            intent = OUT_OF_SCOPE_INTENT
        elif action == "label":
            intent = (request.form.get("intent") or "").strip()
        elif action != "ignore":
            return _html(pages.message_page("Unknown action", "Label, out of scope or ignore.", session), 400)
        allowed = {name for name, _ in state.intents}
        if intent is not None and intent not in allowed:
            problem = labelling.check_intent_name(intent) or f"'{intent}' is not an intent of the contract or the domain"
            return _html(pages.message_page("Not an intent", f"{problem}: choose one from the list.", session), 400)
        state.notices[session.user.id] = await asyncio.to_thread(_review, state, ids, intent)
        return response.redirect(back, status=303)

    @app.post("/retrain")
    async def retrain(request: Request):
        session, refused = await guard(request, ANALYST)
        if refused is not None:
            return refused
        started = state.retrainer.start(session.user.name)
        state.notices[session.user.id] = ("Retraining started: it takes some minutes; searches use the current "
                                          "model until the new one is loaded." if started
                                          else "A retraining is running already.")
        return response.redirect("/inbox/labelled", status=303)

    @app.get("/inbox/training")
    async def training_status(request: Request):
        session, refused = await guard(request, ANALYST)
        if refused is not None:
            return refused
        t, m = state.retrainer.state, state.model
        return response.json({
            "running": t.running, "ok": t.ok, "message": t.message, "seconds": t.seconds,
            "model_trained_at": m.trained_at.isoformat() if m.trained_at else None,
            "model_loaded_at": m.loaded_at.isoformat() if m.loaded_at else None,
        })

    async def understood(r: Record) -> Tuple[str, float]:
        key = (state.model.loaded_at, r.text)
        if key not in state.parsed:
            if any(loaded != state.model.loaded_at for loaded, _ in state.parsed):
                state.parsed.clear()  # parses of a model no longer in use
            parse = await state.model.parse(r.text)
            intent = parse.get("intent") or {}
            state.parsed[key] = (intent.get("name") or "nlu_fallback", float(intent.get("confidence") or 0.0))
        return state.parsed[key]

    @app.get("/inbox/labelled")
    async def labelled(request: Request):
        session, refused = await guard(request, ANALYST)
        if refused is not None:
            return refused
        reviewed = await asyncio.to_thread(state.store.select, Filters(reviewed=True))
        records = [r for r in reviewed if r.label and r.label != IGNORED]
        records = sorted(records, key=lambda r: (r.reviewed_at, r.id), reverse=True)[:200]
        rows = []
        for r in records:
            now, confidence = await understood(r) if state.model.ready else ("-", 0.0)
            if not state.model.ready:
                verdict = "no model"
            elif state.model.trained_at and r.reviewed_at > state.model.trained_at:
                verdict = "labelled after this model"
            else:
                verdict = "understood" if now == r.label else "not understood"
            rows.append({"id": r.id, "text": r.text, "language": r.language, "label": r.label,
                         "reviewed_at": r.reviewed_at, "now": now, "confidence": confidence, "state": verdict})
        return _html(pages.labelled_page(session, rows, training_box(session), state.model,
                                         notice_for(session), refresh=refresh_while_training()))

    @app.get("/dashboard")
    async def dashboard(request: Request):
        session, refused = await guard(request, ANALYST)
        if refused is not None:
            return refused
        now = datetime.utcnow()
        since = now - timedelta(days=30)
        records = await asyncio.to_thread(state.store.select, Filters(since=since.date()))
        unreviewed = [r for r in records if r.reviewed_at is None]
        try:
            groups = await asyncio.to_thread(group, unreviewed)
        except TooManyTexts:
            groups = []
        by_language = _counted(r.language or "?" for r in records)
        by_reason = _counted(pages.REASON_NAMES.get(r.reason, r.reason) for r in records)
        stats = [("unanswered, 30 days", len(records)), ("to review", len(unreviewed)),
                 ("labelled", sum(1 for r in records if r.label and r.label != IGNORED)),
                 ("ignored", sum(1 for r in records if r.label == IGNORED)),
                 ("groups to review", len(groups))]
        chart_list = [
            ("wide", charts.stacked_days(records, now.date())),
            ("", charts.bars(by_language, "Unanswered per language (30 days)", charts.COLOURS)),
            ("", charts.bars(by_reason, "Reasons (30 days)")),
        ]
        return _html(pages.dashboard_page(session, stats, chart_list, charts.growing(groups, now), since))

    return app


def _review(state: State, ids: Sequence[int], intent: Optional[str]) -> str:
    """Labels with `intent` (None: ignores) the messages among `ids` nobody has reviewed
    yet; the notice for the analyst. Blocking (SQL, files): run in a worker thread."""
    with state.review_lock:
        records = [r for r in state.store.select(ids=ids) if r.reviewed_at is None]
        if not records:
            return "Those messages were already reviewed (by someone else?)."
        if intent is None:
            return f"{state.store.mark_reviewed([r.id for r in records], IGNORED)} message(s) ignored."
        result, done = labelling.label_records(state.store, records, intent, state.config.project / "data" / "nlu")
    notice = (f"{len(done)} message(s) labelled {intent}: {len(result.added)} example(s) added to "
              f"data/nlu/reviewed/{intent}.yml, {len(result.present)} already there.")
    if result.conflicts:
        notice += f" {len(result.conflicts)} left in the inbox: already an example of another intent."
    return notice


def _counted(values) -> List[Tuple[str, int]]:
    counts: Dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def _quote(path: str) -> str:
    return quote(path, safe="/")


def build_state(config: Config, load_model: bool = True) -> State:
    from bot.shared.unanswered import create_engine as analytics_engine
    from bot.tools.staff.accounts import create_engine as staff_engine

    reference = Reference.load(config.project)
    facts = config.project / "knowledge" / "amo-facts.md"
    register = sheet.source_register(facts.read_text(encoding="utf-8")) if facts.is_file() else {}
    model = Model(config.model_path)
    if load_model:
        model.load()
    return State(
        config=config,
        accounts=Accounts(staff_engine(config.staff_url), idle=config.idle, absolute=config.absolute),
        store=UnansweredStore(analytics_engine(config.analytics_url)),
        reference=reference,
        register=register,
        intents=intent_choices(config.project),
        model=model,
        retrainer=Retrainer(model, config.project, config.train_command),
    )
