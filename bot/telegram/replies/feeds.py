"""Replies about links and feeds: every string translated, every URL and feed title escaped."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from zoneinfo import ZoneInfo

from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.feeds.polling import PollOutcome, PollStatus
from bot.fetch import FetchErrorKind
from bot.telegram.replies.common import moment_label
from bot.telegram.text import esc
from storage.feeds import Feed, FeedErrorKind


def fetch_problem(kind: FetchErrorKind | None, status: int | None = None) -> str:
    """Why a link or feed could not be read, as the reader can act on it (a clause, lower case)."""
    if kind is FetchErrorKind.NOT_FOUND:
        return _("the page was not found (HTTP {status}).").format(status=status or 404)
    if kind is FetchErrorKind.HTTP_ERROR and status:
        return _("the site answered with an error (HTTP {status}).").format(status=status)
    messages = {
        FetchErrorKind.INVALID_URL: _("this is not a valid web address."),
        FetchErrorKind.UNSUPPORTED_SCHEME: _("only http:// and https:// links can be read."),
        FetchErrorKind.PRIVATE_ADDRESS: _(
            "the address leads into a private or local network; such links are refused."
        ),
        FetchErrorKind.DNS_FAILURE: _("no such site: its name does not resolve. Check the address."),
        FetchErrorKind.UNREACHABLE: _("the site could not be reached."),
        FetchErrorKind.TIMEOUT: _("the site did not answer in time."),
        FetchErrorKind.TOO_MANY_REDIRECTS: _("the page redirects more than 5 times."),
        FetchErrorKind.HTTP_ERROR: _("the site answered with an error."),
        FetchErrorKind.TOO_LARGE: _("the page is larger than 5 MB."),
        FetchErrorKind.NOT_HTML: _("this is not a web page (HTML)."),
        FetchErrorKind.NO_ARTICLE_TEXT: _("no article text was found on this page."),
        FetchErrorKind.NOT_A_FEED: _("this is not an RSS, Atom or JSON feed."),
    }
    return messages[kind] if kind is not None else _("it could not be read.")


def feed_problem(kind: FeedErrorKind | None) -> str:
    """Why a feed's last poll failed (a clause, lower case); our own faults are not detailed."""
    if kind is None or kind is FeedErrorKind.INTERNAL:
        return fetch_problem(None)
    return fetch_problem(FetchErrorKind(kind.value))


def link_failed(url: str, kind: FetchErrorKind, status: int | None = None) -> str:
    return _("⚠️ Nothing stored from {url}: {reason}").format(url=esc(url), reason=fetch_problem(kind, status))


def feed_name(feed: Feed) -> str:
    return esc(feed.title or feed.url)


def add_feed_usage(default_minutes: int) -> str:
    return _(
        "Send the feed's address after the command, e.g.\n"
        "<code>/addfeed https://example.org/rss.xml</code>\n"
        "It is polled every {n} minutes; add another number of minutes to change that:\n"
        "<code>/addfeed https://example.org/rss.xml 60</code>"
    ).format(n=default_minutes)


def bad_interval(low: int, high: int) -> str:
    return _("⚠️ The interval is a whole number of minutes from {low} to {high}.").format(low=low, high=high)


def feed_not_added(url: str, kind: FetchErrorKind | None, status: int | None = None) -> str:
    return _("⚠️ Feed not added, {url}: {reason}").format(url=esc(url), reason=fetch_problem(kind, status))


def first_poll(outcome: PollOutcome) -> str:
    if outcome.status is PollStatus.SKIPPED:
        return _("Its first poll is running now.")
    if outcome.status is PollStatus.NOT_MODIFIED:
        return _("First poll: nothing new.")
    text = _("First poll: new articles: {new}, already stored: {duplicates}.").format(
        new=outcome.items_new, duplicates=outcome.items_duplicate
    )
    if outcome.items_pending:
        text += " " + _("{n} more will be taken on the next polls.").format(n=outcome.items_pending)
    return text


def feed_added(feed: Feed, outcome: PollOutcome | None, found_on: str | None = None) -> str:
    lines = [
        _("✅ Feed #{id} added: {name}, polled every {n} min.").format(
            id=feed.id, name=feed_name(feed), n=feed.interval_minutes
        )
    ]
    if found_on is not None:
        lines.append(
            _("That page is not a feed; this is the feed it links to: {feed}").format(feed=esc(feed.url))
        )
    if outcome is not None:
        lines.append(first_poll(outcome))
    return "\n".join(lines)


def feed_known(feed: Feed) -> str:
    return _("↩️ This feed is already on the list as #{id}: {name}.").format(id=feed.id, name=feed_name(feed))


def no_feeds() -> str:
    return _("No feeds yet. Add one with <code>/addfeed https://example.org/rss.xml</code>.")


def _feed_health(feed: Feed, tz: ZoneInfo) -> list[str]:
    lines = []
    if feed.last_polled_at is None:
        polled = _("not polled yet")
    else:
        polled = _("last poll {when}").format(when=moment_label(feed.last_polled_at, tz))
    lines.append(
        _("every {n} min · articles: {items} · {polled}").format(
            n=feed.interval_minutes, items=feed.items_total, polled=polled
        )
    )
    if feed.consecutive_failures:
        lines.append(
            _("⚠️ failed polls in a row: {n}; last error: {reason}").format(
                n=feed.consecutive_failures, reason=feed_problem(feed.error_kind)
            )
        )
    return lines


def feeds_list(feeds: list[Feed], tz: ZoneInfo) -> str:
    if not feeds:
        return no_feeds()
    blocks = [_("📡 <b>Feeds</b>: {n}").format(n=len(feeds))]
    for feed in feeds:
        head = f"#{feed.id} <b>{feed_name(feed)}</b>"
        if feed.paused:
            head += " " + _("⏸ paused")
        blocks.append("\n".join([head, esc(feed.url), *_feed_health(feed, tz)]))
    blocks.append(
        _(
            "/delfeed <i>number</i> removes a feed, /resumefeed <i>number</i> resumes a paused one, "
            "/feeds opml exports the list."
        )
    )
    return "\n\n".join(blocks)


def feed_number_usage(command: str) -> str:
    return _("Send the feed's number from /feeds, e.g. <code>/{command} 3</code>.").format(command=command)


def feed_interval_usage() -> str:
    return _("Send the feed's number and the minutes between polls, e.g. <code>/feedinterval 3 60</code>.")


def no_such_feed(feed_id: int) -> str:
    return _("There is no feed #{id}. /feeds lists them.").format(id=feed_id)


def feed_deleted(feed: Feed) -> str:
    return _("🗑 Feed #{id} removed: {name}. Its articles stay in the archive.").format(
        id=feed.id, name=feed_name(feed)
    )


def feed_resumed(feed: Feed) -> str:
    return _("▶️ Feed #{id} resumed: {name}. It is polled within a minute.").format(
        id=feed.id, name=feed_name(feed)
    )


def feed_interval_set(feed: Feed) -> str:
    return _("✅ Feed #{id} is now polled every {n} min.").format(id=feed.id, n=feed.interval_minutes)


def feed_paused(feed: Feed) -> str:
    """Sent to every admin when a failing feed is paused."""
    return _(
        "⏸ Feed #{id} {name} is paused after {n} failed polls in a row. Last error: {reason}\n"
        "/resumefeed {id} turns it back on, /delfeed {id} removes it."
    ).format(
        id=feed.id,
        name=feed_name(feed),
        n=feed.consecutive_failures,
        reason=feed_problem(feed.error_kind),
    )


def paused_notice(i18n: I18n) -> Callable[[Feed], str]:
    """The feed service's notice to every admin when a failing feed is paused, in the default language:
    the feed is known to the admins, not their chat languages."""

    def render(feed: Feed) -> str:
        with i18n.context(), i18n.use_locale(i18n.default_locale):
            return feed_paused(feed)

    return render


def opml_export_caption(count: int) -> str:
    return _("📤 Feeds in this OPML file: {n}. Feed readers import it.").format(n=count)


def opml_invalid() -> str:
    return _("⚠️ This is not an OPML file listing http(s) feeds.")


def opml_too_large(limit_bytes: int) -> str:
    return _("⚠️ The OPML file is larger than {mb} MB.").format(mb=limit_bytes // (1024 * 1024))


def opml_imported(added: int, known: int, refused: Iterable[tuple[str, FetchErrorKind]]) -> str:
    refused = list(refused)
    lines = [
        _("📥 OPML: feeds added: {added}, already on the list: {known}, refused: {refused}.").format(
            added=added, known=known, refused=len(refused)
        )
    ]
    lines += [f"⚠️ {esc(url)}: {fetch_problem(kind)}" for url, kind in refused]
    if added:
        lines.append(_("New feeds are polled within a minute; /feeds shows how they do."))
    return "\n".join(lines)
