"""What ingestion produces before storage: a draft, and a draft prepared for the index."""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from bot.analysis.furniture import BYLINE_LABEL
from bot.analysis.invisible import visible_text
from bot.analysis.language import detect_lang
from bot.analysis.stems import stemmed_text
from storage.articles import NewArticle

TITLE_LIMIT = 300

# Publication dates the bot believes: a news archive has nothing older, and a clock a little ahead (or a
# site's zone misread) is forgiven up to two days. Outside this, a date is a typo or a placeholder
# ("0001-01-01", "9999-12-31"), and such dates overflowed when shown in a time zone.
EARLIEST_PUBLISHED = datetime(1900, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=2)


@dataclass(frozen=True)
class ArticleDraft:
    title: str
    text: str
    published_at: datetime | None = None  # aware; None: the caller's "now"
    url: str | None = None
    source: str | None = None
    lang: str | None = None  # None: detected from the text
    author: str | None = None


@dataclass(frozen=True)
class PreparedArticle:
    """A draft with what storage derives from it, computed off the event loop."""

    draft: ArticleDraft
    lang: str
    content_hash: str
    title_stems: str
    body_stems: str
    ignored_date: datetime | None = None  # the draft's date, outside the plausible range: not stored

    @property
    def row(self) -> NewArticle:
        """What storage keeps of it."""
        d = self.draft
        return NewArticle(
            title=d.title,
            text=d.text,
            published_at=d.published_at,
            url=d.url,
            source=d.source,
            author=d.author,
            lang=self.lang,
            content_hash=self.content_hash,
            title_stems=self.title_stems,
            body_stems=self.body_stems,
        )


_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def normalized_text(text: str) -> str:
    """Text reduced to what makes two copies the same article: letters and digits, case and
    typography (quotes, dashes, ё, non-breaking spaces, line breaks) ignored."""
    text = unicodedata.normalize("NFKC", text).lower().replace("ё", "е")
    return _NON_WORD.sub(" ", text).strip()


def content_hash(text: str) -> str:
    return hashlib.sha256(normalized_text(text).encode("utf-8")).hexdigest()


def clean_title(title: str) -> str:
    title = " ".join(title.split())
    if len(title) > TITLE_LIMIT:
        title = title[: TITLE_LIMIT - 1].rstrip() + "…"
    return title


def plausible_date(moment: datetime, now: datetime | None = None) -> bool:
    """Within 1900-01-01 … now + 2 days (naive: read as UTC): safe to store and to show in any zone."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return EARLIEST_PUBLISHED <= moment <= (now or datetime.now(UTC)) + FUTURE_SLACK


def _visible(value: str | None) -> str | None:
    return (visible_text(value).strip() or None) if value is not None else None


# A byline's label, which pages put before the name and extractors keep ("Текст: Иван Петров", "By Jane Doe").
_BYLINE_LABEL = re.compile(rf"^(?:(?:{BYLINE_LABEL}|by|written by)\b\s*[:—–-]?\s*)+", re.IGNORECASE)


def author_name(value: str | None) -> str | None:
    """An author as a reader sees it: visible text without its byline label."""
    visible = _visible(value)
    return (_BYLINE_LABEL.sub("", visible).strip() or None) if visible else None


# A full stop glued to the next sentence, as pages that lost their line breaks give it («передает
# агентство.Таким образом…», "said.The"): a lower-case word of three letters or more, then a capitalised
# word of three or more. Names with a dot keep it: "Яндекс.Дзен", "Mail.Ru", "Крым.Реалии", initials
# ("Д.Дэвис"), "г.Москва", web addresses ("www.Example.com", "news.site.Org/page").
_GLUED_FULL_STOP = re.compile(
    r"(?<![/@.])\b(?!www\.)([^\W\d_A-ZА-ЯЁ][^\W\d_]{2,})\.([A-ZА-ЯЁ][^\W\d_A-ZА-ЯЁ]{2,})"
)


# After a capitalised word ("РИА Новости.Таким образом", "Reuters.The") the stop is glued too when the next
# sentence opens with a word no name is made of, followed by a space: a pronoun, preposition, conjunction
# or sentence adverb. "Яндекс.Дзен", "Лента.Ру", "Яндекс.Такси", "Mail.Ru" stay.
_OPENER_WORDS = """
    а в во вчера где для до его если ее её же за затем и из из-за их к как кроме между на напомним но о об
    однако он она они оно от по позднее позже после поэтому при причем причём ранее с сегодня согласно среди
    так также таким там тем теперь то тогда у уже что это этот эта эти этого этой
    a according after also an and as at but earlier he however if in it its meanwhile on she that the their
    there these they this those we when while
"""
_SENTENCE_OPENERS = _OPENER_WORDS.split()
_GLUED_AFTER_NAME = re.compile(
    r"(?<![/@.])\b(?!www\.)([A-ZА-ЯЁ][^\W\d_]{2,})\.((?i:"
    + "|".join(map(re.escape, _SENTENCE_OPENERS))
    + r"))(?=\s)"
)


def unglued(text: str) -> str:
    """The text with a space after each full stop glued to the next sentence (the content hash ignores
    it: the same article stored before keeps its hash)."""
    text = _GLUED_FULL_STOP.sub(r"\1. \2", text)
    return _GLUED_AFTER_NAME.sub(lambda m: f"{m[1]}. {m[2]}" if m[2][0].isupper() else m[0], text)


# Character references left in plain text by the exports and feeds it came from ("Читайте также:&nbspПалата…",
# "&laquo;Сети&raquo;"): well-formed ones ("&amp;", "&#171;", "&#xAB;") become their characters, and "&nbsp"
# without its semicolon too. An ampersand in a web address stays ("?a=1&copy=2": no semicolon, not "&nbsp").
_CHARACTER_REFERENCE = re.compile(
    r"&(?:#\d{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});|&nbsp(?![A-Za-z0-9=;])"
)


def decoded(text: str) -> str:
    """The text with its HTML character references read (html.unescape, one reference at a time)."""
    return _CHARACTER_REFERENCE.sub(lambda m: html.unescape(m.group(0)), text)


def prepare(draft: ArticleDraft, now: datetime | None = None) -> PreparedArticle:
    """The one gate between every parser and storage: text without invisible characters, NFC-normalised
    (so "Алекс\\u200bандр" is found and named as "Александр"), and no date outside `plausible_date`: such
    a date is dropped (the article gets its ingest time) and kept in `ignored_date` for reply and log."""
    # the content hash is of the text as written: an article stored before keeps its hash
    as_written = unglued(visible_text(draft.text).strip())
    text = unglued(visible_text(decoded(draft.text)).strip())
    title = clean_title(visible_text(decoded(draft.title))) or clean_title(text.split("\n", 1)[0])
    published, ignored = draft.published_at, None
    if published is not None and not plausible_date(published, now):
        published, ignored = None, published
    draft = replace(
        draft,
        title=title,
        text=text or title,
        published_at=published,
        source=_visible(draft.source),
        author=author_name(draft.author),
    )
    return PreparedArticle(
        draft=draft,
        lang=draft.lang or detect_lang(f"{draft.title}\n{draft.text}"),
        content_hash=content_hash(as_written or draft.text),
        title_stems=stemmed_text(draft.title),
        body_stems=stemmed_text(draft.text),
        ignored_date=ignored,
    )
