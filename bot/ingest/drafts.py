"""What ingestion produces before storage: a draft, and a draft prepared for the index."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from bot.analysis.language import detect_lang
from bot.analysis.stems import stemmed_text

TITLE_LIMIT = 300


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


def prepare(draft: ArticleDraft) -> PreparedArticle:
    return PreparedArticle(
        draft=draft,
        lang=draft.lang or detect_lang(f"{draft.title}\n{draft.text}"),
        content_hash=content_hash(draft.text),
        title_stems=stemmed_text(draft.title),
        body_stems=stemmed_text(draft.text),
    )
