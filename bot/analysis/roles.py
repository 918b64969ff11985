"""Titles and roles of people, as the article states them, normalised to the nominative.

Russian news names a person's role in an apposition next to the name: before it ("глава МИДа Сергей
Лавров", "с российским лидером Владимиром Путиным") or after it ("Сергей Лавров, глава МИД России,").
The role noun agrees in case with the name, which tells it from genitive dependents
("помощник российского президента Юрий Ушаков": "президента" is genitive, the role is "помощник").
Where word order and case are not enough, the dependency tree of the sentence (``syntax.py``) says what
governs what: an apposition whose case the tagger misread ("министра ... Сейджи Маехары"), a plural title
over a list of names ("академики Владимир Захаров, Леонид Келдыш"), the extent of a title with its own
"и" ("министр связи и массовых коммуникаций"), and titles stated as predicates ("был вице-президентом",
"назначен послом", "занимает пост министра").
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from bot.analysis.syntax import Arc


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
        "миссис", "мистер", "мисс", "сэр", "мадам", "фрау", "герр",
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

# Titles held in someone's service. Right before one word of a name, that name is usually whose the title is
# ("советника Трампа", "в заявлении пресс-секретаря Трампа", "Адвокат Биби заявил"), not who holds it: the
# holder is named in full after it ("адвокат Карина Москаленко") or after the owner ("пресс-секретарь Путина
# Дмитрий Песков").
RELATIONAL_TITLES = frozenset(
    {
        "адвокат",
        "пресс-секретарь",
        "пресс-атташе",
        "советник",
        "советница",
        "помощник",
        "помощница",
        "представитель",
        "представительница",
        "соратник",
        "соратница",
        "сторонник",
        "сторонница",
        "заместитель",
        "юрист",
        "охранник",
        "телохранитель",
        "спичрайтер",
        "биограф",
    }
)

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
    # Asked of most words in every sentence with a name: the answer depends on these four things only.
    return _is_role_noun(token.text, token.pos, token.feat("Number"), token.feat("Animacy"))


_TITLE_PREFIXES = frozenset({"экс", "вице", "зам", "лже", "псевдо"})


def _prefixed_adjective(text: str) -> bool:
    """An adjective after a title prefix ("экс-художественным"): the dictionary guesses a noun for the
    unknown compound, but the word after the prefix is an adjective ("экс-участник" is a noun)."""
    prefix, _, tail = fold(text).partition("-")
    if not tail or prefix not in _TITLE_PREFIXES:
        return False
    forms = russian_models().vocab(tail)
    return bool(forms) and all(form.pos == "ADJ" for form in forms)


@lru_cache(maxsize=50_000)
def _is_role_noun(text: str, pos: str, number: str | None, animacy: str | None) -> bool:
    feats = tuple((k, v) for k, v in (("Animacy", animacy), ("Number", number)) if v is not None)
    token = Token(0, 0, text, pos, feats)
    if token.feat("Number") == "Plur":
        return False  # a person's title is singular: "художники" names a group
    if token.pos == "ADJ" and "-" in token.text:
        # "Экс-председатель" tagged as an adjective: a compound the dictionary reads only as a noun.
        forms = russian_models().vocab(fold(token.text))
        return bool(forms) and all(f.pos == "NOUN" for f in forms) and _role_lemma(fold(forms[0].normal))
    if token.pos not in ("NOUN", "PROPN"):
        return False
    word = lemma(token)
    if _role_lemma(word):
        return True
    if _prefixed_adjective(token.text):
        return False
    if word in NOT_ROLES or len(word) <= 3:
        return False
    forms = russian_models().vocab(fold(token.text))
    if token.pos == "PROPN":
        # "Император Японии Акихито": a capitalised common noun the tagger took for a name. Only a word the
        # dictionary knows solely as an animate common noun (no name, surname or place reading).
        return bool(forms) and all(
            form.pos == "NOUN"
            and "anim" in form.tag
            and not {"Name", "Surn", "Patr", "Geox", "Orgn"} & set(form.tag.grammemes)
            for form in forms
        )
    if token.feat("Animacy") != "Anim":
        return False
    return any(form.pos == "NOUN" and "anim" in form.tag for form in forms)


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
    parsed: ParsedText,
    end: int,
    name_case: str | None,
    sentence_start: int,
    spans: Sequence[NamedSpan],
    governor: int | None = None,
) -> int | None:
    """The index of the role noun heading a title that ends right before token ``end``: walk back over
    its dependents to a role noun in the name's case, not itself a dependent of a preposition.
    ``governor``: the noun the tree makes the name an apposition of; its case is trusted over the name's
    (the tagger often reads a foreign name in the nominative: "министра ... Сейджи Маехары")."""
    tokens = parsed.tokens
    i = end - 1
    gap = 0
    head: int | None = None
    # Two names in a row in the genitive: the first is the owner of the title before it, the second holds
    # it ("по словам пресс-секретаря Путина Дмитрия Пескова").
    holder = _inside_name(tokens[end], spans) if end < len(tokens) else None
    owner_before = (
        _owner_name_before(tokens, end, holder, spans) if holder is not None and holder.kind == PER else None
    )
    while i >= 0 and gap <= _MAX_GAP and tokens[i].start >= sentence_start:
        token = tokens[i]
        other = _inside_name(token, spans)
        # NER sometimes pulls a title into the organisation after it: "Замглавы Федеральной ... службы".
        pulled = other is not None and other.kind != PER and other.start == token.start and i < end - 1
        if other is not None and not (pulled and is_role_noun(token)):
            # A person in the genitive depends on the title: "адвокат Александра Кокорина Андрей Ромашов".
            owner = (
                other.kind == PER
                and _case(token) == "Gen"
                and (name_case not in (None, "Gen") or other is owner_before)
            )
            if (other.kind == PER and not owner) or head is not None:
                break
        elif is_role_noun(token) and (_case(token) == name_case or name_case is None or i == governor):
            before = _skip_adjectives(tokens, i, sentence_start)
            preposition = before >= 0 and fold(tokens[before].text) in _GAP_PREPOSITIONS - {"и"}
            if preposition and name_case in ("Nom", "Acc"):
                # "кандидат в президенты": the role noun depends on a preposition. An oblique name agreeing
                # with it is its apposition still: "принять от президента России Бориса Ельцина".
                pass
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


def _declined_genitive(span: NamedSpan, last: Token) -> bool:
    """A name visibly in the genitive: tagged so, and written otherwise than its nominative. The tagger
    reads an undeclined foreign name by its context ("жена рэпера Канье Уэста Ким Кардашьян": Ким
    Кардашьян is no genitive, and she, not Kanye, is the wife)."""
    return _case(last) == "Gen" and fold(span.text) != fold(span.normal)


def _owner_name_before(
    tokens: Sequence[Token], end: int, span: NamedSpan, spans: Sequence[NamedSpan]
) -> NamedSpan | None:
    """The person whose name ends right before token ``end`` (no punctuation between), both names visibly
    in the genitive: in "пресс-секретаря Путина Дмитрия Пескова" the owner of the title before them."""
    if end < 1 or end >= len(tokens):
        return None
    before = _inside_name(tokens[end - 1], spans)
    if before is None or before.kind != PER or before is span or tokens[end].start - before.stop > 1:
        return None
    last = bisect.bisect_left(tokens, span.stop, lo=end, key=lambda t: t.start) - 1
    if not (_declined_genitive(before, tokens[end - 1]) and _declined_genitive(span, tokens[last])):
        return None
    return before


def _owns_the_next_name(
    tokens: Sequence[Token], first: int, span: NamedSpan, spans: Sequence[NamedSpan]
) -> bool:
    """A name in the genitive right before another person's, also in the genitive, owns the title before it:
    in "пресс-секретаря Путина Дмитрия Пескова" the title is Peskov's, not Putin's."""
    after = bisect.bisect_left(tokens, span.stop, lo=first, key=lambda t: t.start)
    following = _inside_name(tokens[after], spans) if after < len(tokens) else None
    return (
        following is not None
        and following.kind == PER
        and _owner_name_before(tokens, after, following, spans) is span
    )


def _modifier(token: Token) -> bool:
    """An adjective or a full participle: both agree with the noun they modify ("управляющий директор"); an
    adjective after a title prefix the tagger read as a noun too ("экс-художественным директором")."""
    if token.pos == "NOUN" and _prefixed_adjective(token.text):
        return True
    if token.pos == "ADJ":
        # a capitalised verb opening the sentence, tagged as an adjective: "Выступил министр финансов …"
        forms = russian_models().vocab(fold(token.text))
        if (
            forms
            and all("Apro" in f.tag for f in forms if f.pos == "ADJ")
            and any(f.pos == "ADJ" for f in forms)
        ):
            return False  # "сам президент", "этот министр", "наш посол": a pronoun, no part of the title
        return not forms or any(f.pos in ("ADJ", "NOUN") or "PRTF" in f.tag for f in forms)
    return token.pos == "VERB" and token.feat("VerbForm") == "Part" and token.feat("Variant") != "Short"


def _skip_adjectives(tokens: Sequence[Token], index: int, sentence_start: int) -> int:
    i = index - 1
    while i >= 0 and tokens[i].start >= sentence_start and tokens[i].pos == "ADJ":
        i -= 1
    return i


def _roles_before(
    parsed: ParsedText, span: NamedSpan, first: int, spans: Sequence[NamedSpan], tree: _Tree | None = None
) -> list[RoleSpan]:
    """Titles ending right before a name, stacked ones included: "лидер Меджлиса, народный депутат
    Украины Мустафа Джемилев", "представитель вооруженных сил полковник Сансерн Каевкамнерд",
    "генеральный директор и совладелец компании Иван Петров"."""
    tokens = parsed.tokens
    name_tokens = list(tokens[first : bisect.bisect_left(tokens, span.stop, lo=first, key=lambda t: t.start)])
    name_case = _case(name_tokens[-1]) if name_tokens else None
    sentence_start = parsed.sentences[span.sentence][0]
    governor = None
    if tree is not None and first in tree:
        root = tree.root_of(first, first + len(name_tokens))
        if tree.rel(root) == "appos":
            governor = tree.head(root)
    if name_case == "Gen" and _owns_the_next_name(tokens, first, span, spans):
        return []
    acting = _acting_before(parsed, span, first, spans, tree)
    if acting is not None:
        return [acting]
    found: list[RoleSpan] = []
    end = first
    previous: int | None = None
    while len(found) < 3:
        head = _role_head_before(parsed, end, name_case, sentence_start, spans)
        if head is None and not found:
            # The name's case may be misread: trust the tree's apposition, and the title's case after it.
            head = _role_head_before(parsed, end, name_case, sentence_start, spans, governor)
            if head is not None and any(_span_at(k, tokens, spans) for k in range(head, end)):
                head = None  # the tree's noun is another person's title: "госсоветника X Y Тимур Z"
            if head is not None and head == governor:
                name_case = _case(tokens[head])
        if head is None and not found and governor is not None:
            head = _tree_title_head(parsed, tree, governor, first, spans)
        if head is None:
            break
        if (
            not found
            and head == first - 1
            and len(name_tokens) == 1
            and "-" not in name_tokens[0].text  # "адвокат Саиф-ул-Мулук": a whole name in one word
            and lemma(tokens[head]) in RELATIONAL_TITLES
        ):
            break  # "советника Трампа", "Адвокат Маркива заявил": the name is whose adviser, whose lawyer
        if (
            previous is not None
            and fold(tokens[end].text) == "и"
            and (head != end - 1 or not _conjoined(tree, head, previous))
        ):
            # Coordinated titles share the dependents after the last one ("директор и совладелец компании");
            # "капитан клуба X и защитник Y" names two people, and so does "и" the tree does not confirm.
            break
        role = _make_role(parsed, span, head, end, spans)
        found.append(role)
        previous = head
        begin = next(k for k in range(head, -1, -1) if tokens[k].start == role.start)
        end = begin - 1 if begin > 0 and tokens[begin - 1].text in (",", "и") else begin
    return found


def _tree_title_head(
    parsed: ParsedText, tree: _Tree | None, governor: int, first: int, spans: Sequence[NamedSpan]
) -> int | None:
    """The title noun the tree makes a name an apposition of, when every word between them depends on it
    and none is another person: "директора по стратегии ... в России, на Украине и в Казахстане Елену
    Сябренко"."""
    tokens = parsed.tokens
    if tree is None or not (tree.first <= governor < first) or first - governor > 3 * _MAX_GAP:
        return None
    if not is_role_noun(tokens[governor]):
        return None
    for k in range(governor + 1, first):
        if _span_at(k, tokens, spans) is not None or not tree.governs(governor, k):
            return None
    return governor


def _conjoined(tree: _Tree | None, a: int, b: int) -> bool:
    """Whether the tree joins two title nouns by coordination ("директор и совладелец", "писатель, поэт
    и журналист"): both in one chain of conjuncts."""
    if tree is None or a not in tree or b not in tree:
        return False

    def first_conjunct(index: int) -> int:
        for _ in range(len(tree.arcs)):
            head = tree.head(index)
            if tree.rel(index) != "conj" or head is None:
                break
            index = head
        return index

    return first_conjunct(a) == first_conjunct(b)


def _make_role(
    parsed: ParsedText, span: NamedSpan, head: int, stop: int, spans: Sequence[NamedSpan]
) -> RoleSpan:
    tokens = parsed.tokens
    begin = head
    # Adjectives agreeing with the role noun belong to the title: "российским лидером" → "российский лидер".
    while (
        begin > 0
        and _modifier(tokens[begin - 1])
        and _case(tokens[begin - 1]) == _case(tokens[head])
        and tokens[begin - 1].start >= parsed.sentences[span.sentence][0]
    ):
        begin -= 1
    return _role_span(parsed, span, list(tokens[begin:stop]), tokens[head], spans)


# An age between a title and the name it describes belongs to the name: "президент 89-летний Роберт Мугабе",
# "главой ведомства 30-летнего Ивана Муравьева".
_AGE_RE = re.compile(r"^\d+\s*[-–]?\s*(?:летн|лет)\w*$")


def _without_ages(phrase: list[Token]) -> list[Token]:
    while len(phrase) > 1 and _AGE_RE.match(phrase[-1].text.lower()):
        phrase = phrase[:-1]
    return phrase


def _trimmed(phrase: list[Token]) -> list[Token]:
    """A title without the commas and quotation marks that end the text around it, and without an age that
    describes the name after it; a quote closing a name inside the title stays ('главный тренер
    "Арсенала"', "глава «Газпрома»")."""
    phrase = _without_ages(phrase)
    while phrase and phrase[-1].text in _GAP_PUNCT | {","}:
        last = phrase[-1].text
        if last == '"' and sum(t.text == '"' for t in phrase) % 2 == 0:
            break
        if last == "»" and sum(t.text == "«" for t in phrase) >= sum(t.text == "»" for t in phrase):
            break
        phrase = phrase[:-1]
    return phrase


def _role_span(
    parsed: ParsedText, span: NamedSpan, phrase: list[Token], head: Token, spans: Sequence[NamedSpan]
) -> RoleSpan:
    phrase = _trimmed(phrase) or phrase
    if head.pos != "NOUN" and head in phrase:  # a title noun the tagger read as an adjective or a name
        phrase = [replace(t, pos="NOUN") if t is head else t for t in phrase]
        head = replace(head, pos="NOUN")
    at = phrase.index(head) if head in phrase else -1
    participles = {k: _participle_nominative(t, head) for k, t in enumerate(phrase[:at]) if t.pos == "VERB"}
    # The head is known: a word before it the tagger read as a noun is inflected as its modifier
    # ("экс-художественным директором" → "экс-художественный директор", not "… директором").
    title = normalize_phrase(
        russian_models(), [t for k, t in enumerate(phrase) if k not in participles], head if at >= 0 else None
    )
    if participles:  # "приглашенным хореографом" → "приглашенный хореограф"
        words = title.split(" ")
        for k in sorted(participles):
            words.insert(k, participles[k])
        title = " ".join(words)
    # A title is a common noun phrase: a capital is the sentence's, not the title's ("Президент Белоруссии").
    title = title[:1].lower() + title[1:] if not title[:2].isupper() else title
    sense = role_sense(phrase, spans) or RoleSense(lemma(head), frozenset())
    return RoleSpan(span, title, phrase[0].start, phrase[-1].stop, span.sentence, sense)


def _participle_nominative(token: Token, head: Token) -> str:
    """A participle agreeing with a title noun, in the nominative singular of the noun's gender."""
    from pymorphy2.analyzer import Parse

    if token.feat("Case") in (None, "Nom"):
        return token.text
    gender = {"Fem": "femn", "Neut": "neut"}.get(head.feat("Gender") or "", "masc")
    for form in russian_models().vocab(fold(token.text)):
        if form.pos != "VERB" or form.feats.get("Case") != token.feat("Case"):
            continue
        try:
            inflected = Parse.inflect(form, {"nomn", "sing", gender})
        except ValueError:
            inflected = None
        if inflected is not None:
            return inflected.word
    return token.text


_APPOSITION_END = frozenset({",", ".", ";", ":", "(", ")", "—", "–", "-", "!", "?"})  # "-" alone is a dash


def _roles_after(
    parsed: ParsedText,
    span: NamedSpan,
    after: int,
    spans: Sequence[NamedSpan],
    tree: _Tree | None = None,
    opening: tuple[str, ...] = (",", "—", "–", "-"),
) -> list[RoleSpan]:
    """An apposition after the name: "Сергей Лавров, глава МИД России, ...", "Андрей Санников — бывший
    заместитель министра", also past a parenthesis with the original spelling "(Scott Horowitz),", and
    the titles coordinated with it ("Гергей Ковач — политик и лидер движения")."""
    tokens = parsed.tokens
    sentence_stop = parsed.sentences[span.sentence][1]
    if after < len(tokens) and tokens[after].text == "(" and "(" not in opening:
        close = next((k for k in range(after, min(after + 12, len(tokens))) if tokens[k].text == ")"), None)
        inside = _roles_after(parsed, span, after, spans, tree, opening=("(",)) if close else []
        if inside:  # "Йоахим Лёв (второй тренер)"
            return inside
        after = close + 1 if close is not None else after
    if after >= len(tokens) or tokens[after].text not in opening:
        return []
    found: list[RoleSpan] = []
    begin = after + 1
    # The apposition agrees in case with the name ("по словам Лео Бенедуччи, генерального секретаря
    # профсоюза"); the nominative is allowed too, as the tagger often misreads a foreign name's case.
    last = bisect.bisect_left([t.start for t in tokens], span.stop) - 1
    cases = {"Nom", _case(tokens[last])} if last >= 0 else {"Nom"}
    one_of = _one_of(parsed, begin, sentence_stop, span, spans, tree)
    if one_of is not None:
        return [one_of]
    acting = _acting_title(parsed, begin, sentence_stop, span, spans, tree)
    if acting is not None:
        return [acting]
    separator = ""
    while len(found) < 3:
        i = begin
        while i < len(tokens) and _modifier(tokens[i]):
            i += 1
        if (
            i >= len(tokens)
            or tokens[i].stop > sentence_stop
            or not is_role_noun(tokens[i])
            or (_case(tokens[i]) not in cases | {None} and not _apposition_of(tree, i, span, tokens))
        ):
            break
        head = i
        end = _title_end(parsed, head, sentence_stop, spans, tree)
        if separator == "," and end < len(tokens) and _span_at(end, tokens, spans) is not None:
            break  # "Петров, министр финансов, глава банка Иван Сидоров": the next person's title
        found.append(_role_span(parsed, span, list(tokens[begin:end]), tokens[head], spans))
        cases = {_case(tokens[head])} - {None} or cases
        separator = fold(tokens[end].text) if end < len(tokens) else ""
        if separator not in ("и", ","):
            break
        begin = end + 1
    return found


def _apposition_of(tree: _Tree | None, index: int, span: NamedSpan, tokens: Sequence[Token]) -> bool:
    """Whether the tree attaches a noun to a name as its apposition (when the tagger's cases disagree,
    as they do for the genitive and accusative of animate nouns)."""
    if tree is None or index not in tree or tree.rel(index) != "appos":
        return False
    head = tree.head(index)
    return head is not None and span.start <= tokens[head].start < span.stop


_ONE = {"Masc": "один", "Fem": "одна", "Neut": "одно"}


def _one_of(
    parsed: ParsedText,
    begin: int,
    sentence_stop: int,
    span: NamedSpan,
    spans: Sequence[NamedSpan],
    tree: _Tree | None,
) -> RoleSpan | None:
    """ "Эдуард Мишлен, один из президентов группы компаний" → "один из президентов группы компаний": the
    title is plural and genitive, governed by "один из"."""
    tokens = parsed.tokens
    if begin + 2 >= len(tokens) or lemma(tokens[begin]) != "один" or fold(tokens[begin + 1].text) != "из":
        return None
    head = begin + 2
    while head < len(tokens) and _modifier(tokens[head]):
        head += 1
    if head >= len(tokens) or tokens[head].feat("Number") != "Plur" or not _role_candidate(tokens[head]):
        return None
    end = _title_end(parsed, head, sentence_stop, spans, tree)
    rest = list(tokens[begin + 2 : end])
    one = _ONE.get(tokens[begin].feat("Gender") or "Masc", "один")
    title = f"{one} из {parsed.text[rest[0].start : rest[-1].stop]}"  # genitive after "из", as written
    sense = RoleSense(lemma(tokens[head]), frozenset(p for t in rest if (p := place_of(t, spans))))
    return RoleSpan(span, title, tokens[begin].start, tokens[end - 1].stop, span.sentence, sense)


def _acting_abbreviation(tokens: Sequence[Token], index: int) -> int:
    """How many tokens an acting title's abbreviation at ``index`` takes: "врио", "и. о." / "и.о." (split by
    the tokenizer into "и", ".", "о", "."), or 0."""
    if index < len(tokens) and fold(tokens[index].text) == "врио":
        return 1
    letters = [fold(t.text) for t in tokens[index : index + 4]]
    return 4 if letters == ["и", ".", "о", "."] else 0


def _acting_at(tokens: Sequence[Token], index: int) -> int | None:
    """The index of the title noun of "(временно) исполняющий обязанности <title>" (or its abbreviation
    "и. о.", "врио") starting at ``index``."""
    if taken := _acting_abbreviation(tokens, index):
        head = index + taken
        while head < len(tokens) and _modifier(tokens[head]):
            head += 1
        return head if head < len(tokens) and _role_candidate(tokens[head]) else None
    k = index + (index < len(tokens) and fold(tokens[index].text) == "временно")
    if k + 2 >= len(tokens) or not fold(tokens[k].text).startswith("исполняющ"):
        return None
    if fold(tokens[k + 1].text) != "обязанности":
        return None
    head = k + 2
    while head < len(tokens) and _modifier(tokens[head]):
        head += 1
    return head if head < len(tokens) and _role_candidate(tokens[head]) else None


def _acting_role(
    parsed: ParsedText, span: NamedSpan, begin: int, head: int, end: int, spans: Sequence[NamedSpan]
) -> RoleSpan:
    """ "исполняющего обязанности председателя правительства" → "исполняющий обязанности председателя
    правительства": the participle in the nominative, its object as written."""
    tokens = parsed.tokens
    end = head + len(_without_ages(list(tokens[head:end])))  # "и. о. главы ведомства 30-летнего Ивана …"
    if taken := _acting_abbreviation(tokens, begin):  # "И.\xa0о." → "и. о.", "Врио" → "врио"
        title = (
            ("врио" if taken == 1 else "и. о.") + " " + " ".join(t.text for t in tokens[begin + taken : end])
        )
    else:
        words = [t.text for t in tokens[begin:end]]
        at = next(k for k in range(begin, end) if fold(tokens[k].text).startswith("исполняющ"))
        words[at - begin] = "исполняющий"
        title = " ".join(words)
        title = title[:1].lower() + title[1:]
    rest = list(tokens[head:end])
    sense = RoleSense(lemma(tokens[head]), frozenset(p for t in rest if (p := place_of(t, spans))))
    return RoleSpan(span, title, tokens[begin].start, tokens[end - 1].stop, span.sentence, sense)


def _acting_title(
    parsed: ParsedText,
    begin: int,
    sentence_stop: int,
    span: NamedSpan,
    spans: Sequence[NamedSpan],
    tree: _Tree | None,
) -> RoleSpan | None:
    """An acting title after a name: "Марк Тоун, исполняющий обязанности представителя ведомства"."""
    head = _acting_at(parsed.tokens, begin)
    if head is None:
        return None
    end = _title_end(parsed, head, sentence_stop, spans, tree)
    return _acting_role(parsed, span, begin, head, end, spans)


def _acting_before(
    parsed: ParsedText, span: NamedSpan, first: int, spans: Sequence[NamedSpan], tree: _Tree | None
) -> RoleSpan | None:
    """An acting title right before a name: "Временно исполняющий обязанности главы района Олег Рябов". The
    title noun is in the genitive, so the walk back in the name's case does not find it."""
    tokens = parsed.tokens
    sentence_start = parsed.sentences[span.sentence][0]
    for begin in range(first - 3, max(-1, first - 3 - 2 * _MAX_GAP), -1):
        if tokens[begin].start < sentence_start:
            return None
        if tokens[begin].text in _APPOSITION_END and not any(
            _acting_abbreviation(tokens, j) == 4 for j in range(max(0, begin - 3), begin)
        ):
            return None  # the full stops of "и. о." are no boundary
        head = _acting_at(tokens, begin)
        if head is None:
            continue
        if head >= first or any(_span_at(k, tokens, spans) for k in range(begin, first)):
            return None
        if begin > 0 and fold(tokens[begin - 1].text) == "временно":
            begin -= 1
        return _acting_role(parsed, span, begin, head, first, spans)
    return None


def _title_end(
    parsed: ParsedText, head: int, sentence_stop: int, spans: Sequence[NamedSpan], tree: _Tree | None
) -> int:
    """The index after the last word of a title headed by ``head`` and read rightwards: its dependents
    in the tree (so "министр связи и массовых коммуникаций" keeps its "и"), or without a tree the words
    up to a verb, a pronoun or a conjunction. A coordinated title ("и лидер движения") is not included."""
    tokens = parsed.tokens
    end = head + 1
    while (
        end < len(tokens)
        and tokens[end].stop <= sentence_stop
        and tokens[end].text not in _APPOSITION_END
        and end - head <= _MAX_GAP
        and tokens[end].pos not in ("VERB", "AUX", "PRON", "SCONJ", "PART")
        and not any(s.kind == PER and s.start <= tokens[end].start < s.stop for s in spans)
    ):
        if tree is not None and end in tree and head in tree:
            if not tree.governs(head, end, stop=lambda k: _coordinated_title(tree, tokens, k)):
                break
        elif tokens[end].pos == "CCONJ":
            break
        end += 1
    return end


def _coordinated_title(tree: _Tree, tokens: Sequence[Token], index: int) -> bool:
    """A title joined to another by "и": its own role, not part of the first one's words."""
    return tree.rel(index) == "conj" and is_role_noun(tokens[index])


# ---------------------------------------------------------------- roles read off the dependency tree


@dataclass(frozen=True)
class _Tree:
    """The dependency arcs of one sentence, addressed by token indices of the whole text."""

    first: int
    arcs: tuple[Arc, ...]

    def __contains__(self, index: int) -> bool:
        return self.first <= index < self.first + len(self.arcs)

    def head(self, index: int) -> int | None:
        head = self.arcs[index - self.first].head
        return head + self.first if head >= 0 else None

    def rel(self, index: int) -> str:
        return self.arcs[index - self.first].rel

    def children(self, index: int) -> list[int]:
        local = index - self.first
        return [self.first + k for k, arc in enumerate(self.arcs) if arc.head == local]

    def root_of(self, begin: int, end: int) -> int:
        """The word of tokens [begin, end) (a name) whose head lies outside them."""
        for k in range(begin, min(end, self.first + len(self.arcs))):
            head = self.head(k)
            if head is None or not begin <= head < end:
                return k
        return begin

    def governs(self, ancestor: int, index: int, stop: Any = None) -> bool:
        """Whether ``index`` depends on ``ancestor``, not through a word for which ``stop`` is true."""
        seen = 0
        while index != ancestor and seen < len(self.arcs):
            if stop is not None and stop(index):
                return False
            head = self.head(index)
            if head is None:
                return False
            index, seen = head, seen + 1
        return index == ancestor


_MAX_TREE_TOKENS = 150  # the parser's head scores grow with the square of a sentence's length


def _role_candidate(token: Token) -> bool:
    """A noun that may name a position, plural too: a title over a list of names is plural."""
    if token.feat("Number") != "Plur":
        return is_role_noun(token)
    if token.pos != "NOUN":
        return False
    word = lemma(token)
    return _role_lemma(word) or (token.feat("Animacy") == "Anim" and word not in NOT_ROLES and len(word) > 3)


def _needs_tree(parsed: ParsedText, lo: int, hi: int, people: Sequence[NamedSpan]) -> bool:
    """Whether word order leaves a sentence's titles to the tree: a title in the instrumental (a predicate)
    or after "пост", "должность", "в качестве"; a plural title (over a list); an "и" after a title (its own
    "и", or coordinated titles); a title before or after a name in another case than the name's; a long
    or punctuated title before a name. Cheap tests of word order first: the dictionary only after them."""
    tokens = parsed.tokens
    last_words = [bisect.bisect_left(tokens, p.stop, lo=lo, hi=hi, key=lambda t: t.start) - 1 for p in people]
    name_cases = {_case(tokens[k]) for k in last_words} | {"Nom", None}
    names = [bisect.bisect_left(tokens, p.start, lo=lo, hi=hi, key=lambda t: t.start) for p in people]
    named = {k for span in parsed.spans for k in range(lo, hi) if span.start <= tokens[k].start < span.stop}
    for k in range(lo, hi):
        token = tokens[k]
        if token.pos not in ("NOUN", "PROPN", "ADJ") or k in named:
            continue
        if token.feat("Number") == "Plur":
            if any(0 < n - k <= 3 for n in names) and _role_candidate(token):
                return True  # "академики Владимир Захаров, ..."
            continue
        before = k - 1
        while before > lo and _modifier(tokens[before]):
            before -= 1
        following = [n for n in names if n > k]
        name_at = min(following, default=hi)
        # Appositions stand right after a name or end right before one.
        near = name_at - k <= 3 * _MAX_GAP or any(0 < k - last <= 3 for last in last_words)
        trigger = (
            _case(token) == "Ins"
            or (before >= lo and _POST_FORMS.match(fold(tokens[before].text)) is not None)
            or (near and _case(token) not in name_cases)
            or (near and any(fold(t.text) == "и" for t in tokens[k + 1 : min(hi, k + _MAX_GAP)]))
            or (
                name_at - k <= 3 * _MAX_GAP
                and (name_at - k > _MAX_GAP or any(t.text in ",()" for t in tokens[k + 1 : name_at]))
            )
        )
        if trigger and is_role_noun(token):
            return True
    return False


# Forms of the nouns in ``_POSTS`` and "в качестве", matched on the word as written (no dictionary look-up).
_POST_FORMS = re.compile(r"(?:пост(?:а|у|ом|е)?|должност\w*|мест(?:о|а|у|е|ом)|кресл\w*|качестве)$")


def sentence_trees(parsed: ParsedText) -> dict[int, _Tree]:
    """Trees of the sentences that name a person and whose titles word order cannot settle alone, and of
    those a pronoun's title follows: the only ones roles read a tree for, so the parser's cost is paid there
    alone."""
    starts = [t.start for t in parsed.tokens]
    chosen: list[tuple[int, int, int]] = []
    people: dict[int, list[NamedSpan]] = {}
    for span in parsed.spans:
        if span.kind == PER:
            people.setdefault(span.sentence, []).append(span)
    for sentence in sorted(people):
        begin, stop = parsed.sentences[sentence]
        lo, hi = bisect.bisect_left(starts, begin), bisect.bisect_left(starts, stop)
        if 0 < hi - lo <= _MAX_TREE_TOKENS and _needs_tree(parsed, lo, hi, people[sentence]):
            chosen.append((sentence, lo, hi))
    # "Петров … . Сейчас он является депутатом": a pronoun's predicate, right after a single person.
    for sentence, _, lo, hi in _after_one_person(parsed):
        if 0 < hi - lo <= _MAX_TREE_TOKENS and _pronoun_predicate(parsed, lo, hi):
            chosen.append((sentence, lo, hi))
    chosen.sort()
    if not chosen:
        return {}
    # Here, not at the top: numpy stays out of the bot's own process (tests/test_workers.py).
    from bot.analysis.syntax import syntax_parser

    parser = syntax_parser(russian_models().ner_tagger.network)
    arcs = parser([[t.text for t in parsed.tokens[lo:hi]] for _, lo, hi in chosen])
    return {sentence: _Tree(lo, tuple(a)) for (sentence, lo, _), a in zip(chosen, arcs, strict=True)}


def _span_at(index: int, tokens: Sequence[Token], spans: Sequence[NamedSpan]) -> NamedSpan | None:
    token = tokens[index]
    return next((s for s in spans if s.kind == PER and s.start <= token.start < s.stop), None)


def _singular_title(phrase: Sequence[Token], head: Token) -> str:
    """A plural title in the singular nominative ("известные писательницы" → "известная писательница"): the
    role of each person. The noun first, so its adjectives take its gender (plural forms have none)."""
    head_at = phrase.index(head)
    noun = _singular_nominative(head, set())
    gender = str(noun.tag.gender) if noun is not None and noun.tag.gender else "masc"
    words: list[str] = []
    for k, token in enumerate(phrase):
        word = token.text
        if k == head_at and noun is not None:
            word = noun.word
        elif k < head_at and token.pos == "ADJ" and token.feat("Number") == "Plur":
            adjective = _singular_nominative(token, {gender})
            word = adjective.word if adjective is not None else word
        words.append(word)
    title = " ".join(words)
    return title[:1].lower() + title[1:] if not title[:2].isupper() else title


def _singular_nominative(token: Token, grams: set[str]) -> Any:
    """pymorphy2's parse of a plural word inflected to the singular nominative, or None."""
    from pymorphy2.analyzer import Parse

    for form in russian_models().vocab(fold(token.text)):
        if form.pos != token.pos or form.feats.get("Number") not in (None, "Plur"):
            continue
        try:  # pymorphy2's own inflection, with OpenCorpora grammemes (natasha's takes UD ones)
            inflected = Parse.inflect(form, {"nomn", "sing"} | grams)
        except ValueError:
            inflected = None
        if inflected is not None:
            return inflected
    return None


def _list_roles(parsed: ParsedText, trees: dict[int, _Tree], spans: Sequence[NamedSpan]) -> list[RoleSpan]:
    """A plural title before a list of names is each one's title: "академики Владимир Захаров, Леонид
    Келдыш и Андрей Сахаров". The tree gives the first name as an apposition of the title, the others as
    its conjuncts."""
    tokens = parsed.tokens
    starts = [t.start for t in tokens]
    found: list[RoleSpan] = []
    for span in spans:
        tree = trees.get(span.sentence)
        if span.kind != PER or tree is None:
            continue
        first, stop = bisect.bisect_left(starts, span.start), bisect.bisect_left(starts, span.stop)
        if first not in tree:
            continue
        root = tree.root_of(first, stop)
        head = tree.head(root)
        if tree.rel(root) != "appos" or head is None or head >= first:
            continue
        noun = tokens[head]
        if noun.feat("Number") != "Plur" or not _role_candidate(noun):
            continue
        if any(
            tokens[k].pos in ("VERB", "AUX", "PUNCT") or _span_at(k, tokens, spans)
            for k in range(head + 1, first)
        ):
            continue
        begin = head
        while begin - 1 in tree and _modifier(tokens[begin - 1]) and _case(tokens[begin - 1]) == _case(noun):
            begin -= 1
        phrase = list(tokens[begin:first])
        title = _singular_title(phrase, noun)
        sense = role_sense(phrase, spans) or RoleSense(lemma(noun), frozenset())
        members = [person for person in (_span_at(root, tokens, spans),) if person is not None]
        # The list ends where another plural title starts its own: "чиновники A и B, продюсеры C, D".
        end = next(
            (
                k
                for k in range(stop, tree.first + len(tree.arcs))
                if tokens[k].feat("Number") == "Plur"
                and _span_at(k, tokens, spans) is None
                and _role_candidate(tokens[k])
            ),
            tree.first + len(tree.arcs),
        )
        for k in range(stop, end):
            head_k = tree.head(k)
            person = _span_at(k, tokens, spans)
            if tree.rel(k) != "conj" or head_k is None or person is None or person in members:
                continue
            if any(m.start <= tokens[head_k].start < m.stop for m in members):
                members.append(person)
        for person in members:
            found.append(RoleSpan(person, title, phrase[0].start, phrase[-1].stop, person.sentence, sense))
    return found


# Verbs that state a position held or given: "является советником", "назначен послом", "стал главой".
# fmt: off
_PREDICATE_VERBS = frozenset(
    [
        "являться", "стать", "становиться", "работать", "служить", "оставаться", "остаться", "числиться",
        "назначить", "назначать", "избрать", "избирать", "переизбрать", "утвердить", "утверждать",
        "выбрать", "выбирать", "назначаться", "избираться", "назвать", "называть", "признать", "признавать",
        "объявить", "объявлять",
    ]
)
# fmt: on
# Verbs whose object, not subject, receives the position: "Путин назначил Петрова министром".
# "Тренер назвал Петрова первым вратарём", "его признали лучшим игроком": naming someone as something too.
_APPOINTING = frozenset(
    [
        "назначить",
        "назначать",
        "избрать",
        "избирать",
        "переизбрать",
        "утвердить",
        "утверждать",
        "выбрать",
        "выбирать",
        "назвать",
        "называть",
        "признать",
        "признавать",
        "объявить",
        "объявлять",
    ]
)
# Calling someone something: a position when a team or a party decides it ("назвал Петрова первым вратарём",
# "назвал его кандидатом"), an opinion with a superlative ("назвал Трампа лучшим президентом США").
_NAMING = frozenset(["назвать", "называть"])


def _superlative(token: Token) -> bool:
    """ "лучшим", "величайшим", "самым": a degree no appointment gives."""
    if lemma(token) == "самый":
        return True
    return token.pos == "ADJ" and any("Supr" in f.tag for f in russian_models().vocab(fold(token.text)))


# Nouns that hold a title in their genitive dependent: "занимает пост министра", "в должности директора".
_POSTS = frozenset(["пост", "должность", "место", "кресло"])


def _verb_lemma(token: Token) -> str:
    forms = russian_models().vocab(fold(token.text))
    return fold(next((f.normal for f in forms if f.pos == "VERB"), token.text))


def _after_in_capacity(tokens: Sequence[Token], index: int) -> bool:
    """Whether a noun follows "в качестве" (its adjectives between): the capacity someone acts in."""
    k = index - 1
    while k >= 0 and _modifier(tokens[k]):
        k -= 1
    return k >= 1 and fold(tokens[k].text) == "качестве" and fold(tokens[k - 1].text) in ("в", "во")


def _nearest_verb(tree: _Tree, tokens: Sequence[Token], index: int) -> int | None:
    verbs = [k for k in range(tree.first, tree.first + len(tree.arcs)) if tokens[k].pos == "VERB"]
    return min(verbs, key=lambda k: abs(k - index), default=None)


def _negated(tree: _Tree, tokens: Sequence[Token], index: int) -> bool:
    return any(fold(tokens[k].text) == "не" for k in tree.children(index))


def _holder(tree: _Tree, tokens: Sequence[Token], verb: int, appointing: bool) -> int | None:
    """The word naming who holds the position a predicate states: the subject, the object of an
    appointing verb in the active voice, or the subject of the verb a bare infinitive depends on
    ("согласился занять пост")."""
    for _ in range(3):
        children = tree.children(verb)
        rels = {tree.rel(k): k for k in children}
        passive = tokens[verb].feat("Voice") == "Pass" or "aux:pass" in rels
        if appointing and not passive:
            return rels.get("obj")
        subject = rels.get("nsubj:pass", rels.get("nsubj"))
        if subject is not None:
            return subject
        head = tree.head(verb)
        # "согласился занять пост": the subject of the verb the infinitive completes; "уходит с поста ...,
        # но остается хореографом": the subject shared by coordinated verbs.
        if tree.rel(verb) not in ("xcomp", "conj") or head is None or tokens[head].pos != "VERB":
            return None
        verb = head
    return None


def _antecedent(tokens: Sequence[Token], index: int, spans: Sequence[NamedSpan]) -> NamedSpan | None:
    """The person a relative "который" refers to: the name right before its comma."""
    if index >= 2 and tokens[index - 1].text == ",":
        return _span_at(index - 2, tokens, spans)
    return None


def _relative_subject(tree: _Tree, tokens: Sequence[Token], index: int) -> int | None:
    """The "который" opening the clause of a predicate, when the parser left it unattached: "Перекопский,
    который в те годы был вице-президентом"."""
    for k in range(index - 1, tree.first - 1, -1):
        if tokens[k].text in _APPOSITION_END:
            return None
        if fold(tokens[k].text) == "который":
            return k
    return None


def _predicate_roles(
    parsed: ParsedText, trees: dict[int, _Tree], spans: Sequence[NamedSpan]
) -> list[RoleSpan]:
    """Titles stated as predicates: "Перекопский, который был вице-президентом компании", "Петров назначен
    послом", "Иванов занимает пост министра финансов"."""
    tokens = parsed.tokens
    found: list[RoleSpan] = []
    for tree in trees.values():
        for index in range(tree.first, tree.first + len(tree.arcs)):
            token = tokens[index]
            if token.feat("Number") == "Plur" or not is_role_noun(token):
                continue
            holder: int | None = None
            naming = False
            head = tree.head(index)
            rel = tree.rel(index)
            if _case(token) == "Ins" and any(tree.rel(k) == "cop" for k in tree.children(index)):
                if _negated(tree, tokens, index):
                    continue
                rels = {tree.rel(k): k for k in tree.children(index)}
                holder = rels.get("nsubj", _relative_subject(tree, tokens, index))
            elif (
                head is not None
                and tokens[head].pos == "VERB"
                and _case(token) == "Ins"
                and rel in ("xcomp", "obl", "obj")
            ):
                verb = _verb_lemma(tokens[head])
                if verb not in _PREDICATE_VERBS or _negated(tree, tokens, head):
                    continue
                holder = _holder(tree, tokens, head, verb in _APPOINTING)
                naming = verb in _NAMING
            elif head is not None and _case(token) == "Gen" and _after_in_capacity(tokens, index):
                # "в качестве первого заместителя входит Георгиос Макрополус"; a verb farther than another
                # is more likely the parser's mistake than a long-distance link.
                if tokens[head].pos != "VERB" or head != _nearest_verb(tree, tokens, index):
                    continue
                if _negated(tree, tokens, head):
                    continue
                holder = _holder(tree, tokens, head, _verb_lemma(tokens[head]) in _APPOINTING)
            elif (
                head is not None and _case(token) == "Gen" and rel == "nmod" and lemma(tokens[head]) in _POSTS
            ):
                verb_at = tree.head(head)
                noun = tokens[verb_at] if verb_at is not None else None
                if verb_at is not None and noun and noun.pos == "NOUN" and noun.feat("Animacy") != "Anim":
                    # "после ухода с поста президента может возглавить"; not "стала кандидатом на пост"
                    verb_at = tree.head(verb_at)
                if verb_at is None or tokens[verb_at].pos != "VERB" or _negated(tree, tokens, verb_at):
                    continue
                holder = _holder(tree, tokens, verb_at, _verb_lemma(tokens[verb_at]) in _APPOINTING)
            if holder is None:
                continue
            if fold(tokens[holder].text) == "который":
                person = _antecedent(tokens, holder, spans)
            elif fold(tokens[holder].text) in _SUBJECT_PRONOUNS:
                person = _pronoun_antecedent(parsed, holder, spans)
            else:
                person = _span_at(holder, tokens, spans)
                if person is None:  # "занял республиканец Джон Бенер": the name is the subject's apposition
                    names = [k for k in tree.children(holder) if tree.rel(k) == "appos"]
                    person = _span_at(names[0], tokens, spans) if names else None
            if person is None:
                continue
            begin = index
            while (
                begin - 1 in tree
                and _modifier(tokens[begin - 1])
                and _case(tokens[begin - 1]) == _case(token)
            ):
                begin -= 1
            # «самым» is no part of a title (a pronoun: `_modifier`), but it makes one an opinion all the same
            degree = begin - 1 if begin - 1 in tree and lemma(tokens[begin - 1]) == "самый" else begin
            if naming and any(_superlative(t) for t in tokens[degree:index]):
                continue  # "Асад назвал Трампа лучшим президентом США": an opinion, not a position
            end = _title_end(parsed, index, tokens[tree.first + len(tree.arcs) - 1].stop, spans, tree)
            found.append(_role_span(parsed, person, list(tokens[begin:end]), token, spans))
    return found


def _surname(span: NamedSpan) -> str:
    return fold(span.last or span.normal.split(" ")[-1])


def _subject_title(parsed: ParsedText, lo: int, hi: int) -> int | None:
    """The role noun heading a sentence's subject, when its first nominative noun is one: "Премьер-министр
    Израиля заявил ...", "О сделке представитель компании не сказал ничего" (a preposition's noun is no
    subject). Singular, and not a title defined by another person ("помощник президента" is someone else)."""
    tokens = parsed.tokens
    for k in range(lo, hi):
        token = tokens[k]
        if token.pos not in ("NOUN", "PROPN") or _case(token) != "Nom":
            continue
        before = _skip_adjectives(tokens, k, tokens[lo].start)
        if before >= lo and fold(tokens[before].text) in _GAP_PREPOSITIONS - {"и"}:
            continue
        # A capitalised word inside the sentence is a name, not a title ("ФИФА", "Санта Орсола").
        named = _inside_name(token, parsed.spans) is not None or (token.pos == "PROPN" and k > lo)
        return k if not named and is_role_noun(token) else None
    return None


def _subject_title_end(tokens: Sequence[Token], head: int, end: int) -> int:
    """A subject's title ends before an adverb or a preposition other than "по" (the verb's circumstances:
    "Министр также заверил", "Глава государства во время форума заявил"); "председатель комитета по
    делам" keeps its "по"."""
    for k in range(head + 1, end):
        if tokens[k].pos in ("ADV", "NUM") or (tokens[k].pos == "ADP" and fold(tokens[k].text) != "по"):
            return k
    return end


def _gender_of(tokens: Sequence[Token]) -> str | None:
    return next((g for t in tokens if (g := t.feat("Gender")) is not None), None)


@lru_cache(maxsize=20_000)
def _likeliest_reading(word: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """A word's most likely dictionary reading out of context: part of speech and features."""
    parses = russian_models().vocab(fold(word))
    return (parses[0].pos, tuple(sorted(parses[0].feats.items()))) if parses else ("X", ())


def _with_dictionary_morphology(parsed: ParsedText, ranges: Sequence[tuple[int, int]]) -> ParsedText:
    tokens = list(parsed.tokens)
    for lo, hi in ranges:
        for k in range(lo, hi):
            if tokens[k].pos == "X":
                pos, feats = _likeliest_reading(tokens[k].text)
                tokens[k] = replace(tokens[k], pos=pos, feats=feats)
    return replace(parsed, tokens=tuple(tokens))


_THIRD_PERSON = frozenset(
    ["он", "она", "его", "ее", "ему", "ей", "им", "ним", "него", "нее", "нему", "ней", "нем", "их", "них"]
)


def _people_by_sentence(spans: Sequence[NamedSpan]) -> dict[int, list[NamedSpan]]:
    people: dict[int, list[NamedSpan]] = {}
    for span in spans:
        if span.kind == PER:
            people.setdefault(span.sentence, []).append(span)
    return people


def _after_one_person(parsed: ParsedText) -> list[tuple[int, int, int, int]]:
    """Sentences that name no person, right after one naming a single person (one surname): where a title
    or a pronoun alone may stand for that person. (sentence, its stop offset, first token, end token)."""
    starts = [t.start for t in parsed.tokens]
    people = _people_by_sentence(parsed.spans)
    found = []
    for sentence, (begin, stop) in enumerate(parsed.sentences):
        previous = people.get(sentence - 1)
        if sentence in people or not previous or len({_surname(s) for s in previous}) != 1:
            continue
        found.append((sentence, stop, bisect.bisect_left(starts, begin), bisect.bisect_left(starts, stop)))
    return found


def _filled_in(parsed: ParsedText) -> ParsedText:
    """The tagger runs only on sentences with a name or speech (entities.py): in the sentences after a single
    person the words' likeliest dictionary readings stand in, enough to find a nominative title, an
    instrumental one and their verb."""
    untagged = [
        (lo, hi)
        for _, _, lo, hi in _after_one_person(parsed)
        if any(t.pos == "X" for t in parsed.tokens[lo:hi])
    ]
    return _with_dictionary_morphology(parsed, untagged) if untagged else parsed


_SUBJECT_PRONOUNS = {"он": "Masc", "она": "Fem"}


def _pronoun_antecedent(parsed: ParsedText, index: int, spans: Sequence[NamedSpan]) -> NamedSpan | None:
    """The person "он" / "она" stands for, when a predicate's subject: the single person of the sentence
    before, when the pronoun's sentence names nobody and the name's gender, if known, agrees."""
    tokens = parsed.tokens
    token = tokens[index]
    sentence = next((k for k, (b, e) in enumerate(parsed.sentences) if b <= token.start < e), None)
    people = _people_by_sentence(spans)
    previous = people.get(sentence - 1) if sentence is not None else None
    if sentence is None or sentence in people or not previous or len({_surname(s) for s in previous}) != 1:
        return None
    person = previous[-1]
    starts = [t.start for t in tokens]
    name = tokens[bisect.bisect_left(starts, person.start) : bisect.bisect_left(starts, person.stop)]
    gender = _gender_of(name)
    if gender is not None and gender != _SUBJECT_PRONOUNS.get(fold(token.text)):
        return None
    return person


def _pronoun_predicate(parsed: ParsedText, lo: int, hi: int) -> bool:
    """A sentence with "он" / "она" and a title in the instrumental: "Сейчас он является депутатом"."""
    tokens = parsed.tokens[lo:hi]
    return any(fold(t.text) in _SUBJECT_PRONOUNS for t in tokens) and any(
        _case(t) == "Ins" and is_role_noun(t) for t in tokens
    )


def _title_only_roles(parsed: ParsedText, spans: Sequence[NamedSpan]) -> list[RoleSpan]:
    """A title with no name, subject of the sentence right after one that names a single person, is that
    person's: "Иван Петров прибыл в Казань. Министр финансов Татарстана провёл там два дня" (coreference by
    title; a person named by title alone in the same or a farther sentence is not attempted). Not when the
    title's verb says another gender than the name does, nor when the title is defined by another title
    ("Помощник президента заявил": the president's aide is someone else)."""
    tokens = parsed.tokens
    starts = [t.start for t in tokens]
    people = _people_by_sentence(spans)
    found: list[RoleSpan] = []
    for sentence, stop, lo, hi in _after_one_person(parsed):
        previous = people[sentence - 1]
        head = _subject_title(parsed, lo, hi)
        if head is None or any(fold(t.text) in _THIRD_PERSON for t in tokens[lo:head]):
            # "По его словам, председатель ...", "его хозяин": a pronoun before the title already stands for
            # the person named before, so the title is someone else's.
            continue
        end = _subject_title_end(tokens, head, _title_end(parsed, head, stop, spans, None))
        if any(is_role_noun(t) for t in tokens[head + 1 : end]):
            continue
        person = previous[-1]
        name = tokens[bisect.bisect_left(starts, person.start) : bisect.bisect_left(starts, person.stop)]
        if name and _case(name[-1]) == "Gen":
            continue  # a name in the genitive depends on another noun: "представитель партии Цвангираи"
        verb = next(
            (t for t in tokens[end:hi] if t.pos in ("VERB", "AUX") and t.feat("Gender") is not None), None
        )
        verb_gender, name_gender = (verb.feat("Gender") if verb else None), _gender_of(name)
        if verb_gender and name_gender and verb_gender != name_gender:
            continue
        first = head
        while first > lo and _modifier(tokens[first - 1]) and _case(tokens[first - 1]) == "Nom":
            first -= 1
        role = _role_span(parsed, person, list(tokens[first:end]), tokens[head], spans)
        found.append(replace(role, sentence=sentence))
    return found


def russian_roles(parsed: ParsedText) -> list[RoleSpan]:
    """Roles stated next to each person's name in a Russian article, or as a predicate of the name."""
    parsed = _filled_in(parsed)
    tokens = parsed.tokens
    starts = [t.start for t in tokens]
    spans = parsed.spans
    trees = sentence_trees(parsed)
    found: list[RoleSpan] = []
    for span in spans:
        if span.kind != PER:
            continue
        tree = trees.get(span.sentence)
        first = bisect.bisect_left(starts, span.start)
        after = bisect.bisect_left(starts, span.stop)
        roles = _roles_before(parsed, span, first, spans, tree)
        roles.extend(_roles_after(parsed, span, after, spans, tree))
        found.extend(role for role in roles if role.title)
    found.extend(role for role in _list_roles(parsed, trees, spans) if role.title)
    found.extend(role for role in _predicate_roles(parsed, trees, spans) if role.title)
    found.extend(role for role in _title_only_roles(parsed, spans) if role.title)
    return found
