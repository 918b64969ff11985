"""Everything the bot learns from one article, computed in a worker process and stored once.

Entities, roles and quotes (for /who) and dated events (for /timeline) come from one pass, so a
reindex of the archive runs the models once per article.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from datetime import date

from bot.analysis.article import ArticleAnalysis, analyze_article, article_text
from bot.analysis.entities import ParsedText, parse_russian_many
from bot.analysis.events import Event, extract_events
from bot.analysis.name_forms import name_forms

log = logging.getLogger(__name__)

# Bump when the analysis changes in a way stored results should be recomputed (python -m bot reindex).
# 2: event clauses keep their complement ("анонсировал, что ..."); English places and organisations.
# 3: roles from the dependency tree (pairs, objects, plural titles over lists, predicates); English people
#    from spaCy's NER corrected by rules (english_ner).
# 4: one person across Russian and English articles ("Donald Trump"/"Дональд Трамп": people are filed under a
#    surname key common to both scripts, so stored keys change); this round's smaller changes (past
#    participles date in the past, English honorifics and vetoes) reach the stored archive with it.
# 5: the Arabic article is no part of a surname ("al-Assad"/"Assad", «аль-Багдади»/«Багдади»: stored keys
#    change) and English reads "Bashar al-Assad" whole; with it, the word veto («Приобретай», «Саратовские»)
#    and superlative titles («лучший», not «наихороший») reach stored archives.
# 6: Russian names the dictionary cannot inflect are read in the nominative from their case ending ("Доминика
#    Рааба" is Доминик Рааб, "Павла Мамаева" Павел Мамаев): stored display names change; with it, titles
#    go to their holder, not their owner ("пресс-секретаря Путина Дмитрия Пескова", "советника Трампа"), and a
#    person named by a first name alone is filed under a key of its own kind (identity.GIVEN_NAME_KEY); quotes
#    given by a pronoun go to a person of its sex; English agency staff lines name nobody; English given names
#    alone are given names.
# 7: a region named after its city («Тернопольщины») is a place, not a person; a surname alone joins the
#    person whose name in its own script has it ("Assad" alone: Bashar al-Assad, shown as «Башар Асад»), so
#    stored lone surnames merge when the archive is analysed again.
# 8: a post's or a comment's time stamp ("Гость, 01 ноября 2019 17:38…") and a photo credit are no events,
#    nor English "fall"/"spring" as a noun or a verb ("the fall of Kurdish-held territory");
#    "Zelenskiy" and "Zelenskyy" are "Zelensky" (a stored archive's people merge when analysed again); an
#    English run ending in a company's legal form or an outlet's name ("Felcra Bhd", "Plymouth Live") is no
#    person; /who finds a name by a part of a hyphenated word and a Latin word without its accents
#    ("Baghdadi", "Erdogan": the words stored with each entity).
ANALYSIS_VERSION = 8

# The analysis reads at most this many characters of a text; the article is stored and searched whole.
MAX_ANALYSED_CHARS = 20_000

# The end of a sentence: its mark, any closing quotes or brackets, then a space.
_SENTENCE_END = re.compile(r"[.!?…][»\"')\]]*\s")


@dataclass(frozen=True)
class ArticleInput:
    article_id: int
    title: str
    text: str
    lang: str
    published: date  # in the configured time zone: what "вчера" is relative to


@dataclass(frozen=True)
class Understanding:
    article_id: int
    analysis: ArticleAnalysis | None
    events: tuple[Event, ...] = ()
    name_forms: tuple[tuple[str, frozenset[str]], ...] = ()  # entity key → forms its name can take
    error: str | None = None  # the analysis failed on this article; it is stored without entities


def analysed_text(text: str, limit: int = MAX_ANALYSED_CHARS) -> str:
    """The part of an article the analysis reads, so that one article costs a bounded time and memory: the
    models' cost grows faster than the text (a 5 MB Russian text was not analysed after 120 s and had
    taken 5.0 GB; cut to 20,000 characters: 1.3 s of CPU, 194 MB, models included; docs/PERFORMANCE.md).
    A longer text is cut at its last paragraph break, else sentence end, else space in the second half
    of `limit`. Always a prefix, so the analysis offsets index the stored text as for short articles."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    floor = limit // 2
    cut = head.rfind("\n", floor)
    if cut < 0:
        ends = [m.end() for m in _SENTENCE_END.finditer(head, floor)]
        cut = ends[-1] if ends else head.rfind(" ", floor)
    return head[:cut].rstrip() if cut > 0 else head


def understand(item: ArticleInput, parsed: ParsedText | None = None) -> Understanding:
    """`parsed`: the parse of `article_text(item.title, analysed_text(item.text))` when the caller has it."""
    item = replace(item, text=analysed_text(item.text))
    analysis = analyze_article(item.title, item.text, item.lang, parsed)
    title = item.title.strip()
    offset = len(title) + 2 if title else 0  # analysis offsets index title + "\n\n" + text
    body_spans, title_spans = [], []
    for entity in analysis.entities:
        for mention in entity.mentions:
            if mention.start >= offset:
                body_spans.append((mention.start - offset, mention.stop - offset, entity.key))
            elif mention.stop <= len(title):
                title_spans.append((mention.start, mention.stop, entity.key))
    events = extract_events(title, item.text, item.published, analysis.lang, body_spans, title_spans)
    forms = tuple((e.key, name_forms(e.name)) for e in analysis.entities)
    return Understanding(item.article_id, analysis, tuple(events), forms)


def understand_batch(items: list[ArticleInput]) -> list[Understanding]:
    """A batch per worker call (fewer round trips); one article's failure does not lose the others.
    Russian articles are parsed together (NER decodes a batch at once)."""
    items = [replace(item, text=analysed_text(item.text)) for item in items]
    parsed: dict[int, ParsedText] = {}
    russian = [item for item in items if item.lang == "ru"]
    try:
        texts = [article_text(item.title, item.text) for item in russian]
        parsed = {id(item): p for item, p in zip(russian, parse_russian_many(texts), strict=True)}
    except Exception:  # an odd text: each article is parsed alone below, and only that one fails
        log.warning("parsing a batch failed; parsing its %d Russian articles one by one", len(russian))
    results = []
    for item in items:
        try:
            results.append(understand(item, parsed.get(id(item))))
        except Exception as exc:  # any failure of the models on odd text
            log.exception("analysis failed for article %s", item.article_id)
            results.append(Understanding(item.article_id, None, error=f"{type(exc).__name__}: {exc}"))
    return results
