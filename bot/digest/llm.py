"""Optional LLM summaries (#13): a story of several reports summarised by an OpenAI-compatible chat endpoint.

Off unless SUMMARY_LLM_URL and SUMMARY_LLM_MODEL are set; the extractive summariser (bot/digest/summary.py)
stays the default and the fallback. The prompt carries the story's headline, its reports' cleaned candidate
sentences (no bylines, credits or rubric lines: what `rank_sentences` kept) and what the chat was already
sent of the story, in the chat's language. A timeout, a connection error, an HTTP error or an answer that is
not the expected JSON leaves that story's extractive summary in place; each kind of failure is logged once
per summariser, not once per story, and after a failure the endpoint is left alone for a while, so a digest
run with the endpoint down does not wait a timeout per story.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

import aiohttp
from razdel import sentenize

from bot.digest.compose import Catalog, ComposedDigest, DigestEntry
from bot.digest.summary import MAX_CHARS, MAX_SENTENCES, Story

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 20.0
# After a failure, stories fall back to the extractive summary without asking for this long.
RETRY_AFTER_SECONDS = 60.0
MAX_TOKENS = 300
CACHE_SIZE = 2048

_INSTRUCTIONS = {
    "ru": (
        "Ты редактор новостного дайджеста. Перескажи сюжет по сообщениям нескольких источников: не больше "
        "{sentences} предложений и {chars} знаков, по-русски, только факты из сообщений, без оценок, без "
        "вступлений и без разметки. Сначала главное событие. Не повторяй то, что читателю уже отправили; "
        "если нового нет, кратко напомни суть."
    ),
    "en": (
        "You edit a news digest. Summarise the story told by reports from several sources: at most "
        "{sentences} sentences and {chars} characters, in English, only facts from the reports, no opinions, "
        "no preamble and no markup. The main event first. Do not repeat what the reader was already sent; "
        "if nothing is new, restate the gist briefly."
    ),
}
_LABELS = {
    "ru": ("Заголовок", "Сообщение", "Читателю уже отправили", "ничего"),
    "en": ("Headline", "Report", "Already sent to the reader", "nothing"),
}


def prompt(story: Story, already_sent: Sequence[str], language: str) -> list[dict[str, str]]:
    """The chat messages for one story: the instructions, then the reports and what the chat already got."""
    lang = language if language in _INSTRUCTIONS else "en"
    headline, report, sent, nothing = _LABELS[lang]
    by_report: dict[int, list[tuple[int, str]]] = {}
    ranked = story.sentences
    owners = ranked.reports or (0,) * len(ranked.sentences)
    positions = ranked.positions or tuple(range(len(ranked.sentences)))
    for sentence, owner, position in zip(ranked.sentences, owners, positions, strict=True):
        by_report.setdefault(owner, []).append((position, sentence))
    lines = [f"{headline}: {story.headline}", ""]
    for number, owner in enumerate(sorted(by_report), start=1):
        lines.append(f"{report} {number}: " + " ".join(s for _, s in sorted(by_report[owner])))
    lines += ["", f"{sent}: " + (" ".join(already_sent) if already_sent else nothing)]
    return [
        {"role": "system", "content": _INSTRUCTIONS[lang].format(sentences=MAX_SENTENCES, chars=MAX_CHARS)},
        {"role": "user", "content": "\n".join(lines)},
    ]


class LlmFailure(Exception):
    """Why an answer was not used; `kind` names the failure for the once-per-kind log."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind


def parse_answer(payload: object) -> tuple[str, ...]:
    """The summary sentences of a chat-completions answer, cut to the digest's limits."""
    try:
        content = payload["choices"][0]["message"]["content"]  # type: ignore[index]
    except (KeyError, IndexError, TypeError):
        raise LlmFailure("malformed", "no choices[0].message.content") from None
    if not isinstance(content, str) or not content.strip():
        raise LlmFailure("malformed", "empty or non-text content")
    sentences: list[str] = []
    length = 0
    for piece in sentenize(" ".join(content.split())):
        text = piece.text.strip()
        if not text:
            continue
        if sentences and (len(sentences) >= MAX_SENTENCES or length + len(text) > MAX_CHARS):
            break
        sentences.append(text[:MAX_CHARS])
        length += len(text)
    return tuple(sentences)


class LlmSummarizer:
    """Summaries of multi-report stories from a chat-completions endpoint, asked once per distinct input."""

    def __init__(
        self,
        url: str,
        model: str,
        *,
        timeout: float = TIMEOUT_SECONDS,
        retry_after: float = RETRY_AFTER_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.model = model
        self.timeout = timeout
        self.retry_after = retry_after
        self._clock = clock
        self._session: aiohttp.ClientSession | None = None
        self._logged: set[str] = set()
        self._resting_until = 0.0
        self._cache: dict[tuple[int, tuple[int, ...], tuple[str, ...], str], tuple[str, ...]] = {}
        self.failures: dict[str, int] = {}  # kind → count, for tests and metrics

    @classmethod
    def from_settings(cls, url: str | None, model: str | None) -> LlmSummarizer | None:
        return cls(url, model) if url and model else None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def summarize(
        self, story: Story, already_sent: Sequence[str], language: str
    ) -> tuple[str, ...] | None:
        """The story's summary from the endpoint, or None: then the caller keeps the extractive one."""
        if self._clock() < self._resting_until:
            return None
        try:
            return await self._ask(story, already_sent, language)
        except LlmFailure as failure:
            self.failures[failure.kind] = self.failures.get(failure.kind, 0) + 1
            if failure.kind not in self._logged:
                self._logged.add(failure.kind)
                log.warning(
                    "LLM summaries: %s from %s; stories fall back to the extractive summary "
                    "(logged once per kind of failure)",
                    failure,
                    self.url,
                )
            if failure.kind != "malformed":  # the endpoint is down or overloaded: let it be for a while
                self._resting_until = self._clock() + self.retry_after
            return None

    async def _ask(self, story: Story, already_sent: Sequence[str], language: str) -> tuple[str, ...]:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        body = {
            "model": self.model,
            "messages": prompt(story, already_sent, language),
            "temperature": 0.2,
            "max_tokens": MAX_TOKENS,
            "stream": False,
        }
        try:
            async with self._session.post(
                self.url, json=body, timeout=aiohttp.ClientTimeout(total=self.timeout)
            ) as response:
                if response.status != 200:
                    raise LlmFailure(f"HTTP {response.status}", response.reason or "")
                try:
                    payload = await response.json(content_type=None)
                except ValueError as error:
                    raise LlmFailure("malformed", f"not JSON ({error})") from None
        except TimeoutError:
            raise LlmFailure("timeout", f"no answer in {self.timeout:g} s") from None
        except aiohttp.ClientError as error:
            raise LlmFailure("unreachable", type(error).__name__) from None
        return parse_answer(payload)

    async def rewrite(
        self,
        composed: ComposedDigest,
        catalog: Catalog,
        language: str,
        already_sent: Mapping[int, Sequence[str]],
    ) -> ComposedDigest:
        """The digest with each multi-report story's summary from the endpoint where it answered;
        `already_sent`: story id → the sentences the chat was sent of it (the composer's request)."""
        stories = {item.story_id: item.story for item in catalog.stories}
        entries: list[DigestEntry] = []
        for entry in composed.entries:
            story = stories.get(entry.story_id)
            if story is None or len(story.article_ids) < 2 or not story.sentences.sentences:
                entries.append(entry)
                continue
            summary = await self._cached(
                entry.story_id, story, tuple(already_sent.get(entry.story_id, ())), language
            )
            entries.append(
                entry if not summary else replace(entry, digest=replace(entry.digest, summary=summary))
            )
        return replace(composed, entries=tuple(entries))

    async def _cached(
        self, story_id: int, story: Story, already: tuple[str, ...], language: str
    ) -> tuple[str, ...] | None:
        """Chats new to a story, in one language, share one answer; so do chats with the same history."""
        key = (story_id, story.article_ids, already, language)
        if key in self._cache:
            return self._cache[key]
        summary = await self.summarize(story, already, language)
        if summary:
            if len(self._cache) >= CACHE_SIZE:
                self._cache.clear()
            self._cache[key] = summary
        return summary
