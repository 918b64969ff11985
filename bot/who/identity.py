"""One person across articles: which stored entity a newly analysed entity is, as a pure function.

Articles name a well-known person by surname alone ("Путин") once readers know who is meant, and
transliterate foreign names inconsistently ("Тереза Мэй"/"Тереза Мей"). ``resolve`` takes a batch of
analysed articles' entities and the stored candidates storage loaded for them (people by surname key,
entities by key), and returns the changeset: identities to create, identities to merge, and the identity
of each entity of each article. bot/who/store.py runs it between storage's loads and writes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from bot.analysis.entities import PER, first_names_agree, fold, name_stem, same_surname

# Letters Russian renders of one foreign name disagree on: Г/Х (Heiko: Гайко/Хайко), З/С (Asia:
# Азия/Асия), Э/Е/Я and А/О (Sands: Сэндс/Сандс, Skvernelis: Сквернялис/Сквярнялис), Й/И, soft and hard
# signs, doubled consonants.
_VOWELS_RE = re.compile(r"[аеёиоуыэюяй]+")
_SIGNS_RE = re.compile(r"[ьъ'’]")
_LETTERS = str.maketrans({"г": "х", "з": "с", "д": "т", "б": "п", "в": "ф", "ж": "ш"})  # and voicing: Дональт
# How many letters a surname's stem needs before a looser spelling is trusted: with a full first name that
# agrees, with only an initial, and with no first name at all (a single name: "Мухаммед"/"Мухаммад").
MIN_VARIANT_LETTERS = {"name": 4, "initial": 5, "alone": 7}


def name_skeleton(word: str) -> str:
    """A name with what transliterations disagree on blurred: the first letter, then consonants with every
    run of vowels as one mark. "Сквернялис" and "Сквярнялис" share "скв*рн*л*с"; "Хайко" and "Гайко" too."""
    s = _SIGNS_RE.sub("", fold(word).rstrip(".")).translate(_LETTERS)
    s = re.sub(r"(.)\1+", r"\1", s)
    if not s:
        return ""
    return s[0] + _VOWELS_RE.sub("*", s[1:])


# A name in Latin letters as a Russian text renders it, closely enough for ``name_skeleton``, which blurs
# vowels, voicing and doubled letters anyway: "Donald Trump"/"Дональд Трамп", "Boris Johnson"/"Борис
# Джонсон", "Jerome Powell"/"Джером Пауэлл". Digraphs first; "c" is "с" before e, i, y; "h" after a vowel
# and before no vowel is silent ("John", "Sarah"); an initial "e" is "э" ("Erdogan"/"Эрдоган").
_LATIN_DIGRAPHS = (
    ("sch", "ш"), ("sh", "ш"), ("ch", "ч"), ("zh", "ж"), ("kh", "х"), ("ts", "ц"), ("th", "т"), ("ph", "ф"),
    ("ck", "к"), ("qu", "кв"), ("dj", "дж"), ("j", "дж"), ("x", "кс"), ("w", "у"), ("y", "и"),
)  # fmt: skip
_LATIN_LETTERS = str.maketrans("abdefgiklmnopqrstuvz", "абдефгиклмнопкрстувз")
_LATIN_VOWELS = "aeiouy"
_SILENT_H_RE = re.compile(rf"(?<=[{_LATIN_VOWELS}])h(?![{_LATIN_VOWELS}])")
_SOFT_C_RE = re.compile(r"c(?=[eiy])")
_LATIN_NAME_RE = re.compile(r"^[a-z'’.\- ]+$")


def _latin(word: str) -> bool:
    return bool(_LATIN_NAME_RE.match(fold(word))) and any(ch.isalpha() for ch in word)


def transliterated(word: str) -> str:
    """A Latin-letter name in Cyrillic letters, as ``name_skeleton`` compares it; other words unchanged."""
    s = fold(word)
    if not _latin(s):
        return s
    s = _SILENT_H_RE.sub("", s)
    s = _SOFT_C_RE.sub("s", s).replace("c", "k")
    if s.startswith("e"):
        s = "э" + s[1:]
    for latin, cyrillic in _LATIN_DIGRAPHS:
        s = s.replace(latin, cyrillic)
    return s.replace("h", "х").translate(_LATIN_LETTERS)


def cross_script_skeleton(word: str) -> str:
    """``name_skeleton`` of a name in either script, without a final vowel (English writes one Russian drops:
    "Mike"/"Майк", and Russian case endings leave one: "Помпео"/"Pompeo")."""
    return name_skeleton(transliterated(word).replace("э", "е")).rstrip("*")


# Ukrainian given names English writes as Ukrainian and Russian as Russian ("Volodymyr Zelensky"/"Владимир
# Зеленский"): the Russian form they stand for.
# fmt: off
UKRAINIAN_GIVEN_NAMES = {
    "volodymyr": "владимир", "oleksandr": "александр", "oleksiy": "алексей", "oleksii": "алексей",
    "mykola": "николай", "mykhailo": "михаил", "serhiy": "сергей", "serhii": "сергей", "andriy": "андрей",
    "andrii": "андрей", "dmytro": "дмитрий", "petro": "петр", "yuriy": "юрий", "yurii": "юрий",
    "kyrylo": "кирилл", "vitaliy": "виталий", "vitalii": "виталий", "yevhen": "евгений", "ihor": "игорь",
    "pavlo": "павел", "denys": "денис", "vasyl": "василий", "hennadiy": "геннадий", "anatoliy": "анатолий",
    "arseniy": "арсений", "oleh": "олег", "olena": "елена", "yuliia": "юлия", "iryna": "ирина",
}
# fmt: on


def _cross_script_forms(word: str) -> set[str]:
    """``cross_script_skeleton`` of a name's stem and of the name as written: a Russian case-ending rule can
    take a foreign name's own ending ("Джером" → "Джер"); a Ukrainian given name stands for its Russian form
    too."""
    forms = {cross_script_skeleton(name_stem(word)), cross_script_skeleton(word.rstrip("."))}
    russian = UKRAINIAN_GIVEN_NAMES.get(fold(word))
    return forms | ({cross_script_skeleton(russian)} if russian else set())


def _scripts_differ(a: str, b: str) -> bool:
    return _latin(a) != _latin(b)


def _across_scripts(a: str, b: str, min_letters: int) -> bool:
    """One name in Latin and in Cyrillic letters, each stem at least ``min_letters`` long."""
    long_enough = min(len(name_stem(a)), len(name_stem(b))) >= min_letters
    return long_enough and bool(_cross_script_forms(a) & _cross_script_forms(b))


def surname_variant_key(surname: str) -> str:
    """What storage files a person under to find every spelling of their surname, in either script: the
    skeleton of its stem (``cross_script_skeleton``)."""
    return cross_script_skeleton(name_stem(surname))


# English writes one Slavic ending several ways ("Zelensky", "Zelenskiy", "Zelenskyy"); blurring Latin vowels
# as the Cyrillic skeleton does would join other people ("Walker"/"Welker", "Hill"/"Hall").
_LATIN_FINAL_I_RE = re.compile(r"[iyj]+$")


def surnames_are_variants(a: str, b: str, evidence: str = "initial") -> bool:
    """One surname spelt two ways: equal by ``same_surname``, or equal skeletons of names long enough for
    the ``evidence`` the rest of the name gives ("name", "initial" or "alone"). In two scripts ("Trump"/
    "Трамп") only with a full given name that agrees ("name")."""
    if same_surname(a, b):
        return True
    stem_a, stem_b = name_stem(a), name_stem(b)
    long_enough = min(len(stem_a), len(stem_b)) >= MIN_VARIANT_LETTERS[evidence]
    if _scripts_differ(a, b):
        return evidence == "name" and _across_scripts(a, b, MIN_VARIANT_LETTERS["name"])
    if _latin(a):  # the skeleton blurs Cyrillic letters; in Latin ones only a final i/y run does
        return long_enough and _LATIN_FINAL_I_RE.sub("i", fold(stem_a)) == _LATIN_FINAL_I_RE.sub(
            "i", fold(stem_b)
        )
    return long_enough and name_skeleton(stem_a) == name_skeleton(stem_b)


def _one_surname_across_scripts(a: str, b: str) -> bool:
    """A surname in Latin and in Cyrillic letters, long enough to be told by itself ("Trump"/"Трампа"), and
    opening with the letter Russian writes for the Latin one: the skeleton blurs Г/Х and voicing, which
    tells nothing across scripts (NER's «Хеллоуином» is not "Gillan")."""
    return _across_scripts(a, b, MIN_VARIANT_LETTERS["initial"]) and _first_letter(a) == _first_letter(b)


def names_across_scripts(query: str, name: str) -> bool:
    """Whether a name written in one script ("Peskov", "Dmitry Peskov") is a person's name in the other
    ("Дмитрий Песков"): the surname long enough to cross scripts by itself and opening with the same letter
    (``_one_surname_across_scripts``), and any given name written agreeing with theirs."""
    asked, theirs = query.split(), name.split()
    if not asked or not theirs or not _scripts_differ(asked[-1], theirs[-1]):
        return False
    if not _one_surname_across_scripts(asked[-1], theirs[-1]):
        return False
    given = " ".join(asked[:-1])
    return not given or given_names_evidence(given, " ".join(theirs[:-1])) is not None


def _first_letter(name: str) -> str:
    return transliterated(name)[:1].replace("э", "е")


def _given_names_agree(a: str, b: str) -> bool:
    if _scripts_differ(a.rstrip("."), b.rstrip(".")):
        # "Donald"/"Дональд", "Mike"/"Майк": full names only, an initial's letter differs by script
        return not a.endswith(".") and not b.endswith(".") and _across_scripts(a, b, 3)
    if first_names_agree(a, b):
        return True
    short, full = sorted((fold(a), fold(b)), key=len)
    if short.endswith(".") and len(short) > 2 and full.startswith(short.rstrip(".")):
        return True  # "Дж." for "Джереми"
    stem_a, stem_b = name_stem(a), name_stem(b)
    return min(len(stem_a), len(stem_b)) >= 3 and name_skeleton(stem_a) == name_skeleton(stem_b)


def given_names_evidence(a: str, b: str) -> str | None:
    """What two given-name parts say about one person: "name" when a full name agrees (spelt either way,
    any word of either: "Хадим Хусейн"/"Хадим", a title NER glued on: "Ксендз Вальдемар"/"Вальдемар"),
    "initial" when only an initial agrees, "alone" when neither has one, None when they disagree."""
    words_a, words_b = a.replace(".", ". ").split(), b.replace(".", ". ").split()
    if not words_a and not words_b:
        return "alone"
    if not words_a or not words_b:
        return None
    agreeing = [(x, y) for x in words_a for y in words_b if _given_names_agree(x, y)]
    if not agreeing:
        return None
    full = any(len(x) > 1 and len(y) > 1 and not x.endswith(".") and not y.endswith(".") for x, y in agreeing)
    return "name" if full else "initial"


@dataclass(frozen=True)
class Named:
    """An entity of an analysed article as identity sees it: its key, kind and display name."""

    key: str
    kind: str
    name: str
    mentions: int = 0  # how many times the article names it
    given_name: bool = False  # a first name alone ("Галина"): filed apart from surnames (GIVEN_NAME_KEY)


@dataclass(frozen=True)
class Known:
    """A stored identity (or one the batch creates, with a negative id), with its mentions so far."""

    id: int
    key: str
    kind: str
    name: str
    mentions: int
    surname: str | None = None  # the surname key it is filed under (people)
    other_name: str | None = None  # a person's full name in the other script, once known ("Bashar al-Assad")


# The key of a person named by a first name alone opens with this: such a person is looked up among the
# others named so ("Мухаммед"/"Магомет"), never among surnames: «дочь Галину» is not Karen Gillan, and no
# "Таня" joins "Денис Тен".
GIVEN_NAME_KEY = "~"


def known_by_a_given_name(key: str | None) -> bool:
    """Whether a stored surname key is of a person known only by a first name (``GIVEN_NAME_KEY``)."""
    return (key or "").startswith(GIVEN_NAME_KEY)


def surname_key(kind: str, name: str, given_name: bool = False) -> str | None:
    """The key people are looked up by: every spelling of one surname shares it (``surname_variant_key``);
    which of those candidates a name really is, ``canonical_key`` decides."""
    parts = name.replace(".", ". ").split()
    if kind != PER or not parts:
        return None
    return (GIVEN_NAME_KEY if given_name else "") + surname_variant_key(parts[-1])


def _name_parts(name: str) -> tuple[str, str]:
    """(first name or initial, surname) of a display name; a single word counts as a surname."""
    words = name.replace(".", ". ").split()
    if len(words) == 1:
        return "", words[0]
    return words[0], words[-1]


def _given_names(name: str) -> str:
    """Every word of a display name before its surname."""
    return " ".join(name.replace(".", ". ").split()[:-1])


def canonical_key(entity: Named, known: Iterable[Known]) -> str:
    """The key to file a new entity under: its own, or that of the known entity it most likely is.

    A surname-only person joins the best-known person with that surname (a full name preferred);
    a full name joins a known full name with the same surname and a compatible first name or initial,
    so spelling variants of one name ("Мэй"/"Мей", "Дэвис"/"Девис") become one person, in either script
    ("Donald Trump"/"Дональд Трамп", and "Trump" alone joins him as "Трамп" would). Transliteration
    variants of a foreign name ("Гайко Маас"/"Хайко Маас", "С. Сквернялис"/"Саулюс Сквярнялис") join only
    when both first names are given and agree too: a surname alone, or another first name, stays apart.
    """
    known = list(known)
    if any(k.key == entity.key for k in known):
        return entity.key
    if entity.kind != PER:
        return entity.key
    first, last = _name_parts(entity.name)
    best: tuple[tuple[int, int], str] | None = None
    for candidate in known:
        if candidate.kind != PER:
            continue
        c_first, c_last = _name_parts(_in_script_of(candidate, entity.name))
        exact = same_surname(c_last, last) and first_names_agree(c_first, first)
        if not first and _scripts_differ(c_last, last):
            # "Trump" alone joins "Дональд Трамп" as "Трамп" alone would: one surname in two scripts
            exact = _one_surname_across_scripts(c_last, last)
        if not exact:
            evidence = given_names_evidence(_given_names(candidate.name), _given_names(entity.name))
            if evidence is None or not surnames_are_variants(c_last, last, evidence):
                continue
        if first and not c_first:
            # The new full name is more specific than a stored surname: keep the full name's key.
            continue
        rank = (1 if c_first and len(c_first.rstrip(".")) > 1 else 0, candidate.mentions)
        if best is None or rank > best[0]:
            best = (rank, candidate.key)
    return best[1] if best else entity.key


def _in_script_of(known: Known, name: str) -> str:
    """The known person's name in the script ``name`` is written in, when storage has it: "Assad" alone is
    compared with "Bashar al-Assad", not with the «Башар Асад» shown, so one spelling in one script joins
    him as «Асад» alone joins «Башар Асад» (a surname this short never crosses scripts by itself)."""
    if known.other_name and _scripts_differ(known.name, name) and not _scripts_differ(known.other_name, name):
        return known.other_name
    return known.name


@dataclass(frozen=True)
class Create:
    """A new identity; ``ref`` (negative) names it until storage gives it an id."""

    ref: int
    key: str
    kind: str
    name: str
    surname: str | None


@dataclass(frozen=True)
class Merge:
    """Identity ``source`` becomes ``target`` (ids, or refs of identities created in the batch)."""

    source: int
    target: int


@dataclass(frozen=True)
class OtherScriptName:
    """Identity ``identity`` (an id or a ref) is also named ``name``, a full name in the other script than its
    own ("Donald Trump" for "Дональд Трамп"): what readers of that language are shown."""

    identity: int
    name: str


@dataclass(frozen=True)
class Rename:
    """Identity ``identity`` (an id or a ref) is shown as ``name`` from now on: a full given name where it had
    an initial."""

    identity: int
    name: str


@dataclass(frozen=True)
class IdentityInput:
    articles: tuple[tuple[Named, ...], ...]  # the batch, in storing order; each article's entities in order
    people: tuple[Known, ...]  # stored people under the surname keys of the batch's people
    ids: Mapping[str, int]  # the stored id of each key of the batch's entities that is stored


@dataclass(frozen=True)
class ArticleIdentities:
    # applied in order before the article's rows are written
    steps: tuple[Create | Merge | OtherScriptName | Rename, ...]
    ids: Mapping[str, int]  # entity key → identity, as the article's rows are written


@dataclass(frozen=True)
class Resolution:
    articles: tuple[ArticleIdentities, ...]
    merged: Mapping[int, int] = field(default_factory=dict)  # identity → the one it was merged into

    def final(self, identity: int) -> int:
        """The identity one stands for once the whole batch is merged (transitively)."""
        while identity in self.merged:
            identity = self.merged[identity]
        return identity


def _words(name: str) -> list[str]:
    return name.replace(".", ". ").split()


def misread_names(name: str) -> list[str]:
    """What a name NER misread may stand for, tried when nobody is known by the name as read: one word
    joined by a hyphen ("Азию-Биби": "Азию Биби"), a surname read twice ("Дэвис Дэвис": "Дэвис")."""
    parts = _words(name)
    if len(parts) == 1 and parts[0].count("-") == 1:
        first, last = parts[0].split("-")
        if first[:1].isupper() and last[:1].isupper():
            return [f"{first} {last}"]
    if len(parts) == 2 and same_surname(parts[0], parts[1]):
        return [parts[1]]
    return []


def surname_keys(kind: str, name: str, given_name: bool = False) -> set[str]:
    """Every surname key a name is looked up under: its own, and those of its misreadings."""
    misread = misread_names(name) if kind == PER else []  # "Азию-Биби": "Азию Биби", a surname
    keys = {surname_key(kind, name, given_name), surname_key(kind, name)} | {
        surname_key(kind, n) for n in misread
    }
    return {k for k in keys if k is not None}


def first_names_alone(entities: Sequence[Named]) -> dict[str, str]:
    """People an article names by their first name alone ("Асия" after "Асия Биби", "Юлия" beside "Юлия
    Скрипаль"): key → the key of the one full name of the article whose first name it is. A word that is
    also the surname of a person of the article, or the first name of two, names nobody for sure."""
    people = [e for e in entities if e.kind == PER]
    full = [(e, _words(e.name)) for e in people if len(_words(e.name)) > 1]
    alone: dict[str, str] = {}
    for e in people:
        parts = _words(e.name)
        if len(parts) != 1 or len(parts[0].rstrip(".")) < 3 or parts[0].endswith("."):
            continue
        if any(surnames_are_variants(parts[0], words[-1]) for _, words in full):
            continue
        named = {f.key for f, words in full if _given_names_agree(parts[0], words[0])}
        if len(named) == 1:
            alone[e.key] = named.pop()
    return alone


class _Resolver:
    """The batch's working state: what storage will hold after each step, kept as storage would."""

    def __init__(self, batch: IdentityInput) -> None:
        self.people: dict[str, list[Known]] = {}
        for person in batch.people:
            if person.surname is not None:
                self.people.setdefault(person.surname, []).append(person)
        self.by_key = dict(batch.ids)
        self.merged: dict[int, int] = {}
        self.steps: list[Create | Merge | OtherScriptName | Rename] = []
        self.last_ref = 0

    def final(self, identity: int) -> int:
        while identity in self.merged:
            identity = self.merged[identity]
        return identity

    def article(self, entities: Sequence[Named]) -> ArticleIdentities:
        self.steps = []
        named_by = first_names_alone(entities)
        found = {e.key: self.entity(e) for e in entities if e.key not in named_by}
        found |= {key: found[full] for key, full in named_by.items()}
        ids = {e.key: self.final(found[e.key]) for e in entities}
        counts: dict[int, int] = {}
        for e in entities:
            counts[ids[e.key]] = counts.get(ids[e.key], 0) + e.mentions
        for surname, rows in self.people.items():
            self.people[surname] = [
                replace(r, mentions=r.mentions + counts[r.id]) if r.id in counts else r for r in rows
            ]
        return ArticleIdentities(tuple(self.steps), ids)

    def entity(self, entity: Named) -> int:
        key, surname = entity.key, surname_key(entity.kind, entity.name, entity.given_name)
        if entity.given_name and key not in self.by_key:
            # A word the dictionary calls a first name may be the surname of someone known ("Биби" of "Азия
            # Биби"): that person, spelt the same, in the same script; a lookalike never.
            same = [
                r
                for r in self.people.get(surname_key(entity.kind, entity.name) or "", [])
                if len(_words(r.name)) > 1
                and same_surname(_name_parts(r.name)[1], entity.name)
                and not _scripts_differ(r.name, entity.name)
            ]
            if same:
                return max(same, key=lambda r: r.mentions).id
        if surname is not None:
            known = self.people.setdefault(surname, [])
            key = canonical_key(entity, known)
            same = [r for r in known if r.key == key]
            if same:
                self.other_script_name(same[0], entity)
                self.fuller_name(same[0], entity)
                return same[0].id
        if key in self.by_key:
            return self.by_key[key]
        for reading in misread_names(entity.name) if entity.kind == PER else ():
            probe = Named(entity.key, entity.kind, reading)
            known = self.people.get(surname_key(PER, reading) or "", [])
            same = [r.id for r in known if r.key == canonical_key(probe, known)]
            if same:
                return same[0]
        self.last_ref -= 1
        ref = self.last_ref
        self.steps.append(Create(ref, key, entity.kind, entity.name, surname))
        self.by_key[key] = ref
        if surname is not None:
            row = Known(ref, key, entity.kind, entity.name, 0, surname)
            self.people[surname].append(row)
            if len(entity.name.split()) > 1:
                self.absorb_surname_only(row)
        return ref

    def other_script_name(self, known: Known, entity: Named) -> None:
        """A full name joining a person named in the other script is that person's name there (the first
        one; storage keeps a name it has)."""
        if (
            known.other_name is not None
            or len(_words(entity.name)) < 2
            or not _scripts_differ(known.name, entity.name)
        ):
            return
        self.steps.append(OtherScriptName(known.id, entity.name))
        assert known.surname is not None  # a person, found under a surname key
        named = replace(known, other_name=entity.name)
        self.people[known.surname] = [named if r.id == known.id else r for r in self.people[known.surname]]
        # named in this script now: a surname alone filed before in this script is this person, as it would
        # be had the full name come first ("Assad" before "Bashar al-Assad")
        self.absorb_surname_only(named, entity.name)

    def fuller_name(self, known: Known, entity: Named) -> None:
        """A person first named with an initial ("В. Путин") is shown by the first full given name that joins
        them ("Владимир Путин"): a display name, the key stays."""
        given, _ = _name_parts(known.name)
        new_given, _ = _name_parts(entity.name)
        if (
            known.surname is None
            or not given.endswith(".")
            or len(new_given.rstrip(".")) < 2
            or new_given.endswith(".")
            or _scripts_differ(known.name, entity.name)
        ):
            return
        self.steps.append(Rename(known.id, entity.name))
        self.people[known.surname] = [
            replace(r, name=entity.name) if r.id == known.id else r for r in self.people[known.surname]
        ]

    def absorb_surname_only(self, full: Known, name: str | None = None) -> None:
        """A surname stored alone ("Уиткофф") becomes the first full name seen with it ("Стив Уиткофф"),
        unless several full names share that surname and the earlier mentions cannot be told apart.
        ``name``: the person's full name to read the surname and its script from, when not the one shown
        (their name in the other script, just learnt)."""
        assert full.surname is not None
        name = name or full.name
        surname = _name_parts(name)[1]
        # A surname alone in the other script shares the key but is absorbed only if long enough to tell
        # by itself ("Trump" by "Дональд Трамп"; not "Cook" by "Тим Кук"), as canonical_key would join it.
        # In one script, a surname alone joins only a spelling of the same surname: the key blurs vowels and
        # voicing, so "Дюков" shares one with "Токаев" and "Татьяна" with "Додон".
        apart = [
            r
            for r in self.people[full.surname]
            if r.id != full.id
            and len(r.name.split()) == 1
            and (
                not _one_surname_across_scripts(r.name, surname)
                if _scripts_differ(r.name, name)
                else not surnames_are_variants(r.name, surname, "alone")
            )
        ]
        others = [r for r in self.people[full.surname] if r.id != full.id and r not in apart]
        if not others or any(len(r.name.split()) > 1 for r in others):
            return
        for other in others:
            self.steps.append(Merge(other.id, full.id))
            self.merged[other.id] = full.id
            for k in [k for k, v in self.by_key.items() if v == other.id]:
                del self.by_key[k]
        # The merged identities are gone; the full name has their mentions.
        self.people[full.surname] = [
            replace(full, mentions=full.mentions + sum(r.mentions for r in others)),
            *apart,
        ]


def resolve(batch: IdentityInput) -> Resolution:
    """Each article's entities resolved to one identity across articles, in order, each seeing the
    identities stored and those the articles before it created or merged: a known key is that entity; a
    person is filed under ``canonical_key`` among the stored people sharing their surname key; a new full
    name absorbs the surname-only people filed under its surname when no other full name shares it."""
    resolver = _Resolver(batch)
    articles = tuple(resolver.article(entities) for entities in batch.articles)
    return Resolution(articles, dict(resolver.merged))
