"""Documents an admin sends (.txt, .md, .html, .jsonl) → article drafts, or precise problems.

Pure: runs in the analysis worker process, so a 5 MB file never blocks the event loop.
"""

from __future__ import annotations

import codecs
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from pathlib import PurePath
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from bot.analysis.invisible import visible_text
from bot.ingest.drafts import ArticleDraft, PreparedArticle, clean_title, plausible_date, prepare


class Problem(StrEnum):
    TOO_LARGE = "too_large"
    BINARY = "binary"
    UNDECODABLE = "undecodable"
    EMPTY = "empty"
    UNSUPPORTED = "unsupported"
    NO_ARTICLE_TEXT = "no_article_text"
    BAD_JSON = "bad_json"
    NOT_AN_OBJECT = "not_an_object"
    MISSING_FIELD = "missing_field"
    BAD_DATE = "bad_date"
    DATE_OUT_OF_RANGE = "date_out_of_range"
    TOO_DEEP = "too_deep"
    BAD_URL = "bad_url"


class NoticeKind(StrEnum):
    """Something the admin should know about what was stored: not a refusal."""

    BYTES_REPLACED = "bytes_replaced"  # detail: how many undecodable bytes became U+FFFD
    DATE_IGNORED = "date_ignored"  # detail: the date given; the article has its ingest time instead
    PARTLY_ANALYSED = "partly_analysed"  # detail: how many characters of the text the analysis reads


@dataclass(frozen=True)
class Notice:
    kind: NoticeKind
    detail: str = ""
    article_id: int | None = None


@dataclass(frozen=True)
class LineProblem:
    problem: Problem
    line: int | None = None  # 1-based line of a .jsonl file
    detail: str = ""  # a field name or a value, shown to the admin as is


@dataclass(frozen=True)
class ParsedDocument:
    articles: list[PreparedArticle] = field(default_factory=list)
    problems: list[LineProblem] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)


TEXT_SUFFIXES = {".txt", ".text", ""}
MARKDOWN_SUFFIXES = {".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | MARKDOWN_SUFFIXES | HTML_SUFFIXES | JSONL_SUFFIXES

# File signatures of formats people send by mistake (PDF, images, archives, office files).
_MAGIC = (
    b"%PDF",
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"PK\x03\x04",
    b"\xd0\xcf\x11\xe0",
    b"\x1f\x8b",
    b"Rar!",
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_SEED_HEADER = re.compile(r"^\s*date\s+(\d{4}-\d{2}-\d{2})\s+(.+)$")


# Byte-order marks of the wide encodings (UTF-32 first: its LE mark begins with UTF-16's). Their bytes
# are also Windows-1251 letters ("яю", "юя"), so one is believed only with a control byte after it: the
# high byte of Latin (0x00), Greek (0x03) or Cyrillic (0x04) letters in UTF-16, never in a one-byte text.
_CONTROL_BYTE = re.compile(rb"[\x00-\x08\x0e-\x1f]")
_WIDE_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_BAD_BYTE = "\udcff"  # marks a byte no decoder turns into: decoders never yield lone surrogates
_NON_ASCII = bytes(range(128, 256))
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")


def _mark_bad_bytes(error: UnicodeError) -> tuple[str, int]:
    assert isinstance(error, UnicodeDecodeError)
    return _BAD_BYTE * (error.end - error.start), error.end


codecs.register_error("newsbot-mark", _mark_bad_bytes)


@dataclass(frozen=True)
class DecodedText:
    text: str
    replaced: int = 0  # undecodable bytes, each now U+FFFD


def _decode_marking(data: bytes, encoding: str) -> DecodedText:
    text = data.decode(encoding, "newsbot-mark")
    replaced = text.count(_BAD_BYTE)
    return DecodedText(text.replace(_BAD_BYTE, "\ufffd") if replaced else text, replaced)


def _decode_utf8(data: bytes) -> tuple[str, int]:
    """UTF-8 with each bad byte kept as U+DC80..U+DCFF, and how many there are, all in C: a Windows-1251
    file is millions of bad bytes, and a Python error handler would be called for each."""
    try:
        return data.decode("utf-8"), 0
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8", "surrogateescape")
    return text, len(data) - len(text.encode("utf-8", "ignore"))  # good characters re-encode as they were


def decode_document(data: bytes) -> DecodedText | Problem:
    """The text of a document: the encoding its byte-order mark names (UTF-8, UTF-16, UTF-32), else UTF-8,
    else Windows-1251, the encodings Russian text files come in. UTF-8 with a few bad bytes (a cut or a
    stray byte) stays UTF-8 with those bytes replaced: it is Windows-1251 only when fewer than half of its
    non-ASCII bytes form valid UTF-8 (Russian Windows-1251 text has almost none; UTF-8 text almost all)."""
    for bom, encoding in _WIDE_BOMS:
        if data.startswith(bom) and _CONTROL_BYTE.search(data, len(bom)):
            decoded = _decode_marking(data[len(bom) :], encoding)
            break
    else:
        data = data.removeprefix(codecs.BOM_UTF8)
        head = data[:8192]
        if head.startswith(_MAGIC) or b"\x00" in head:
            return Problem.BINARY
        text, bad = _decode_utf8(data)
        non_ascii = len(data) - len(data.translate(None, _NON_ASCII))
        if bad * 2 <= non_ascii:
            decoded = DecodedText(_ESCAPED_BYTE.sub("\ufffd", text) if bad else text, bad)
        else:
            try:
                decoded = DecodedText(data.decode("cp1251"))
            except UnicodeDecodeError:
                return Problem.UNDECODABLE
    sample = decoded.text[:20000]
    if sample and len(_CONTROL.findall(sample)) > len(sample) / 100:
        return Problem.BINARY
    text = decoded.text.replace("\r\n", "\n").replace("\r", "\n")
    return DecodedText(text, decoded.replaced)


def decode_text(data: bytes) -> str | Problem:
    """`decode_document`'s text alone."""
    decoded = decode_document(data)
    return decoded if isinstance(decoded, Problem) else decoded.text


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=tz)


def parse_datetime(value: str, tz: ZoneInfo) -> datetime | None:
    """ISO 8601 date or date-time; a naive value is read in the configured zone."""
    value = value.strip()
    try:
        if len(value) == 10:
            return _midnight(date.fromisoformat(value), tz)
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)


_WORD = re.compile(r"[^\W_]")


def draft_from_text(text: str, tz: ZoneInfo, **fields: object) -> ArticleDraft | None:
    """First line is the title, or `date YYYY-MM-DD Title` (the seed format); the rest is the body."""
    text = visible_text(text).strip()
    if not _WORD.search(text):  # nothing, or emoji and marks alone: no article to read
        return None
    first, _, rest = text.partition("\n")
    published = fields.pop("published_at", None)
    header = _SEED_HEADER.match(first)
    if header:
        day = parse_datetime(header.group(1), tz)
        if day is not None:
            published, first = day, header.group(2)
    title = clean_title(first.strip())
    body = rest.strip() or first.strip()
    if not title:
        title = clean_title(body.split("\n", 1)[0])
    return ArticleDraft(title=title, text=body, published_at=published, **fields)  # type: ignore[arg-type]


_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s*")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__|\*|_|`)(?=\S)(.+?)(?<=\S)\1")


def markdown_to_text(text: str) -> str:
    """Markdown reduced to its words: headings, links and emphasis lose their markup."""
    lines = [_MD_HEADING.sub("", line) for line in text.split("\n")]
    plain = _MD_LINK.sub(r"\1", "\n".join(lines))
    return _MD_EMPHASIS.sub(r"\2", plain)


def _jsonl(text: str, tz: ZoneInfo) -> ParsedDocument:
    result = ParsedDocument()
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            result.problems.append(LineProblem(Problem.BAD_JSON, number, exc.msg))
            continue
        except ValueError as exc:  # an integer over Python's 4,300-digit limit
            result.problems.append(LineProblem(Problem.BAD_JSON, number, str(exc)[:80]))
            continue
        except RecursionError:  # "[[[[…": the line alone is refused, the others are read
            result.problems.append(LineProblem(Problem.TOO_DEEP, number))
            continue
        if not isinstance(record, dict):
            result.problems.append(LineProblem(Problem.NOT_AN_OBJECT, number))
            continue
        fields = {
            key: visible_text(record[key]).strip() if isinstance(record.get(key), str) else ""
            for key in ("title", "text")
        }
        missing = [k for k, value in fields.items() if not value]
        if missing:
            result.problems.append(LineProblem(Problem.MISSING_FIELD, number, ", ".join(missing)))
            continue
        published = None
        if record.get("date") not in (None, ""):
            published = parse_datetime(str(record["date"]), tz)
            if published is None:
                result.problems.append(LineProblem(Problem.BAD_DATE, number, str(record["date"])[:40]))
                continue
            if not plausible_date(published):
                # The admin gave this date and can fix it: the line is refused, not stored undated.
                result.problems.append(
                    LineProblem(Problem.DATE_OUT_OF_RANGE, number, str(record["date"])[:40])
                )
                continue
        url = record.get("url") or None
        if url is not None and (not isinstance(url, str) or not url.startswith(("http://", "https://"))):
            result.problems.append(LineProblem(Problem.BAD_URL, number, str(url)[:80]))
            continue
        lang = record.get("lang") if record.get("lang") in ("ru", "en") else None
        source = record.get("source") if isinstance(record.get("source"), str) else None
        if not (source or "").strip() and url is not None:
            source = urlsplit(url).hostname  # as for a link: the site names the report in digests and /search
        author = record.get("author") if isinstance(record.get("author"), str) else None
        draft = ArticleDraft(
            title=clean_title(fields["title"]),
            text=fields["text"],
            published_at=published,
            url=url,
            source=source,
            lang=lang,
            author=author,
        )
        result.articles.append(prepare(draft))
    if not result.articles and not result.problems:
        result.problems.append(LineProblem(Problem.EMPTY))
    return result


def parse_document(filename: str, data: bytes, timezone: str, max_bytes: int) -> ParsedDocument:
    """Everything a document holds, with a precise problem for whatever cannot be stored."""
    if len(data) > max_bytes:
        return ParsedDocument(problems=[LineProblem(Problem.TOO_LARGE)])
    suffix = PurePath(filename or "").suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        return ParsedDocument(problems=[LineProblem(Problem.UNSUPPORTED, detail=suffix)])
    document = decode_document(data)
    if isinstance(document, Problem):
        return ParsedDocument(problems=[LineProblem(document)])
    parsed = _parse_decoded(suffix, document.text, ZoneInfo(timezone))
    if document.replaced and parsed.articles:
        parsed.notices.insert(0, Notice(NoticeKind.BYTES_REPLACED, str(document.replaced)))
    return parsed


def _parse_decoded(suffix: str, decoded: str, tz: ZoneInfo) -> ParsedDocument:
    if not visible_text(decoded).strip():
        return ParsedDocument(problems=[LineProblem(Problem.EMPTY)])
    if suffix in JSONL_SUFFIXES:
        return _jsonl(decoded, tz)
    if suffix in HTML_SUFFIXES:
        from bot.ingest.webpage import extract_article  # trafilatura loads slowly; only .html needs it

        page = extract_article(decoded, None)
        if page is None:
            return ParsedDocument(problems=[LineProblem(Problem.NO_ARTICLE_TEXT)])
        draft = ArticleDraft(
            title=clean_title(page.title or page.text.split("\n", 1)[0]),
            text=page.text,
            published_at=page.published_at,
            url=page.url,
            source=page.site_name,
            author=page.author,
        )
        return ParsedDocument(articles=[prepare(draft)])
    if suffix in MARKDOWN_SUFFIXES:
        decoded = markdown_to_text(decoded)
    draft = draft_from_text(decoded, tz)
    if draft is None:
        return ParsedDocument(problems=[LineProblem(Problem.EMPTY)])
    return ParsedDocument(articles=[prepare(draft)])


def parse_message_text(text: str, timezone: str, **fields: object) -> PreparedArticle | None:
    """Text pasted after /ingest or a forwarded post; None when there is nothing to store."""
    draft = draft_from_text(text, ZoneInfo(timezone), **fields)
    return prepare(draft) if draft else None
