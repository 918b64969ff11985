"""One article understood for /who: its people, organisations and places, their roles and their words.

``analyze_article`` is a pure top-level function, safe to call in a spawned worker process: models load
lazily once per process. All offsets index ``article_text(title, text)``.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from bot.analysis import english
from bot.analysis.entities import Entity, NamedSpan, ParsedText, Token, group_entities, parse_russian
from bot.analysis.language import detect_lang
from bot.analysis.quotes import Quote, attribute_quotes
from bot.analysis.roles import Role, RoleSense, RoleSpan, lemma, role_sense, russian_roles
from bot.analysis.speech_verbs import RUSSIAN_SPEECH_VERBS


@dataclass(frozen=True)
class ArticleAnalysis:
    """Everything /who needs from one article; storage persists it as is."""

    lang: str
    entities: tuple[Entity, ...]
    roles: tuple[Role, ...]
    quotes: tuple[Quote, ...]
    sentences: tuple[tuple[int, int], ...]

    def entity(self, key: str) -> Entity | None:
        return next((e for e in self.entities if e.key == key), None)

    def roles_of(self, key: str) -> tuple[str, ...]:
        """Distinct titles of one entity in order of first appearance."""
        return tuple(dict.fromkeys(r.title for r in self.roles if r.entity_key == key))


def article_text(title: str, text: str) -> str:
    """The string the analysis indexes: the title as the first paragraph, then the body."""
    title = title.strip()
    return f"{title}\n\n{text}" if title else text


def _russian_speech_verb(token: Token) -> bool:
    return token.pos == "VERB" and lemma(token) in RUSSIAN_SPEECH_VERBS


def _russian_case(parsed: ParsedText) -> dict[tuple[int, int], str | None]:
    """The grammatical case of each name, read off its last word: tells subjects from objects."""
    starts = [t.start for t in parsed.tokens]
    cases: dict[tuple[int, int], str | None] = {}
    for span in parsed.spans:
        last = bisect.bisect_left(starts, span.stop) - 1
        word = parsed.tokens[last] if last >= 0 else None
        cases[(span.start, span.stop)] = word.feat("Case") if word and word.start >= span.start else None
    return cases


def _roles(role_spans: Sequence[RoleSpan], span_keys: dict[tuple[int, int], str]) -> tuple[Role, ...]:
    roles: dict[tuple[str, str, int], Role] = {}
    for rs in role_spans:
        key = span_keys.get((rs.span.start, rs.span.stop))
        if key is not None:
            roles.setdefault((key, rs.title, rs.start), Role(key, rs.title, rs.sentence, rs.start, rs.stop))
    return tuple(sorted(roles.values(), key=lambda r: r.start))


def analyze_article(
    title: str, text: str, lang: str | None = None, parsed: ParsedText | None = None
) -> ArticleAnalysis:
    """Entities with every mention, roles in the nominative and attributed quotes of one article.
    ``parsed``: ``parse_russian(article_text(title, text))`` when the caller has it already."""
    full = article_text(title, text)
    lang = lang or detect_lang(full)
    if lang == "ru":
        parsed = parsed or parse_russian(full)
        role_spans = russian_roles(parsed)
        cases = _russian_case(parsed)
        sense_of = role_sense
        is_speech_verb = _russian_speech_verb

        def case_of(span: NamedSpan) -> str | None:
            return cases.get((span.start, span.stop))
    else:
        parsed = english.parse_english(full)
        role_spans = english.english_roles(parsed)
        sense_of = english.english_role_sense
        is_speech_verb = english.is_speech_verb
        case_of = english.case_of

    entities = group_entities(parsed.spans)
    span_keys = {(m.start, m.stop): e.key for e in entities for m in e.mentions}
    roles = _roles(role_spans, span_keys)
    senses: dict[str, list[RoleSense]] = defaultdict(list)
    for rs in role_spans:
        key = span_keys.get((rs.span.start, rs.span.stop))
        if key is not None:
            senses[key].append(rs.sense)
    quotes = attribute_quotes(parsed, entities, senses, sense_of, is_speech_verb, case_of)
    return ArticleAnalysis(lang, entities, roles, quotes, parsed.sentences)
