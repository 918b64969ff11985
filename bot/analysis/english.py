"""English names, titles and speech: people from spaCy's NER corrected by rules (``english_ner``),
places and organisations and titles by rules.

Names are runs of capitalised words; a title in front of a name ("Russian Foreign Minister Sergei
Lavrov") is split off as the person's role; all-caps words are organisations; a curated list of
countries and capitals marks places. Rules alone took sentence openers, products, clubs, works and
nationality adjectives for people ("It Lauer", "MacBook Air", "Aston Villa", "North Korean").
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from bot.analysis import english_ner
from bot.analysis.english_words import (
    HONORIFICS,
    KNOWN_ORGS,
    MULTIWORD_PLACES,
    NATIONALITIES,
    NOT_NAMES,
    NOT_PERSON_HEADS,
    ORG_WORDS,
    PLACE_FIRST_NAMES,
    PLACE_HEADS,
    PLACES,
    TITLE_HEADS,
    TITLE_WORDS,
)
from bot.analysis.entities import (
    ALIAS_INDEX,
    LOC,
    ORG,
    PER,
    NamedSpan,
    ParsedText,
    Token,
    credit_regions,
    fold,
    paragraph_sentences,
    sentence_index,
)
from bot.analysis.quotes import ENGLISH_SPEECH_VERBS
from bot.analysis.roles import RoleSense, RoleSpan

_TOKEN_RE = re.compile(
    r"(?:[A-Z]\.){2,}|[A-Z]\.(?=\s+[A-Z])|[A-Za-z]+(?:['’][A-Za-z]+)*(?:-[A-Za-z]+)*|\d+(?:[.,]\d+)*|[^\w\s]"
)

_CONNECTORS = frozenset({"of", "de", "van", "von", "bin", "al", "la", "le", "du", "da", "der", "del"})


def _is_capitalised(word: str) -> bool:
    return word[:1].isupper() and any(ch.isalpha() for ch in word)


def _strip_possessive(word: str) -> str:
    return re.sub(r"['’]s$", "", word)


def is_speech_verb(token: Token) -> bool:
    return token.text.lower() in ENGLISH_SPEECH_VERBS


def case_of(_span: NamedSpan) -> str | None:
    """English names carry no case; every name can be a subject."""
    return None


def _tokens(text: str, sentences: Sequence[tuple[int, int]]) -> list[Token]:
    tokens: list[Token] = []
    for start, stop in sentences:
        for m in _TOKEN_RE.finditer(text, start, stop):
            word = m.group(0)
            pos = (
                "VERB"
                if word.lower() in ENGLISH_SPEECH_VERBS
                else ("PROPN" if _is_capitalised(word) else "X")
            )
            tokens.append(Token(m.start(), m.end(), word, pos))
    return tokens


# "New" opens a sentence as often as a name; it belongs to the name when a place of these follows it.
_NEW_PLACES = frozenset(p.split()[1] for p in MULTIWORD_PLACES if p.startswith("new "))


def _name_word(tokens: Sequence[Token], i: int) -> bool:
    word = tokens[i].text
    if not _is_capitalised(word):
        return False
    if word == "New":
        return i + 1 < len(tokens) and tokens[i + 1].text.lower() in _NEW_PLACES
    return word.lower() not in NOT_NAMES | HONORIFICS - TITLE_WORDS


def _runs(tokens: Sequence[Token], sentences: Sequence[tuple[int, int]]) -> list[list[Token]]:
    """Runs of capitalised words within a sentence, joined by "of"/"de"/"bin"."""
    runs: list[list[Token]] = []
    current: list[Token] = []
    for i, token in enumerate(tokens):
        if _name_word(tokens, i) or (
            current
            and token.text.lower() in _CONNECTORS
            and i + 1 < len(tokens)
            and _is_capitalised(tokens[i + 1].text)
        ):
            if current and sentence_index(sentences, token.start) != sentence_index(
                sentences, current[-1].start
            ):
                runs.append(current)
                current = []
            current.append(token)
        else:
            if current:
                runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


def _split_title(run: list[Token]) -> tuple[list[Token], list[Token]]:
    """A capitalised run split into its leading title and the name after it."""
    cut = 0
    for i, token in enumerate(run):
        word = token.text.lower().rstrip(".")
        if word in TITLE_WORDS or word in NATIONALITIES or word in PLACES or fold(word) in ALIAS_INDEX:
            if any(
                t.text.lower().rstrip(".") in TITLE_HEADS | HONORIFICS for t in run[: i + 1]
            ) or i + 1 < len(run):
                cut = i + 1
            continue
        if word in _CONNECTORS and cut == i:
            # "Secretary of State Marco Rubio": "of State" belongs to the title.
            if i + 2 < len(run):
                cut = i + 2
            continue
        if cut and i < cut:
            continue
        break
    title = run[:cut]
    if not any(t.text.lower().rstrip(".") in TITLE_HEADS | HONORIFICS for t in title):
        return [], run
    return title, run[cut:]


def _classify(words: list[str]) -> str | None:
    joined = fold(" ".join(words))
    if joined in ALIAS_INDEX:
        return ALIAS_INDEX[joined][0]
    if joined in PLACES or joined in MULTIWORD_PLACES:
        return LOC
    if joined in KNOWN_ORGS or any(w.lower() in ORG_WORDS for w in words):
        return ORG
    last = words[-1].lower()
    if len(words) > 1 and last in PLACE_HEADS:
        return LOC
    if len(words) > 1 and last in NOT_PERSON_HEADS:
        return None
    first = words[0].lower()
    if len(words) > 1 and first in PLACES and first not in PLACE_FIRST_NAMES:
        return ORG  # "Manchester United", "Oxford Economics": a place's club or company
    if len(words) == 1 and words[0].isupper() and len(words[0].replace(".", "")) >= 2:
        return ORG
    if 2 <= len(words) <= 4 and all(_is_capitalised(w) or w.lower() in _CONNECTORS for w in words):
        return PER
    return None


def _headline_sentences(tokens: Sequence[Token], sentences: Sequence[tuple[int, int]]) -> set[int]:
    """Sentences in title case without a closing full stop: headlines ("Python Adopts a Release Cycle")."""
    words: dict[int, list[str]] = {}
    closed: set[int] = set()
    for token in tokens:
        index = sentence_index(sentences, token.start)
        if token.text in {".", "!", "?"}:
            closed.add(index)
        elif token.text[:1].isalpha() and token.text.lower() not in NOT_NAMES:
            words.setdefault(index, []).append(token.text)
    return {i for i, ws in words.items() if i not in closed and english_ner.title_case(ws)}


def _shouting_sentences(tokens: Sequence[Token], sentences: Sequence[tuple[int, int]]) -> set[int]:
    """Sentences written in capitals ("TRUMP CONGRATULATES NATS ON WORLD SERIES CROWN"), as linked headlines
    inside articles are: a word in capitals there is no evidence of an acronym."""
    words: Counter[int] = Counter()
    capitals: Counter[int] = Counter()
    for token in tokens:
        if token.text[:1].isalpha() and len(token.text) > 1:
            index = sentence_index(sentences, token.start)
            words[index] += 1
            capitals[index] += token.text.isupper()
    return {i for i, n in words.items() if n >= 3 and capitals[i] >= 0.7 * n}


def parse_english(text: str) -> ParsedText:
    """Sentences, words and names of an English text (credits and bylines dropped from the names)."""
    sentences = paragraph_sentences(text)
    tokens = _tokens(text, sentences)
    credits = credit_regions(text)
    sentence_starts = {start for start, _ in sentences}
    spans: list[NamedSpan] = []
    singles: list[tuple[Token, bool]] = []
    headline = _headline_sentences(tokens, sentences)
    shouting = _shouting_sentences(tokens, sentences)
    for run in _runs(tokens, sentences):
        title, name = _split_title(run)
        if not name or any(a <= name[0].start < b for a, b in credits):
            continue
        words = [_strip_possessive(t.text) for t in name]
        kind = PER if title and not _classify(words) else _classify(words)
        if kind == PER and (
            sentence_index(sentences, name[0].start) in headline
            or any(w.isupper() and len(w) > 1 for w in words)
        ):
            # Headlines capitalise every word and shouting captions every letter: no evidence of a name.
            continue
        if (
            kind == ORG
            and len(words) == 1
            and words[0].isupper()
            and sentence_index(sentences, name[0].start) in shouting
            and fold(words[0]) not in ALIAS_INDEX
            and fold(words[0]) not in KNOWN_ORGS
        ):
            continue  # "BUFFOON' TRUMP" in a shouted headline is not an organisation called TRUMP
        if kind is None:
            if len(name) == 1:
                singles.append((name[0], name[0].start in sentence_starts))
            continue
        if kind == PER and len(words) == 1 and fold(words[0]) in NOT_NAMES:
            continue
        start, stop = name[0].start, name[-1].start + len(words[-1])
        normal = " ".join(words)
        first, last = (
            (words[0], words[-1]) if kind == PER and len(words) > 1 else ("", normal if kind == PER else "")
        )
        spans.append(
            NamedSpan(
                start, stop, text[start:stop], kind, normal, sentence_index(sentences, start), first, last
            )
        )
    # People come from spaCy's NER and the learned decision (english_ner); the rules keep places and
    # organisations that overlap none of them.
    people = [(a, b) for a, b in english_ner.people(text) if not any(x <= a < y for x, y in credits)]
    spans = [s for s in spans if s.kind != PER and not any(s.start < b and a < s.stop for a, b in people)]
    for start, stop in people:
        words = text[start:stop].split()
        # The display name is first + last: particles open the surname ("Robert | De Niro"), and the
        # words before the last are the given names ("Kim Jong | Un").
        cut = next(
            (k for k, w in enumerate(words) if k and w.lower() in english_ner.CONNECTORS), len(words) - 1
        )
        if len(words) == 1 and english_ner.lone_given_name(words[0]):
            cut = 1  # "John" alone: a given name, which joins the article's John Smith, or stands apart
        spans.append(
            NamedSpan(
                start,
                stop,
                text[start:stop],
                PER,
                " ".join(words),
                sentence_index(sentences, start),
                " ".join(words[:cut]),
                " ".join(words[cut:]),
            )
        )
    spans.sort(key=lambda s: s.start)
    return ParsedText(text, "en", tuple(sentences), tuple(tokens), tuple(spans))


def english_role_sense(tokens: Sequence[Token], _spans: Sequence[NamedSpan] = ()) -> RoleSense | None:
    """Head title word and places of an English title: "Russian Foreign Minister" → (minister, {россия})."""
    heads = [t.text.lower().rstrip(".") for t in tokens if t.text.lower().rstrip(".") in TITLE_HEADS]
    if not heads:
        return None
    places: set[str] = set()
    for t in tokens:
        word = _strip_possessive(t.text).lower()
        if word in NATIONALITIES:
            places.add(NATIONALITIES[word])
        elif fold(word) in ALIAS_INDEX and ALIAS_INDEX[fold(word)][0] == LOC:
            places.add(fold(ALIAS_INDEX[fold(word)][1]))
        elif word in PLACES:
            places.add(word)
    return RoleSense(heads[-1], frozenset(places))


_LEADING_ARTICLE_RE = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)


def english_roles(parsed: ParsedText) -> list[RoleSpan]:
    """Titles before names ("Russian Foreign Minister Sergei Lavrov", "foreign minister Sergei Lavrov")
    and appositions after them ("Sergei Lavrov, Russia's foreign minister,")."""
    text, tokens = parsed.text, parsed.tokens
    index = {t.start: i for i, t in enumerate(tokens)}
    found: list[RoleSpan] = []
    for span in parsed.spans:
        if span.kind != PER or span.start not in index:
            continue
        i = index[span.start]
        begin = i
        sentence_start = parsed.sentences[span.sentence][0]
        while (
            begin > 0
            and tokens[begin - 1].start >= sentence_start
            and (
                tokens[begin - 1].text.lower().rstrip(".") in TITLE_WORDS
                or tokens[begin - 1].text.lower() in NATIONALITIES
                or _strip_possessive(tokens[begin - 1].text).lower() in PLACES | set(NATIONALITIES)
                or (
                    tokens[begin - 1].text.lower() in _CONNECTORS
                    and begin - 1 > 0
                    and tokens[begin - 2].text.lower().rstrip(".") in TITLE_WORDS
                )
            )
        ):
            begin -= 1
        phrase = list(tokens[begin:i])
        if phrase and phrase[-1].text.lower() in _CONNECTORS:
            phrase = []
        sense = english_role_sense(phrase) if phrase else None
        if sense is None:
            # Apposition: "Sergei Lavrov, Russia's foreign minister, said".
            j = next((k for k, t in enumerate(tokens) if t.start >= span.stop), len(tokens))
            if j < len(tokens) and tokens[j].text == ",":
                end = j + 1
                while (
                    end < len(tokens) and tokens[end].text not in {",", ".", ";", "(", ")"} and end - j <= 8
                ):
                    end += 1
                candidate = list(tokens[j + 1 : end])
                candidate_sense = english_role_sense(candidate)
                if candidate and candidate_sense and not any(is_speech_verb(t) for t in candidate):
                    phrase, sense = candidate, candidate_sense
        if not phrase or sense is None or all(t.text.lower() in HONORIFICS for t in phrase):
            continue
        title = _LEADING_ARTICLE_RE.sub("", text[phrase[0].start : phrase[-1].stop])
        found.append(RoleSpan(span, title, phrase[0].start, phrase[-1].stop, span.sentence, sense))
    return found
