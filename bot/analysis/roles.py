"""Titles and roles of people, as the article states them, normalised to the nominative.

Russian news names a person's role in an apposition next to the name: before it ("глава МИДа Сергей
Лавров", "с российским лидером Владимиром Путиным") or after it ("Сергей Лавров, глава МИД России,").
The role noun agrees in case with the name, which tells it from genitive dependents
("помощник российского президента Юрий Ушаков": "президента" is genitive, the role is "помощник").
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

from bot.analysis.entities import (
    ALIAS_INDEX,
    LOC,
    PER,
    NamedSpan,
    ParsedText,
    Token,
    canonical_name,
    fold,
    normalize_phrase,
    russian_models,
)


@dataclass(frozen=True)
class Role:
    """A title the article gives an entity, where it says so."""

    entity_key: str
    title: str
    sentence: int
    start: int
    stop: int


@dataclass(frozen=True)
class RoleSense:
    """What a title means for matching a reference: its head noun and the places it is tied to.
    "президент Белоруссии" and "белорусский президент" both mean (президент, {белоруссия})."""

    head: str
    places: frozenset[str]


@dataclass(frozen=True)
class RoleSpan:
    """A role found next to a name span, before the span is linked to its entity."""

    span: NamedSpan
    title: str
    start: int
    stop: int
    sentence: int
    sense: RoleSense


# Lemmas of nouns that name a position or occupation. Animate common nouns outside the list count too
# when they agree with the name, so the list mainly guards the frequent ones the tagger may mislabel.
# fmt: off
ROLE_NOUNS = frozenset(
    [
        "президент", "вице-президент", "премьер", "премьер-министр", "вице-премьер", "министр", "замминистра",
        "глава", "лидер", "помощник", "спецпосланник", "посланник", "спецпредставитель", "представитель",
        "пресс-секретарь", "секретарь", "госсекретарь", "генсек", "председатель", "зампред", "сопредседатель",
        "директор", "гендиректор", "губернатор", "мэр", "депутат", "сенатор", "спикер", "вице-спикер",
        "посол", "советник", "канцлер", "король", "королева", "принц", "принцесса", "монарх",
        "премьер-министр", "командующий", "командир", "начальник", "руководитель", "заместитель", "замглавы",
        "судья", "прокурор", "генпрокурор", "адвокат", "журналист", "корреспондент", "редактор", "главред",
        "обозреватель", "эксперт", "аналитик", "политолог", "экономист", "основатель", "сооснователь",
        "владелец", "совладелец", "акционер", "бизнесмен", "предприниматель", "миллиардер", "член",
        "кандидат", "координатор", "уполномоченный", "омбудсмен", "патриарх", "митрополит", "епископ", "папа",
        "муфтий", "генерал", "маршал", "адмирал", "полковник", "тренер", "игрок", "футболист", "хоккеист",
        "теннисист", "вратарь", "нападающий", "защитник", "капитан", "певец", "певица", "актер", "актриса",
        "режиссер", "писатель", "астронавт", "космонавт", "фотограф", "ведущий", "блогер", "оппозиционер",
        "активист", "парламентарий", "дипломат", "министр-президент", "шеф", "экс-президент", "экс-премьер",
        "экс-глава", "аятолла", "шейх", "эмир", "султан", "президент-элект",
    ]
)
# fmt: on

# Animate nouns that are not roles: "люди", "житель", "гражданин" name groups, not a person's title.
# fmt: off
NOT_ROLES = frozenset(
    [
        "человек", "люди", "житель", "гражданин", "гражданка", "мужчина", "женщина", "ребенок", "сын", "дочь",
        "отец", "мать", "жена", "муж", "брат", "сестра", "друг", "коллега", "сторонник", "противник",
        "участник", "пользователь", "читатель", "зритель", "пассажир", "господин", "госпожа",
        "жительница", "уроженец", "уроженка", "мальчик", "девочка", "девушка", "парень", "школьник",
        "школьница", "пенсионер", "пенсионерка", "бабушка", "дедушка", "внук", "внучка", "супруг", "супруга",
    ]
)
# fmt: on

# Adjectives that stand for a place in a title: "белорусский президент" is the president of Belarus.
# fmt: off
PLACE_ADJECTIVES = {
    "российский": "Россия", "белорусский": "Белоруссия", "украинский": "Украина",
    "американский": "США", "британский": "Великобритания", "французский": "Франция",
    "немецкий": "Германия", "германский": "Германия", "китайский": "Китай", "японский": "Япония",
    "турецкий": "Турция", "израильский": "Израиль", "иранский": "Иран", "казахстанский": "Казахстан",
    "польский": "Польша", "итальянский": "Италия", "индийский": "Индия", "пакистанский": "Пакистан",
    "грузинский": "Грузия", "армянский": "Армения", "азербайджанский": "Азербайджан",
    "киргизский": "Киргизия", "узбекский": "Узбекистан", "молдавский": "Молдавия",
    "европейский": "Евросоюз", "московский": "Москва", "киевский": "Киев", "венгерский": "Венгрия",
    "сирийский": "Сирия", "египетский": "Египет", "саудовский": "Саудовская Аравия",
    "финский": "Финляндия", "шведский": "Швеция", "норвежский": "Норвегия", "эстонский": "Эстония",
    "латвийский": "Латвия", "литовский": "Литва", "канадский": "Канада", "бразильский": "Бразилия",
}
# fmt: on

_KNOWN_PLACES = frozenset(fold(place) for place in PLACE_ADJECTIVES.values())

# Words allowed between a role noun and the name it describes: dependents of the role
# ("министр иностранных дел Белоруссии", "спецпосланник по Украине", "глава «Газпрома»").
_GAP_PREPOSITIONS = frozenset({"по", "в", "во", "при", "на", "из", "и", "от", "для"})
_GAP_PUNCT = frozenset({"«", "»", '"', "„", "“", "”"})
_MAX_GAP = 9


def lemma(token: Token) -> str:
    forms = russian_models().vocab(fold(token.text))
    wanted = "NOUN" if token.pos == "PROPN" else token.pos
    for form in forms:
        if ("NOUN" if form.pos == "PROPN" else form.pos) == wanted:
            return fold(form.normal)
    return fold(forms[0].normal) if forms else fold(token.text)


def _role_lemma(word: str) -> bool:
    # Compounds are roles when a part is: "генерал-майор", "экс-премьер", "вице-спикер".
    return word in ROLE_NOUNS or any(
        part in ROLE_NOUNS for part in word.split("-")[1:] + word.split("-")[:1] if "-" in word
    )


def is_role_noun(token: Token) -> bool:
    """A noun naming a position: from the list, or an animate common noun the dictionary knows as a noun
    (the tagger reads a capitalised "Министр" as a proper noun, and some participles as nouns)."""
    if token.pos not in ("NOUN", "PROPN") or token.feat("Number") == "Plur":
        return False  # a person's title is singular: "художники" names a group
    word = lemma(token)
    if _role_lemma(word):
        return True
    if token.pos != "NOUN" or token.feat("Animacy") != "Anim" or word in NOT_ROLES or len(word) <= 3:
        return False
    return any(form.pos == "NOUN" and "anim" in form.tag for form in russian_models().vocab(fold(token.text)))


def place_of(token: Token, spans_here: Sequence[NamedSpan]) -> str | None:
    """The canonical place a word stands for: a place name ("России") or its adjective ("российский")."""
    for span in spans_here:
        if span.start <= token.start < span.stop and span.kind == LOC:
            return fold(canonical_name(span.kind, span.normal)[1])
    if token.pos == "ADJ":
        place = PLACE_ADJECTIVES.get(lemma(token))
        if place:
            return fold(place)
    if token.pos == "PROPN" or token.text[:1].isupper():
        word = lemma(token)
        if word in ALIAS_INDEX and ALIAS_INDEX[word][0] == LOC:
            return fold(ALIAS_INDEX[word][1])
        if word in _KNOWN_PLACES:
            return word
    return None


def role_sense(tokens: Sequence[Token], spans_here: Sequence[NamedSpan] = ()) -> RoleSense | None:
    """The head noun and places of a role phrase, or None when it has no noun."""
    head = next((t for t in tokens if t.pos == "NOUN"), None)
    if head is None:
        return None
    places = frozenset(p for t in tokens if (p := place_of(t, spans_here)))
    return RoleSense(lemma(head), places)


def _case(token: Token) -> str | None:
    return token.feat("Case")


def _inside_name(token: Token, spans: Sequence[NamedSpan]) -> NamedSpan | None:
    for span in spans:
        if span.start <= token.start < span.stop:
            return span
    return None


def _role_head_before(
    parsed: ParsedText, end: int, name_case: str | None, sentence_start: int, spans: Sequence[NamedSpan]
) -> int | None:
    """The index of the role noun heading a title that ends right before token ``end``: walk back over
    its dependents to a role noun in the name's case, not itself a dependent of a preposition."""
    tokens = parsed.tokens
    i = end - 1
    gap = 0
    head: int | None = None
    while i >= 0 and gap <= _MAX_GAP and tokens[i].start >= sentence_start:
        token = tokens[i]
        other = _inside_name(token, spans)
        if other is not None:
            if other.kind == PER or head is not None:
                break
        elif is_role_noun(token) and (_case(token) == name_case or name_case is None):
            before = _skip_adjectives(tokens, i, sentence_start)
            if before >= 0 and fold(tokens[before].text) in _GAP_PREPOSITIONS:
                pass  # "кандидат в президенты": the role noun depends on a preposition
            else:
                head = i
                # "полпреда президента РФ": a role noun right before another in the same case governs it.
                if before >= 0 and is_role_noun(tokens[before]) and _case(tokens[before]) == _case(token):
                    i = before
                    continue
                break
        elif head is not None:
            break
        elif (
            (token.pos in ("NOUN", "PROPN") and _case(token) not in ("Nom", "Acc"))
            or token.text in _GAP_PUNCT
            or token.pos == "ADJ"
            or fold(token.text) in _GAP_PREPOSITIONS
            or token.pos == "NUM"
        ):
            pass
        else:
            break
        i -= 1
        gap += 1
    return head


def _skip_adjectives(tokens: Sequence[Token], index: int, sentence_start: int) -> int:
    i = index - 1
    while i >= 0 and tokens[i].start >= sentence_start and tokens[i].pos == "ADJ":
        i -= 1
    return i


def _roles_before(
    parsed: ParsedText, span: NamedSpan, first: int, spans: Sequence[NamedSpan]
) -> list[RoleSpan]:
    """Titles ending right before a name, stacked ones included: "лидер Меджлиса, народный депутат
    Украины Мустафа Джемилев", "представитель вооруженных сил полковник Сансерн Каевкамнерд"."""
    tokens = parsed.tokens
    name_tokens = [t for t in tokens[first:] if t.start < span.stop]
    name_case = _case(name_tokens[-1]) if name_tokens else None
    sentence_start = parsed.sentences[span.sentence][0]
    found: list[RoleSpan] = []
    end = first
    while len(found) < 3:
        head = _role_head_before(parsed, end, name_case, sentence_start, spans)
        if head is None:
            break
        role = _make_role(parsed, span, head, end, spans)
        found.append(role)
        begin = next(k for k in range(head, -1, -1) if tokens[k].start == role.start)
        end = begin - 1 if begin > 0 and tokens[begin - 1].text == "," else begin
    return found


def _make_role(
    parsed: ParsedText, span: NamedSpan, head: int, stop: int, spans: Sequence[NamedSpan]
) -> RoleSpan:
    tokens = parsed.tokens
    begin = head
    # Adjectives agreeing with the role noun belong to the title: "российским лидером" → "российский лидер".
    while (
        begin > 0
        and tokens[begin - 1].pos == "ADJ"
        and _case(tokens[begin - 1]) == _case(tokens[head])
        and tokens[begin - 1].start >= parsed.sentences[span.sentence][0]
    ):
        begin -= 1
    phrase = list(tokens[begin:stop])
    while phrase and phrase[-1].text in _GAP_PUNCT - {"»"} | {","}:
        phrase.pop()
    return _role_span(parsed, span, phrase, tokens[head], spans)


def _role_span(
    parsed: ParsedText, span: NamedSpan, phrase: list[Token], head: Token, spans: Sequence[NamedSpan]
) -> RoleSpan:
    title = normalize_phrase(russian_models(), phrase)
    # A title is a common noun phrase: a capital is the sentence's, not the title's ("Президент Белоруссии").
    title = title[:1].lower() + title[1:] if not title[:2].isupper() else title
    sense = role_sense(phrase, spans) or RoleSense(lemma(head), frozenset())
    return RoleSpan(span, title, phrase[0].start, phrase[-1].stop, span.sentence, sense)


_APPOSITION_END = frozenset({",", ".", ";", ":", "(", ")", "—", "–", "!", "?"})


def _role_after(
    parsed: ParsedText, span: NamedSpan, after: int, spans: Sequence[NamedSpan]
) -> RoleSpan | None:
    """An apposition after the name: "Сергей Лавров, глава МИД России, ...", "Андрей Санников — бывший
    заместитель министра", also past a parenthesis with the original spelling "(Scott Horowitz),"."""
    tokens = parsed.tokens
    if after < len(tokens) and tokens[after].text == "(":
        close = next((k for k in range(after, min(after + 12, len(tokens))) if tokens[k].text == ")"), None)
        after = close + 1 if close is not None else after
    if after >= len(tokens) or tokens[after].text not in {",", "—", "–", "-"}:
        return None
    sentence_stop = parsed.sentences[span.sentence][1]
    begin = after + 1
    i = begin
    while i < len(tokens) and tokens[i].pos == "ADJ":
        i += 1
    if (
        i >= len(tokens)
        or tokens[i].stop > sentence_stop
        or not is_role_noun(tokens[i])
        or _case(tokens[i]) not in ("Nom", None)
    ):
        return None
    head = i
    end = head + 1
    while (
        end < len(tokens)
        and tokens[end].stop <= sentence_stop
        and tokens[end].text not in _APPOSITION_END
        and end - head <= _MAX_GAP
        and tokens[end].pos not in ("VERB", "AUX", "PRON", "SCONJ", "CCONJ", "PART")
        and not any(s.kind == PER and s.start <= tokens[end].start < s.stop for s in spans)
    ):
        end += 1
    return _role_span(parsed, span, list(tokens[begin:end]), tokens[head], spans)


def russian_roles(parsed: ParsedText) -> list[RoleSpan]:
    """Roles stated next to each person's name in a Russian article."""
    tokens = parsed.tokens
    starts = [t.start for t in tokens]
    spans = parsed.spans
    found: list[RoleSpan] = []
    for span in spans:
        if span.kind != PER:
            continue
        first = bisect.bisect_left(starts, span.start)
        after = bisect.bisect_left(starts, span.stop)
        roles = _roles_before(parsed, span, first, spans)
        after_role = _role_after(parsed, span, after, spans)
        if after_role is not None:
            roles.append(after_role)
        found.extend(role for role in roles if role.title)
    return found
