"""The staff pages as HTML strings. Every piece of text from outside the code (member
messages, knowledge files, names, parse results) goes through `escape`; there is no
inline script (the Content-Security-Policy allows none) and no external asset."""
from __future__ import annotations

from collections import Counter
from datetime import datetime
from html import escape
from typing import Dict, Iterable, List, Optional, Sequence, Tuple
from urllib.parse import quote, urlencode

from bot.shared.languages import INPUT_LANGUAGES, REPLY_LANGUAGES
from bot.shared.unanswered import REASONS, Record
from bot.tools.knowledge import Topic
from bot.tools.reference import HEADING, LANGUAGE_NAMES, RIGHT_TO_LEFT, RUNNER_UP_GAP, Reading
from bot.tools.review.grouping import Group
from bot.tools.reference.sheet import HTML_LANG
from bot.tools.staff.accounts import ANALYST, Session

APP_NAME = "AMO staff"
REASON_NAMES = {
    "fallback": "not understood",
    "out_of_scope": "out of scope",
    "rephrase_failed": "rephrase failed",
    "not_helpful": "not helpful",
}


def _dir(lang: str) -> str:
    return "rtl" if lang in RIGHT_TO_LEFT else "ltr"


def csrf_field(session: Session) -> str:
    return f'<input type="hidden" name="csrf" value="{escape(session.csrf)}">'


def layout(title: str, body: str, session: Optional[Session] = None, active: str = "",
           notice: str = "", refresh: Optional[int] = None) -> str:
    nav, who = "", ""
    if session:
        links = [("desk", "/desk", "Desk"), ("topics", "/desk/topics", "Topics")]
        if session.user.role == ANALYST:
            links += [("inbox", "/inbox", "Inbox"), ("labelled", "/inbox/labelled", "Labelled"),
                      ("dashboard", "/dashboard", "Dashboard")]
        nav = "<nav>" + "".join(
            f'<a href="{href}"{" aria-current=page" if key == active else ""}>{label}</a>'
            for key, href, label in links
        ) + "</nav>"
        who = (
            f'<form class="who" method="post" action="/logout">{csrf_field(session)}'
            f"<span>{escape(session.user.name)} ({escape(session.user.role)})</span>"
            '<button type="submit">Log out</button></form>'
        )
    meta = f'<meta http-equiv="refresh" content="{int(refresh)}">' if refresh else ""
    notice_html = f'<p class="notice" role="status">{escape(notice)}</p>' if notice else ""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"{meta}<title>{escape(title)} · {APP_NAME}</title>"
        '<link rel="stylesheet" href="/static/staff.css"></head><body>'
        f'<header class="bar"><span class="brand">{APP_NAME}</span>{nav}{who}</header>'
        f"<main>{notice_html}{body}</main></body></html>\n"
    )


def login_page(token: str, next_path: str, problem: str = "", name: str = "") -> str:
    problem_html = f'<p class="error" role="alert">{escape(problem)}</p>' if problem else ""
    body = (
        '<section class="login card"><h1>Log in</h1>'
        f"{problem_html}"
        '<form method="post" action="/login">'
        f'<input type="hidden" name="csrf" value="{escape(token)}">'
        f'<input type="hidden" name="next" value="{escape(next_path)}">'
        '<label for="name">Name</label>'
        f'<input type="text" id="name" name="name" value="{escape(name)}" autocomplete="username" '
        'autocapitalize="none" spellcheck="false" required maxlength="64" autofocus>'
        '<label for="password">Password</label>'
        '<input type="password" id="password" name="password" autocomplete="current-password" required maxlength="1024">'
        '<button type="submit">Log in</button></form>'
        '<p class="small">Accounts are created by an administrator: '
        "<code>python -m bot.tools.staff add-user NAME --role agent|analyst</code>.</p></section>"
    )
    return layout("Log in", body)


def message_page(title: str, text: str, session: Optional[Session] = None) -> str:
    return layout(title, f'<h1>{escape(title)}</h1><p class="error">{escape(text)}</p>', session)


# desk agents

def _search_form(query: str) -> str:
    return (
        '<form class="search" method="get" action="/desk" role="search">'
        '<label class="sr" for="q" hidden>Question</label>'
        f'<input type="search" id="q" name="q" value="{escape(query)}" dir="auto" maxlength="1000" '
        'placeholder="Question in French, Arabic, Darija or Arabizi" autocomplete="off" required>'
        '<button type="submit">Search</button></form>'
        '<div class="tools"><a class="button secondary" href="/desk/topics">All topics</a>'
        '<a class="button secondary" id="sheet" href="/desk/sheet" target="_blank" rel="noopener">'
        "Printable A4 sheet</a></div>"
    )


def answers_html(texts: Dict[str, str]) -> str:
    return '<div class="answers">' + "".join(
        f'<section class="answer" lang="{HTML_LANG[lang]}" dir="{_dir(lang)}" data-lang="{lang}">'
        f"<h3>{escape(HEADING[lang])}</h3><p>{escape(texts.get(lang) or '(no text in this language)')}</p></section>"
        for lang in REPLY_LANGUAGES
    ) + "</div>"


def titles_html(topic: Topic) -> str:
    # the separators sit between the titles, outside them: inside a right-to-left title a
    # separator would be drawn at its right end
    return '<span class="titles">' + '<span class="sep"> · </span>'.join(
        f'<bdi lang="{HTML_LANG[lang]}" dir="{_dir(lang)}">{escape(topic.title[lang])}</bdi>'
        for lang in REPLY_LANGUAGES
    ) + "</span>"


def facts_html(topic: Topic, register: Dict[str, str]) -> str:
    rows = "".join(
        "<tr>"
        f'<td data-label="Fact">{escape(str(fact.get("text", "")))}</td>'
        f'<td data-label="Section">§{escape(str(fact.get("section", "")))}</td>'
        '<td data-label="Sources">' + "<br>".join(
            f'<abbr title="{escape(register.get(s, "not in the source register"))}">{escape(s)}</abbr> '
            f'<span class="small">{escape(register.get(s, ""))}</span>'
            for s in fact.get("sources", [])
        ) + "</td>"
        f'<td data-label="Confidence">{escape(str(fact.get("confidence", "")))}</td></tr>'
        for fact in topic.facts
    )
    return (
        f'<h2>Facts and sources</h2><p class="small">knowledge/amo-facts.md; checked '
        f'<b class="checked">{escape(topic.checked)}</b>. Single-source or unconfirmed facts may have changed: '
        "when in doubt, 3939 or www.macnss.ma.</p>"
        '<div class="table-wrap"><table class="facts"><thead><tr><th>Fact</th><th>Section</th><th>Sources</th>'
        f"<th>Confidence</th></tr></thead><tbody>{rows}</tbody></table></div>"
    )


def _guess_link(name: str, confidence: float, topics: Dict[str, Topic]) -> str:
    topic = topics.get(name)
    label = f"<code>{escape(name)}</code> {confidence:.2f}"
    if topic:
        return f'<a href="/desk/topic/{quote(name)}">{label}</a> ' + titles_html(topic)
    return label


def reading_html(query: str, reading: Reading, parse: dict, topics: Dict[str, Topic],
                 register: Dict[str, str]) -> str:
    language = LANGUAGE_NAMES.get(reading.language or "", "unclear (the chat keeps the previous reply language)")
    if reading.language:
        language += f", {reading.language_confidence:.0%}"
    if reading.mixed:
        language += ", mixed"
    rows = [
        ("Question", f'<span dir="auto">{escape(query)}</span>'),
        ("Language", f'<span id="language" data-code="{escape(reading.language or "")}">{escape(language)}</span>'),
        ("Intent", f'<span id="intent" data-name="{escape(reading.intent.name)}"><code>{escape(reading.intent.name)}</code> '
                   f"{reading.intent.confidence:.2f}</span>"),
    ]
    if reading.topic:
        rows.append(("Topic", titles_html(reading.topic) + f' <span class="small">(checked {escape(reading.topic.checked)})</span>'))
    if reading.runner_up:
        rows.append(("Runner-up", f'<span id="runner-up">{_guess_link(reading.runner_up.name, reading.runner_up.confidence, topics)}</span>'
                     f'<br><span class="small">within {RUNNER_UP_GAP} of the top: check that the answer fits.</span>'))
    body = ['<dl class="reading card">' + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows) + "</dl>"]
    if reading.intent.name == "nlu_fallback":
        guesses = [g for g in parse.get("intent_ranking") or [] if g.get("name") != "nlu_fallback"][:3]
        body.append('<p class="warning">The assistant does not understand this question: in the chat it would ask '
                    "the member to rephrase (the reply below). Its best guesses:</p><ul>" + "".join(
                        f"<li>{_guess_link(g['name'], float(g.get('confidence') or 0), topics)}</li>" for g in guesses)
                    + "</ul>")
    elif reading.topic and reading.topic.form:
        body.append(f'<p class="small">In the chat this question starts the form <code>{escape(reading.topic.form)}</code>; '
                    "below is the general answer.</p>")
    elif not reading.topic:
        what = "gets this conversation reply" if reading.texts else "has no fixed reply to show"
        body.append(f'<p class="small">Not a knowledge topic: <code>{escape(reading.intent.name)}</code> {what}.</p>')
    if reading.texts:
        body.append(answers_html(reading.texts))
    if reading.topic:
        body.append(facts_html(reading.topic, register))
    return "".join(body)


def desk_page(session: Session, query: str, result: str, problem: str = "") -> str:
    body = "<h1>Quick reference</h1>" + _search_form(query)
    if problem:
        body += f'<p class="error">{escape(problem)}</p>'
    if result:
        body += f'<section id="result">{result}</section>'
    elif not problem:
        body += ('<p class="muted">Type a member\'s question as they wrote it (French, Arabic, Darija in Arabic or '
                 "Latin letters): you see what the assistant understands and its official answer in three languages, "
                 "with the facts' sources.</p>")
    return layout("Desk", body, session, "desk")


def topics_page(session: Session, topics: Dict[str, Topic]) -> str:
    rows = "".join(
        f'<tr><td><a href="/desk/topic/{quote(t.topic)}"><code>{escape(t.topic)}</code></a></td>'
        + "".join(f'<td lang="{HTML_LANG[lang]}" dir="{_dir(lang)}">{escape(t.title[lang])}</td>' for lang in REPLY_LANGUAGES)
        + f"<td>{escape(t.checked)}</td></tr>"
        for t in topics.values()
    )
    head = "".join(f"<th>{escape(HEADING[lang])}</th>" for lang in REPLY_LANGUAGES)
    body = (
        f"<h1>Topics</h1>{_search_form('')}"
        f'<p class="muted">{len(topics)} topics, from knowledge/*.yml.</p>'
        f'<div class="table-wrap card"><table id="topics"><thead><tr><th>Topic</th>{head}<th>Checked</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></div>"
    )
    return layout("Topics", body, session, "topics")


def topic_page(session: Session, topic: Topic, register: Dict[str, str]) -> str:
    body = (
        f"<h1>{titles_html(topic)}</h1>{_search_form('')}"
        f'<p class="small"><code>{escape(topic.topic)}</code>, checked {escape(topic.checked)}</p>'
        f"{answers_html(topic.answer)}{facts_html(topic, register)}"
    )
    return layout(topic.title["fr"], body, session, "topics")


PRINT_BAR = (
    '<p class="noprint" style="margin:0 0 4mm"><button id="print" type="button">Print</button> '
    "A4, one topic never split across pages.</p>"
    '<style>@media print { .noprint { display: none; } }</style><script src="/static/print.js"></script>'
)


def printable_sheet(sheet_html: str) -> str:
    """The reference tool's sheet with a Print button (hidden on paper)."""
    return sheet_html.replace("<body>", "<body>" + PRINT_BAR, 1)


# analysts

def intent_options(intents: Sequence[Tuple[str, str]]) -> str:
    return '<datalist id="intents">' + "".join(
        f'<option value="{escape(name)}">{escape(meaning)}</option>' for name, meaning in intents
    ) + "</datalist>"


def _review_form(session: Session, ids: Iterable[int], back: str) -> str:
    id_list = ",".join(str(i) for i in ids)
    return (
        '<form class="review" method="post" action="/inbox/review">'
        f'{csrf_field(session)}<input type="hidden" name="ids" value="{id_list}">'
        f'<input type="hidden" name="back" value="{escape(back)}">'
        '<input type="text" name="intent" list="intents" placeholder="intent (type to search)" '
        'aria-label="intent" pattern="[a-z][a-z0-9_]*" autocomplete="off">'
        '<button type="submit" name="action" value="label">Label</button>'
        '<button class="secondary" type="submit" name="action" value="out_of_scope" formnovalidate>Out of scope</button>'
        '<button class="quiet" type="submit" name="action" value="ignore" formnovalidate>Ignore</button></form>'
    )


def _guesses(records: Sequence[Record]) -> List[Tuple[str, float]]:
    """The group's top three guessed intents: mean confidence over its messages."""
    total: Counter = Counter()
    for r in records:
        for guess in r.top_intents:
            total[guess["name"]] += float(guess.get("confidence") or 0.0)
    return [(name, score / len(records)) for name, score in total.most_common(3)]


def _chips(items: Iterable[str]) -> str:
    return '<ul class="chips">' + "".join(f"<li>{item}</li>" for item in items) + "</ul>"


def _message(session: Session, r: Record, back: str) -> str:
    guesses = ", ".join(f"{escape(g['name'])} {float(g.get('confidence') or 0):.2f}" for g in r.top_intents) or "-"
    return (
        f'<div class="message" id="m{r.id}"><div class="small">#{r.id} · {r.created_at:%Y-%m-%d %H:%M} · '
        f"{escape(r.language or '?')} · {escape(REASON_NAMES.get(r.reason, r.reason))} · {escape(r.channel or '?')} · "
        f"guessed: {guesses}</div>"
        f'<p class="text" dir="auto">{escape(r.text)}</p>{_review_form(session, [r.id], back)}</div>'
    )


def group_html(session: Session, g: Group, back: str) -> str:
    reasons = Counter(REASON_NAMES.get(r.reason, r.reason) for r in g.records)
    guesses = _guesses(g.records)
    header = (
        f'<header><span class="count">{g.count} message{"s" if g.count != 1 else ""}</span>'
        f'<span class="small">group {g.number} · last {g.last_seen:%Y-%m-%d %H:%M} · first {g.first_seen:%Y-%m-%d %H:%M}</span></header>'
    )
    languages = _chips(f"{escape(lang)} {n}" for lang, n in g.languages.items())
    reason_chips = _chips(f"{escape(reason)} {n}" for reason, n in reasons.most_common())
    guess_text = ", ".join(f"<code>{escape(name)}</code> {score:.2f}" for name, score in guesses) or "-"
    messages = "".join(_message(session, r, back) for r in sorted(g.records, key=lambda r: r.created_at, reverse=True))
    return (
        f'<article class="group card" id="g{g.number}" data-group="{g.number}" data-ids="{",".join(str(r.id) for r in g.records)}">'
        f'{header}<p class="text" dir="auto">{escape(g.representative)}</p>'
        f"{languages}{reason_chips}<p class=\"small\">Top intents guessed: {guess_text}</p>"
        f"{_review_form(session, [r.id for r in g.records], back)}"
        f"<details><summary>The {g.count} message{'s' if g.count != 1 else ''} one by one</summary>{messages}</details></article>"
    )


def _select(name: str, label: str, options: Sequence[Tuple[str, str]], chosen: str) -> str:
    return (
        f'<label>{escape(label)}<select name="{name}">' + "".join(
            f'<option value="{escape(value)}"{" selected" if value == chosen else ""}>{escape(text)}</option>'
            for value, text in options) + "</select></label>"
    )


def training_html(session: Session, training, model, command: Sequence[str] = ()) -> str:
    if training.running:
        state = (f'<p class="pending" id="training" data-state="running">Training since {training.started_at:%H:%M:%S} UTC '
                 f"(started by {escape(training.started_by)}); this page refreshes itself.</p>")
    elif training.ok is None:
        state = '<p class="small" id="training" data-state="idle">No retraining since the app started.</p>'
    else:
        css, word = ("ok", "done") if training.ok else ("no", "failed")
        state = (f'<p class="{css}" id="training" data-state="{word}">{escape(training.message)} '
                 f"({training.finished_at:%Y-%m-%d %H:%M} UTC, {training.seconds:.0f} s).</p>")
        if training.ok:
            state += ('<p><a href="/inbox/labelled">Which labelled messages the new model understands</a></p>')
        if training.log_tail:
            state += f"<details><summary>Training log (end)</summary><pre>{escape(training.log_tail)}</pre></details>"
    model_line = (f"Model trained {model.trained_at:%Y-%m-%d %H:%M} UTC, loaded {model.loaded_at:%H:%M} UTC."
                  if model.ready else f"No model loaded: {model.problem}.")
    button = "" if training.running else (
        f'<form method="post" action="/retrain">{csrf_field(session)}'
        '<button type="submit" id="retrain">Retrain with the labels</button></form>')
    how = ("an incremental training (<code>rasa train --finetune</code> of the current model, fewer epochs)"
           if "--finetune" in command else "<code>rasa train --domain domain</code> (as <code>make train</code>)")
    return (f'<section class="card" id="model"><h2>Model</h2><p class="small">{escape(model_line)}</p><p class="small">Retraining runs '
            f"{how} with data/nlu/reviewed/, then loads the new model here.</p>{state}{button}</section>")


def inbox_page(session: Session, groups: Sequence[Group], total: int, filters: Dict[str, str],
               intents: Sequence[Tuple[str, str]], training_box: str, notice: str = "", shown: int = 50,
               refresh: Optional[int] = None) -> str:
    back = "/inbox?" + urlencode({k: v for k, v in filters.items() if v})
    filter_form = (
        '<form class="filters card" method="get" action="/inbox">'
        + _select("language", "Language", [("", "all")] + [(l, l) for l in INPUT_LANGUAGES], filters.get("language", ""))
        + _select("reason", "Reason", [("", "all")] + [(r, REASON_NAMES[r]) for r in REASONS], filters.get("reason", ""))
        + _select("sort", "Order", [("largest", "largest groups first"), ("newest", "newest first")], filters.get("sort", "largest"))
        + '<button type="submit" class="secondary">Show</button></form>'
    )
    cards = "".join(group_html(session, g, back) for g in groups[:shown])
    more = f'<p class="muted">{len(groups) - shown} more groups not shown: filter by language or reason.</p>' if len(groups) > shown else ""
    empty = '<p class="notice" id="empty">Nothing left to review.</p>' if not groups else ""
    body = (
        f"<h1>Unanswered messages</h1>{intent_options(intents)}"
        f'<p class="muted" id="summary">{total} unreviewed message{"s" if total != 1 else ""} in {len(groups)} '
        "group(s) of near-duplicates (across Arabic script, Arabizi and French). Texts are stored redacted. "
        "Label a group or a message with the intent it asks for, mark it out of scope, or ignore it (noise); "
        "labels go to data/nlu/reviewed/ for the next training.</p>"
        f"{filter_form}{empty}{cards}{more}{training_box}"
    )
    return layout("Inbox", body, session, "inbox", notice, refresh)


def labelled_page(session: Session, rows: Sequence[dict], training_box: str, model, notice: str = "",
                  refresh: Optional[int] = None) -> str:
    understood = sum(1 for row in rows if row["state"] == "understood")
    checked = sum(1 for row in rows if row["state"] in ("understood", "not understood"))
    pending = sum(1 for row in rows if row["state"] == "labelled after this model")
    state_css = {"understood": "ok", "not understood": "no", "labelled after this model": "pending"}
    table = "".join(
        f'<tr data-id="{row["id"]}" data-state="{escape(row["state"])}"><td>#{row["id"]}</td>'
        f'<td dir="auto">{escape(row["text"])}</td><td>{escape(row["language"] or "?")}</td>'
        f'<td><code>{escape(row["label"])}</code><br><span class="small">{row["reviewed_at"]:%Y-%m-%d %H:%M}</span></td>'
        f'<td><code>{escape(row["now"])}</code> {row["confidence"]:.2f}</td>'
        f'<td class="{state_css.get(row["state"], "")}">{escape(row["state"])}</td></tr>'
        for row in rows
    )
    summary = (
        f'<p id="understood" data-understood="{understood}" data-checked="{checked}" data-pending="{pending}">'
        f"With the model trained {model.trained_at:%Y-%m-%d %H:%M} UTC: <b>{understood} of {checked}</b> labelled "
        f"messages labelled before it are understood (parsed as their label); {pending} labelled since, "
        "waiting for a retraining.</p>"
        if model.ready else f'<p class="warning">No model loaded: {escape(model.problem or "")}</p>'
    )
    body = (
        "<h1>Labelled messages</h1>"
        '<p class="muted">Each labelled message parsed again by the model in use now and compared with its label '
        "(ignored ones are left out).</p>"
        f"{training_box}{summary}"
        '<div class="table-wrap card"><table id="labelled"><thead><tr><th>#</th><th>Text</th><th>Language</th>'
        f"<th>Label</th><th>Model now</th><th>State</th></tr></thead><tbody>{table}</tbody></table></div>"
    )
    return layout("Labelled", body, session, "labelled", notice, refresh)


def dashboard_page(session: Session, stats: Sequence[Tuple[str, int]], charts: Sequence[Tuple[str, str]],
                   growing: Sequence[Tuple[Group, int, int]], since: datetime) -> str:
    stat_html = '<div class="stats">' + "".join(f"<div><b>{n}</b>{escape(label)}</div>" for label, n in stats) + "</div>"
    chart_html = '<div class="charts">' + "".join(
        f'<section class="card {css}">{svg}</section>' for css, svg in charts) + "</div>"
    rows = "".join(
        f'<tr><td><a href="/inbox#g{g.number}">{g.number}</a></td><td dir="auto">{escape(g.representative)}</td>'
        f"<td>{recent}</td><td>{before}</td><td>{g.count}</td></tr>"
        for g, recent, before in growing
    ) or '<tr><td colspan="5" class="muted">No group grew in the last 7 days.</td></tr>'
    body = (
        f'<h1>Dashboard</h1><p class="muted">Unanswered messages since {since:%Y-%m-%d} (UTC).</p>{stat_html}'
        f"{chart_html}<h2>Groups that grow</h2>"
        '<div class="table-wrap card"><table id="growing"><thead><tr><th>Group</th><th>Representative text</th>'
        f"<th>Last 7 days</th><th>Week before</th><th>To review</th></tr></thead><tbody>{rows}</tbody></table></div>"
    )
    return layout("Dashboard", body, session, "dashboard")
