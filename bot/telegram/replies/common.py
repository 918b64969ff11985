"""Replies as the user reads them: every string translated, every article-derived string escaped."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext as __
from babel.dates import format_date, format_datetime

from bot.analysis.entities import ENGLISH_NAMES
from bot.analysis.language import in_language
from bot.analysis.snippets import best_snippet
from bot.ingest.documents import LineProblem, Notice, NoticeKind, Problem
from bot.ingest.service import IngestReport
from bot.search import SearchHit
from bot.telegram.text import esc
from storage.articles import Article, ArticleStats
from storage.entities import FailureCounts


def locale() -> str:
    return get_i18n().current_locale


def entity_name(name: str, other_name: str | None = None) -> str:
    """An entity's name as the reader's language has it: the alias table's Russian display names
    ("США", "Евросоюз") in English for English replies; a person named in both scripts by the name in the
    reader's ("Donald Trump" for English readers, "Дональд Трамп" for Russian ones); every other name as the
    articles give it."""
    shown = in_language(locale(), name, other_name)
    return ENGLISH_NAMES.get(shown, shown) if locale() == "en" else shown


def day(moment: datetime, tz: ZoneInfo) -> str:
    return format_date(moment.astimezone(tz).date(), format="d MMMM y", locale=locale())


def moment_label(moment: datetime, tz: ZoneInfo) -> str:
    """A moment in the bot's zone, with the zone's offset: "29 ноября 2026, 17:31 GMT+03:00" (a reader in
    another zone can tell when that was)."""
    return format_datetime(moment.astimezone(tz), format="d MMMM y, HH:mm ZZZZ", locale=locale())


def title_link(article: Article) -> str:
    if article.url:
        return f'<a href="{esc(article.url)}">{esc(article.title)}</a>'
    return f"<b>{esc(article.title)}</b>"


def start() -> str:
    return _(
        "👋 I keep the news you give me and understand it: who said what, in which role, and when.\n\n"
        "Search the archive with /search, see the newest articles with /latest, ask about people with /who. "
        "/help lists every command."
    )


def help_text(is_admin: bool) -> str:
    lines = [
        _("<b>Commands</b>"),
        _(
            "/latest — the newest articles with their dates; /latest <i>20</i> — that many, "
            "/latest <i>words</i> — the newest about them"
        ),
        _(
            "/search <i>words</i> — full-text search in any word form, "
            "e.g. <code>/search переговоры в Минске</code>; <code>-word</code> leaves a word out"
        ),
        _(
            "/who <i>name</i> — a card: role, quotes, mentions, who appears with them, "
            "e.g. <code>/who Лавров</code>"
        ),
        _("/who — the most mentioned people of the week"),
        _(
            "/timeline <i>topic</i> — what happened when: events of a person, place or words, oldest first, "
            "e.g. <code>/timeline переговоры</code>; a date — its events "
            "(<code>/timeline 1 ноября 2019</code>); alone — the last two weeks"
        ),
        _(
            "/subscribe [<i>HH:MM</i>] [<i>time zone</i>] [<i>topics</i>] — a daily digest of what is new, "
            "e.g. <code>/subscribe 08:30 Europe/Berlin Лукашенко, переговоры, -спорт</code>"
        ),
        _("/settings — time, zone, topics, pause; /digest — the digest now; /unsubscribe — stop it"),
        _(
            "/subscribe again with other topics adds another digest (one per forum topic, too); "
            "/subscriptions lists them with their settings"
        ),
        _(
            "/alert <i>topics</i> — a message as soon as a new story on them appears, "
            "e.g. <code>/alert Лукашенко, переговоры</code>; /alert — its settings"
        ),
        _("/subscribe @<i>channel</i> … in a private chat — a channel's digest, set by its administrators"),
        _("In any chat: my @name and words — search results to send there"),
        _("/help — this list"),
    ]
    if is_admin:
        lines += [
            "",
            _("<b>For admins</b>"),
            _("/ingest <i>title</i>⏎<i>text</i> — store pasted text; the first line is the title"),
            _("/ingest as a reply to a message or a forwarded channel post — store that post"),
            _("Send a .txt, .md, .html or .jsonl file (up to 5 MB) — store the articles in it"),
            _("Forward a channel post to me — store it, the channel as its source"),
            _("/ingest <i>link</i>, or just send me a link — store the article from that page"),
            _("/addfeed <i>link</i> [<i>minutes</i>] — follow an RSS, Atom or JSON feed and store its news"),
            _("/feeds — the feeds and their health; /feeds opml — export them; send an .opml file to import"),
            _("/delfeed, /resumefeed <i>number</i>; /feedinterval <i>number</i> <i>minutes</i>"),
            _("/stats — what the archive holds"),
            _("/reindex — analyse the whole archive again"),
            _("/allow, /deny <i>user id or @chat</i> — who may use the bot when ACCESS=private"),
        ]
    return "\n".join(lines)


def admins_only() -> str:
    return _("⛔ Only the bot's admins can do that. Ask an admin to add the article for you.")


def ingest_usage() -> str:
    return _(
        "Send the text after the command (the first line is the title), for example:\n"
        "<code>/ingest Title of the article\nThe text of the article…</code>\n"
        "Or reply /ingest to a message or a forwarded channel post."
    )


def problem(item: LineProblem) -> str:
    prefix = _("Line {line}: ").format(line=item.line) if item.line else ""
    detail = esc(item.detail)
    messages = {
        Problem.TOO_LARGE: _("the file is larger than 5 MB; split it into smaller files."),
        Problem.BINARY: _("this is not a text file. Send .txt, .md, .html or .jsonl."),
        Problem.UNDECODABLE: _("the text is neither UTF-8 nor Windows-1251; save it as UTF-8."),
        Problem.EMPTY: _("there is no text to store."),
        Problem.UNSUPPORTED: _(
            "files of type “{suffix}” are not supported. Send .txt, .md, .html or .jsonl."
        ).format(suffix=detail or "?"),
        Problem.NO_ARTICLE_TEXT: _("no article text was found in this page."),
        Problem.BAD_JSON: _("not valid JSON ({detail}).").format(detail=detail),
        Problem.NOT_AN_OBJECT: _("expected a JSON object with title and text."),
        Problem.MISSING_FIELD: _("missing or empty field: {detail}.").format(detail=detail),
        Problem.BAD_DATE: _(
            "“{detail}” is not an ISO 8601 date (e.g. 2025-11-26 or 2025-11-26T09:30:00+03:00)."
        ).format(detail=detail),
        Problem.BAD_URL: _("“{detail}” is not an http(s) URL.").format(detail=detail),
        Problem.DATE_OUT_OF_RANGE: _(
            "the date “{detail}” is not between 1900-01-01 and the day after tomorrow; "
            "fix it or leave it out."
        ).format(detail=detail),
        Problem.TOO_DEEP: _("the JSON is nested too deeply to read."),
    }
    text = prefix + messages[item.problem]
    return "⚠️ " + text[:1].upper() + text[1:]


def notice(item: Notice) -> str:
    """What was stored, but not quite as sent: the admin should know, nothing needs to be sent again."""
    prefix = f"#{item.article_id}: " if item.article_id is not None else ""
    detail = esc(item.detail)
    if item.kind is NoticeKind.BYTES_REPLACED:
        count = int(item.detail)
        text = __(
            "{n} byte is not valid UTF-8 and was replaced with “�”.",
            "{n} bytes are not valid UTF-8 and were replaced with “�”.",
            count,
        ).format(n=count)
    elif item.kind is NoticeKind.DATE_IGNORED:
        text = _(
            "the date {date} is not between 1900-01-01 and the day after tomorrow, so the article is dated "
            "when it was received."
        ).format(date=detail)
    else:
        text = _(
            "the text is long: who, roles and the timeline come from its first {n} characters; "
            "it is stored and searchable whole."
        ).format(n=item.detail)
    return "ℹ️ " + prefix + text[:1].upper() + text[1:]


# A submission of more articles than this is reported by its counts: a line per article took a file of 300
# articles fifteen messages. What needs the admin's eye (what could not be read, notices) is still listed, up
# to LISTED_PROBLEMS lines.
LISTED_ARTICLES = 20
LISTED_PROBLEMS = 30


def _large_ingest_report(report: IngestReport) -> str:
    saved = [s.article.id for s in report.saved]
    lines = [
        _("Saved: {saved}, already stored: {duplicates}, not read: {problems}.").format(
            saved=len(report.saved), duplicates=len(report.duplicates), problems=len(report.problems)
        )
    ]
    if saved:
        lines[0] = (
            "📥 "
            + lines[0]
            + " "
            + _("New articles: #{first}–#{last}.").format(first=min(saved), last=max(saved))
        )
    details = [problem(p) for p in report.problems] + [notice(n) for n in report.notices]
    lines += details[:LISTED_PROBLEMS]
    if len(details) > LISTED_PROBLEMS:
        more = len(details) - LISTED_PROBLEMS
        lines.append(
            __("…and {n} more line like these.", "…and {n} more lines like these.", more).format(n=more)
        )
    return "\n".join(lines)


def ingest_report(report: IngestReport, tz: ZoneInfo) -> str:
    if len(report.stored) > LISTED_ARTICLES:
        return _large_ingest_report(report)
    lines: list[str] = []
    for stored in report.stored:
        article = stored.article
        if stored.created:
            lines.append(
                _("✅ Saved #{id}: {title} ({date})").format(
                    id=article.id, title=title_link(article), date=day(article.published_at, tz)
                )
            )
        else:
            lines.append(
                _("↩️ Already stored as #{id}: {title}").format(id=article.id, title=title_link(article))
            )
    lines += [problem(p) for p in report.problems]
    lines += [notice(n) for n in report.notices]
    if len(report.stored) > 1 or (report.stored and report.problems):
        lines.append(
            _("Saved: {saved}, already stored: {duplicates}, not read: {problems}.").format(
                saved=len(report.saved), duplicates=len(report.duplicates), problems=len(report.problems)
            )
        )
    return "\n".join(lines)


def nothing_found(query: str) -> str:
    return _("Nothing found for “{query}”. Try other words or fewer of them.").format(query=esc(query))


def latest(articles: list[Article], tz: ZoneInfo, query: str = "") -> str:
    """The newest articles, or with ``query`` the newest about those words."""
    if not articles and query:
        return nothing_found(query)
    if not articles:
        return _("The archive is empty so far.")
    header = _("🗞 <b>Latest articles</b>")
    if query:
        header = _("🗞 <b>Latest articles about “{query}”</b>").format(query=esc(query))
    lines = [header]
    for article in articles:
        source = f" · {esc(article.source)}" if article.source else ""
        lines.append(f"{day(article.published_at, tz)} — {title_link(article)}{source}")
    return "\n\n".join(lines)


def latest_usage(value: str, limit: int) -> str:
    return _(
        "⚠️ “{value}” articles? Write a number from 1 to {limit}, e.g. <code>/latest 5</code>, "
        "or words, e.g. <code>/latest Лукашенко</code>."
    ).format(value=esc(value), limit=limit)


def search_usage() -> str:
    return _(
        "Write what to look for after the command, e.g. <code>/search переговоры в Минске</code>;"
        " a word with a minus leaves out the articles holding it: <code>/search суд -Пономарев</code>."
    )


def search_left_out_only(query: str) -> str:
    return _(
        "“{query}” only leaves words out: a word with a minus drops the articles holding it."
        " Add a word to look for, e.g. <code>/search суд -Пономарев</code>."
    ).format(query=esc(query))


SOURCES_NAMED = 3  # of a story's other matches, this many sources are named


def _more_of_the_story(others: tuple[Article, ...]) -> str:
    if not others:
        return ""
    sources = list(dict.fromkeys(a.source for a in others if a.source))
    named = ", ".join(esc(s) for s in sources[:SOURCES_NAMED]) + (" …" if sources[SOURCES_NAMED:] else "")
    line = __("+ {n} more report of this story", "+ {n} more reports of this story", len(others)).format(
        n=len(others)
    )
    return f"\n<i>{line}{': ' + named if named else ''}</i>"


def search_results(
    query: str,
    hits: list[SearchHit],
    tz: ZoneInfo,
    also: Sequence[str] = (),
    read_as_names: frozenset[str] = frozenset(),
) -> str:
    """The hits, one per story; ``also`` are the names in the other script the search looked for besides
    the query's (a person the archive knows in both), said under the header and highlighted too;
    ``read_as_names``: the query's words /search read as names (their snippets highlight only the name)."""
    if not hits:
        return nothing_found(query)
    header = __("🔎 {n} article for “{query}”", "🔎 {n} articles for “{query}”", len(hits)).format(
        n=len(hits), query=esc(query)
    )
    if also:
        names = ", ".join(f"«{esc(name)}»" for name in also)
        line = _("Also as {names}: one person in Russian and English reports.").format(names=names)
        header += f"\n<i>{line}</i>"
    highlighted = " ".join([query, *also])
    blocks = [header]
    for number, hit in enumerate(hits, start=1):
        article = hit.article
        snippet = best_snippet(article.text, highlighted, names=read_as_names)
        parts: list[str] = []
        cursor = 0
        for a, b in snippet.highlights:
            parts.append(esc(snippet.text[cursor:a]))
            parts.append(f"<b>{esc(snippet.text[a:b])}</b>")
            cursor = b
        parts.append(esc(snippet.text[cursor:]))
        source = "".join(f" · {esc(part)}" for part in (article.source, article.author) if part)
        blocks.append(
            f"{number}. {title_link(article)}\n<i>{day(article.published_at, tz)}{source}</i>\n"
            f"{''.join(parts)}{_more_of_the_story(hit.others)}"
        )
    return "\n\n".join(blocks)


def stats(
    figures: ArticleStats, tz: ZoneInfo, failures: FailureCounts | None = None, waiting: int = 0
) -> str:
    langs = ", ".join(f"{lang}: {n}" for lang, n in sorted(figures.by_lang.items())) or "—"
    lines = [
        _("📊 <b>Archive</b>"),
        _("Articles: {n}").format(n=figures.total),
        _("Languages: {langs}").format(langs=esc(langs)),
        _("Sources: {n}").format(n=figures.sources),
    ]
    if waiting:
        lines.append(_("Waiting for analysis: {n}").format(n=waiting))
    if failures is not None:
        lines.append(_("Analysis failed: {n}").format(n=failures.failed))
        if failures.waiting:
            lines.append(_("To analyse again after a storage fault: {n}").format(n=failures.waiting))
    if figures.last_ingested_at:
        lines.append(_("Last added: {when}").format(when=moment_label(figures.last_ingested_at, tz)))
    if figures.newest_published_at:
        lines.append(_("Newest article: {when}").format(when=day(figures.newest_published_at, tz)))
    return "\n".join(lines)


def still_analysing(waiting: int) -> str:
    """What a "nothing found" adds while articles wait for analysis (new ones, or the archive after an
    upgrade): the people and events of those articles are not known yet."""
    if waiting <= 0:
        return ""
    return "\n" + __(
        "⏳ {n} article is still being analysed: the people and events it names appear once it is done.",
        "⏳ {n} articles are still being analysed: the people and events they name appear once done.",
        waiting,
    ).format(n=waiting)


def unknown_command() -> str:
    return _("I don't know this command. /help lists what I can do.")


def non_admin_text() -> str:
    return _("I answer commands: try /search, /latest or /help.")


def reindex_started() -> str:
    return _("⏳ Analysing the whole archive again…")


def reindex_running(done: int, total: int) -> str:
    return _("⏳ A reindex is already running: {done} of {total} articles taken so far.").format(
        done=done, total=total
    )


def reindex_progress(done: int, total: int) -> str:
    return _("⏳ Analysed {done} of {total} articles…").format(done=done, total=total)


def reindex_done(articles: int, failed: int, seconds: float) -> str:
    text = _("✅ Reindexed {n} articles in {seconds} s.").format(n=articles, seconds=f"{seconds:.1f}")
    if failed:
        text += " " + _("{n} could not be analysed; they stay searchable.").format(n=failed)
    return text


def something_went_wrong() -> str:
    """The error router's apology: the user learns the request failed instead of waiting for nothing."""
    return _("⚠️ Something went wrong on my side and the request was not completed. Please try again later.")


def stale_button() -> str:
    """An alert (plain text, 200 characters at most) for a button no handler can take."""
    return _("This button is stale or broken: nothing was changed. Send the command again for fresh buttons.")
