"""Named entities of one article: people, organisations and places with every mention.

Russian text goes through natasha (razdel segmentation, slovnet morphology and NER, pymorphy
normalisation); English text through the rules in ``english.py``. Both end in the same grouping step,
which turns inflected mentions ("Путиным", "Владимира Путина", "Путин") into one entity per article.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from bot.analysis.invisible import visible_text
from bot.analysis.speech_verbs import RUSSIAN_SPEECH_VERBS

PER, ORG, LOC = "PER", "ORG", "LOC"


@dataclass(frozen=True, order=True)
class Mention:
    """One occurrence of an entity: character offsets into the analysed text and its sentence index."""

    start: int
    stop: int
    text: str
    sentence: int


@dataclass(frozen=True)
class Entity:
    """A person, organisation or place of one article; ``key`` is what storage links across articles."""

    key: str
    kind: str
    name: str
    mentions: tuple[Mention, ...]
    # A person the article names by a first name alone ("дочь Галину"): no surname to file them under.
    given_name: bool = False


@dataclass(frozen=True)
class Token:
    """A word as the tagger saw it in context: UD part of speech and features ("Case", "Gender", ...)."""

    start: int
    stop: int
    text: str
    pos: str = "X"
    feats: tuple[tuple[str, str], ...] = ()

    def feat(self, name: str) -> str | None:
        for key, value in self.feats:
            if key == name:
                return value
        return None


@dataclass(frozen=True)
class NamedSpan:
    """A recognised name before grouping: kind, nominative form and, for people, its parts."""

    start: int
    stop: int
    text: str
    kind: str
    normal: str
    sentence: int
    first: str = ""
    last: str = ""


@dataclass(frozen=True)
class ParsedText:
    """What the language-specific front end hands to roles and quotes: sentences, tagged words, names."""

    text: str
    lang: str
    sentences: tuple[tuple[int, int], ...]
    tokens: tuple[Token, ...]
    spans: tuple[NamedSpan, ...]


# Well-known organisations and places written several ways: kind, display name, the name English replies
# use, and the variants. Variants are lower-case with "ё" folded to "е".
# fmt: off
ALIASES: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    (ORG, "Евросоюз", "European Union", ("ес", "евросоюз", "европейский союз", "eu", "european union")),
    (ORG, "ООН", "United Nations", ("оон", "организация объединенных наций", "un", "united nations")),
    (ORG, "НАТО", "NATO", ("нато", "североатлантический альянс", "nato")),
    (ORG, "МИД России", "Russian Foreign Ministry",
     ("мид россии", "мид рф", "министерство иностранных дел россии")),
    (ORG, "Госдума", "State Duma", ("госдума", "государственная дума")),
    (ORG, "Кремль", "Kremlin", ("кремль", "kremlin")),
    (LOC, "США", "United States",
     ("сша", "соединенные штаты", "соединенные штаты америки", "америка", "штаты", "us", "u.s.", "usa",
      "united states", "united states of america", "america")),
    (LOC, "Россия", "Russia", ("россия", "рф", "российская федерация", "russia", "russian federation")),
    (LOC, "Белоруссия", "Belarus", ("белоруссия", "беларусь", "республика беларусь", "belarus")),
    (LOC, "Великобритания", "United Kingdom", ("великобритания", "британия", "соединенное королевство", "uk",
                                               "u.k.", "britain", "great britain", "united kingdom")),
    (LOC, "Германия", "Germany", ("германия", "фрг", "germany")),
    (LOC, "Китай", "China", ("китай", "кнр", "china")),
    (LOC, "Украина", "Ukraine", ("украина", "ukraine")),
    (LOC, "Франция", "France", ("франция", "france")),
    (LOC, "Турция", "Turkey", ("турция", "турецкая республика", "turkey", "turkiye")),
)
# fmt: on
# fmt: off
ALIAS_INDEX: dict[str, tuple[str, str]] = {
    variant: (kind, name) for kind, name, _, variants in ALIASES for variant in variants
}
# fmt: on
ENGLISH_NAMES: dict[str, str] = {name: english for _, name, english, _ in ALIASES}


def fold(text: str) -> str:
    """Lower case with "ё" as "е": how Russian readers compare names."""
    return text.lower().replace("ё", "е").strip()


def canonical_name(kind: str, normal: str) -> tuple[str, str]:
    """(kind, display name) after the alias table: "ЕС" and "Евросоюз" are one organisation."""
    return ALIAS_INDEX.get(fold(normal), (kind, normal))


def entity_key(kind: str, name: str) -> str:
    return f"{kind}:{fold(name)}"


# The Arabic article before a name, in either script, as news write it or leave it out: "al-Assad" and
# "Assad", «аль-Асад» and «Асад» are one surname (bot/analysis/english_ner.py reads "al-Assad" as a name).
ARABIC_ARTICLES = ("al", "el", "ad", "an", "ar", "as", "ash", "at", "az")
_ARABIC_ARTICLES_CYRILLIC = ("аль", "эль", "ал", "ад", "ан", "ар", "ас", "аш", "ат", "аз")
_ARABIC_ARTICLE_RE = re.compile(rf"^(?:{'|'.join(ARABIC_ARTICLES + _ARABIC_ARTICLES_CYRILLIC)})-(?=\w{{3}})")


def surname_fold(surname: str) -> str:
    """A surname folded over spelling and gender variants: "Мэй"/"Мей", "Захарова"/"Захаров", "Рааб"/"Раб",
    "al-Assad"/"Assad"."""
    s = _ARABIC_ARTICLE_RE.sub("", fold(surname)).replace("э", "е").replace("’", "'")
    s = re.sub(r"(.)\1+", r"\1", s)
    for feminine, masculine in SURNAME_GENDER_ENDINGS:
        if s.endswith(feminine) and len(s) > len(feminine) + 1:
            return s[: -len(feminine)] + masculine
    return s


# A Russian surname's feminine and masculine endings ("Захарова"/"Захаров", "Рынская"/"Рынский").
SURNAME_GENDER_ENDINGS = (
    ("ова", "ов"),
    ("ева", "ев"),
    ("ина", "ин"),
    ("ына", "ын"),
    ("ская", "ский"),
    ("цкая", "цкий"),
)


def surname_gender(surname: str) -> str | None:
    """ "Fem" or "Masc" for a Russian surname whose ending tells ("Миронова", "Ургант": None)."""
    s = fold(surname)
    if s.endswith(tuple(f for f, _ in SURNAME_GENDER_ENDINGS)):
        return "Fem"
    if s.endswith(tuple(m for _, m in SURNAME_GENDER_ENDINGS)):
        return "Masc"
    return None


_CASE_GRAMMEMES = {"Nom": "nomn", "Gen": "gent", "Dat": "datv", "Acc": "accs", "Ins": "ablt", "Loc": "loct"}


def first_name_gender(word: str, case: str | None = "Nom") -> str | None:
    """ "Fem" or "Masc": the gender the dictionary gives a word as a first name in that case, when it gives
    one only ("Алену": feminine; "Павла" in the accusative is Павел's, in the nominative Павла's; "Лайма" in
    the genitive is Лайм's). Not its indeclinable foreign ones ("Эммануэль" is feminine there: Fixd)."""
    from bot.analysis.morph import russian_morph

    grammeme = _CASE_GRAMMEMES.get(case or "")
    if grammeme is None:
        return None
    genders = {
        "Fem" if "femn" in p.tag else "Masc" if "masc" in p.tag else "?"
        for p in russian_morph()(fold(word))
        if "Name" in p.tag and p.is_known and "Fixd" not in p.tag and grammeme in p.tag
    }
    return genders.pop() if len(genders) == 1 and "?" not in genders else None


_CASE_ENDING_RE = re.compile(r"(?:ами|ями|ой|ей|ом|ем|ою|ею|ам|ям|ах|ях|а|я|у|ю|е|и|ы|о|ь)$")


def name_stem(word: str) -> str:
    """A name without its case ending, for names the dictionary does not know and NER left inflected:
    "Асии"/"Асию"/"Асия", "Рааба"/"Рааб"."""
    s = surname_fold(word).rstrip(".")
    stripped = _CASE_ENDING_RE.sub("", s)
    return stripped if len(stripped) >= 3 else s


def same_surname(a: str, b: str) -> bool:
    """Surnames match when their folds agree, or once a case ending NER left unnormalised is dropped."""
    fa, fb = surname_fold(a), surname_fold(b)
    if fa == fb:
        return True
    short, long = sorted((fa, fb), key=len)
    if len(short) >= 4 and long.startswith(short) and len(long) - len(short) <= 2:
        return True
    return name_stem(a) == name_stem(b)


def first_names_agree(a: str, b: str) -> bool:
    """First names agree when either is unknown, initials match ("Б." and "Борис"), or they are one name."""
    if not a or not b:
        return True
    fa, fb = surname_fold(a).rstrip("."), surname_fold(b).rstrip(".")
    if len(fa) == 1 or len(fb) == 1:
        return fa[:1] == fb[:1]
    return fa == fb or name_stem(fa) == name_stem(fb)


# ---------------------------------------------------------------- segmentation and credits


_PARAGRAPH_RE = re.compile(r"[^\n]+")

# Photo credits and bylines name photographers and authors, not people the article is about:
# "(Фото: Роман Наумов / URA.RU / Global Look Press)", "Автор: ...", "Photo: ...".
_CREDIT_RE = re.compile(
    r"\(?\s*(?:фото|фотограф|фотография|автор(?:\s+фото)?|текст|видео|иллюстрация|кадр|скриншот|источник\s+фото"
    r"|photo|photograph|image|credit|picture|by)\s*(?::|—|-)[^\n)]*\)?"
    r"|(?:©|\(c\))[^\n)]*"
    # An agency's staff line: "(Reporting by Lucia Mutikani; Editing by Dan Grebler and Andrea Ricci)".
    r"|(?:(?<=\n)|^|\()\s*(?:additional\s+|further\s+)?(?:reporting|writing|editing|compiled|research|graphics?)"
    r"\s+by\s[^\n)]*\)?",
    re.IGNORECASE,
)


def paragraph_sentences(text: str) -> list[tuple[int, int]]:
    """Sentences split inside paragraphs first, so a photo caption never joins the next sentence."""
    from razdel import sentenize

    sentences: list[tuple[int, int]] = []
    for paragraph in _PARAGRAPH_RE.finditer(text):
        if not paragraph.group(0).strip():
            continue
        base = paragraph.start()
        for sent in sentenize(paragraph.group(0)):
            sentences.append((base + sent.start, base + sent.stop))
    return sentences


def credit_regions(text: str) -> list[tuple[int, int]]:
    """Character ranges of photo credits and bylines, whose names are not entities of the article."""
    regions = [(m.start(), m.end()) for m in _CREDIT_RE.finditer(text)]
    # A byline is a short last paragraph made only of a name, e.g. "Иван Петров" or "Ivan Petrov, Moscow".
    paragraphs = [m for m in _PARAGRAPH_RE.finditer(text) if m.group(0).strip()]
    if len(paragraphs) > 2:
        last = paragraphs[-1]
        if re.fullmatch(
            r"\s*[A-ZА-ЯЁ][\w’'-]+(?:\s+[A-ZА-ЯЁ][\w’'-]+){1,2}(?:,\s*[\w\s]{0,30})?\s*", last.group(0)
        ):
            regions.append((last.start(), last.end()))
    return regions


def sentence_index(sentences: Sequence[tuple[int, int]], offset: int) -> int:
    """The index of the sentence containing a character offset (the nearest earlier one between sentences)."""
    lo, hi = 0, len(sentences) - 1
    found = 0
    while lo <= hi:
        mid = (lo + hi) // 2
        if sentences[mid][0] <= offset:
            found = mid
            lo = mid + 1
        else:
            hi = mid - 1
    return found


# ---------------------------------------------------------------- Russian front end (natasha)


class RussianModels:
    """natasha's models, loaded once per process on first use (each worker process loads its own)."""

    def __init__(self) -> None:
        from natasha.data import NEWS_EMBEDDING, NEWS_MORPH, NEWS_NER

        from bot.analysis.morph import russian_morph
        from bot.analysis.tagger import load_taggers

        self.vocab = russian_morph()
        self.ner_tagger, self.morph_tagger = load_taggers(NEWS_EMBEDDING, NEWS_NER, NEWS_MORPH)
        # natasha's two models share their vocabularies: a document's words are encoded once for both.
        self.shared_encoding = self.morph_tagger.network.encodes_like(self.ner_tagger.network)


@lru_cache(maxsize=1)
def russian_models() -> RussianModels:
    return RussianModels()


def _is_first_name(models: RussianModels, word: str) -> bool:
    parses = models.vocab(word.lower())
    return any("Name" in p.tag for p in parses) and not any("Surn" in p.tag for p in parses)


def _is_surname(models: RussianModels, word: str) -> bool:
    return any("Surn" in p.tag for p in models.vocab(word.lower()))


_NAME_TAGS = ("Name", "Surn", "Patr", "Geox", "Orgn", "Trad")


def _is_person_noun(models: RussianModels, word: str) -> bool:
    """A dictionary noun for a kind of person and nothing else ("христианка", "ксендз", "адвокат"): NER
    pulls one into a name when it opens the sentence ("Христианка Биби…"), where its capital hides it."""
    lowered = word.lower()
    if not lowered.isalpha() or not models.vocab.word_is_known(lowered):
        return False
    parses = models.vocab(lowered)
    return bool(parses) and all(
        "NOUN" in p.tag and "anim" in p.tag and not any(t in p.tag for t in _NAME_TAGS) for p in parses
    )


def _a_title_alone(models: RussianModels, span: NamedSpan, surnames: set[str]) -> bool:
    word = span.text.strip()
    return (
        " " not in word
        and fold(span.normal) not in surnames
        and _is_person_noun(models, word)
        and all("sing" in p.tag for p in models.vocab(word.lower()))
    )


_NOT_NAME_POS = frozenset({"VERB", "INTJ"})


def _a_word_alone(models: RussianModels, span: NamedSpan) -> bool:
    """One word NER took for a name that the dictionary knows only as a verb, an interjection or a plural
    adjective, never as a first name, surname or patronymic: «Приобретай» glued to a rubric
    ("«Клерка»Приобретай опыт"), «Саратовские» in "Саратовские следователи…". Unknown words stay names."""
    word = span.text.strip()
    if " " in word or "-" in word:
        return False
    known = [p for p in models.vocab(fold(word)) if p.is_known]
    if not known or any({"Name", "Surn", "Patr"} & p.tag.grammemes for p in known):
        return False
    return all(p.pos in _NOT_NAME_POS or (p.pos == "ADJ" and "plur" in p.tag) for p in known)


def _is_initial(word: str) -> bool:
    return bool(re.fullmatch(r"[A-ZА-ЯЁ]\.?", word))


_PATRONYMIC_RE = re.compile(r"(?:вич|вна|чна|ична|ич)$")


_FLEETING_VOWEL_RE = re.compile(r"(.*[бвгджзклмнпрстфхцчшщ])[еоё]([бвгджзклмнпрстфхцчшщ])")


def _foreign_first_name(models: RussianModels, text: str, normal: str) -> str:
    """ "Хайнца Фишера" is Хайнц, not "Хайнец": for a first name the dictionary does not know, pymorphy2
    guesses a Russian fleeting vowel ("конца" → "конец"). Russian first names with one are in the
    dictionary (Павел, Лев), so an unknown one keeps its stem as written. Surnames are left alone
    ("Бурца" may well be Бурец)."""
    written, normalised = text.split(), normal.split()
    if len(written) < 2 or len(written) != len(normalised):
        return normal
    word, guess = fold(written[0]), normalised[0]
    match = _FLEETING_VOWEL_RE.fullmatch(fold(guess))
    if match is None or word == fold(guess) or not word.startswith(match.group(1) + match.group(2)):
        return normal
    if any({"Name", "Surn", "Patr"} & set(p.tag.grammemes) for p in models.vocab(word)):
        return normal
    cut = len(match.group(1))
    return " ".join([guess[:cut] + guess[cut + 1 :], *normalised[1:]])


# A region named after its city (Тернопольщина, Львовщина, Смоленщина, Донетчина, Вологодчина) NER takes for a
# person after a title ("назначил губернатора Тернопольщины"): the word, in any case, unless the dictionary
# knows it as a name (a surname "Кучина").
_REGION_RE = re.compile(r"([а-я]{3,}(?:щин|тчин|дчин))(?:а|ы|е|у|ой|ою)")


def _a_region(models: RussianModels, span: NamedSpan) -> str | None:
    """The nominative of a region noun NER took for a person («Тернопольщины» → Тернопольщина), else None."""
    word = fold(span.text.strip())
    match = _REGION_RE.fullmatch(word)
    if match is None:
        return None
    parses = models.vocab(word)
    if any({"Name", "Surn", "Patr"} & p.tag.grammemes for p in parses):
        return None
    known = [p for p in parses if p.is_known]
    if known and not all(p.pos == "NOUN" and "inan" in p.tag for p in known):
        return None
    return match.group(1).capitalize() + "а"


# Holidays NER reads as people («Хеллоуином»: the dictionary lacks the word, so no other veto reads it).
HOLIDAYS = frozenset(
    {
        "хеллоуин",
        "хэллоуин",
        "рождество",
        "пасха",
        "масленица",
        "ханука",
        "рамадан",
        "навруз",
        "песах",
        "дивали",
    }
)


# Case endings of names the dictionary cannot inflect, by the tagger's gender and case: (ending, nominative
# ending, letter class before the ending). C is a consonant, V a vowel. Left out as ambiguous: the
# prepositional (-е is "Раабе" from Рааб and "Обаме" from Обама), the masculine dative -е and the genitive
# -и (an indeclinable "Мулви", "Берлускони" ends so).
_C, _V, _ANY = "бвгджзклмнпрстфхцчшщ", "аеёиоуыэюя", "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"
# Endings every gender and case share where they occur: a name in -ия ("Асии", "Гарсию"), and a feminine
# surname declined as an adjective ("Рынской", "Косторную").
_IA = {
    "Gen": ("ии", "ия", _ANY),
    "Dat": ("ии", "ия", _ANY),
    "Loc": ("ии", "ия", _ANY),
    "Acc": ("ию", "ия", _ANY),
    "Ins": ("ией", "ия", _ANY),
}
_SKAYA_OBLIQUE = (("ской", "ская", _ANY), ("цкой", "цкая", _ANY))
_NAME_ENDINGS: dict[tuple[str, str], tuple[tuple[str, str, str], ...]] = {
    ("Masc", "Gen"): (_IA["Gen"], ("а", "", _C), ("я", "ь", _C), ("я", "й", _V), ("ы", "а", _C)),
    ("Masc", "Acc"): (
        _IA["Acc"],
        ("ую", "ая", _C),
        ("а", "", _C),
        ("я", "ь", _C),
        ("я", "й", _V),
        ("у", "а", _C),
        ("ю", "я", _C),
    ),
    ("Masc", "Dat"): (_IA["Dat"], ("у", "", _C), ("ю", "ь", _C), ("ю", "й", _V)),
    ("Masc", "Ins"): (_IA["Ins"], ("ом", "", _C), ("ем", "ь", _C), ("ем", "й", _V), ("ой", "а", _C)),
    ("Fem", "Gen"): (_IA["Gen"], *_SKAYA_OBLIQUE, ("ой", "а", _C), ("ы", "а", _C)),
    ("Fem", "Dat"): (_IA["Dat"], *_SKAYA_OBLIQUE, ("ой", "а", _C), ("е", "а", _C)),
    ("Fem", "Acc"): (
        _IA["Acc"],
        ("скую", "ская", _ANY),
        ("цкую", "цкая", _ANY),
        ("ую", "ая", _C),
        ("у", "а", _C),
        ("ю", "я", _C),
    ),
    ("Fem", "Ins"): (_IA["Ins"], *_SKAYA_OBLIQUE, ("ой", "а", _C), ("ей", "я", _C)),
    ("Fem", "Loc"): (_IA["Loc"], *_SKAYA_OBLIQUE, ("ой", "а", _C), ("е", "а", _C)),
}
# A masculine name declined as an adjective ("Долгорукому", "Толстого") has several nominatives (-ий, -ой).
_ADJECTIVE_ENDINGS = ("ому", "ему", "ого", "его")


def _name_case(tokens: Sequence[Any]) -> tuple[str | None, str | None]:
    """(gender, case) of one person's name as the tagger read it: its words agree, so where the tagger read
    one word otherwise ("Сакибом Нисаром": Ins, Nom) the first word's reading stands. None for a plural
    ("Агаларовы": a family)."""
    tagged = [t.feats for t in tokens if getattr(t, "feats", None) and t.feats.get("Case")]
    readings = [(feats.get("Gender"), feats.get("Case")) for feats in tagged]
    if not readings or any(feats.get("Number") == "Plur" for feats in tagged):
        return None, None
    counts = Counter(case for _, case in readings)
    case = max(counts, key=lambda c: (counts[c], c == readings[0][1]))
    return next((gender for gender, c in readings if c == case and gender), readings[0][0]), case


def _unknown_name_nominative(models: RussianModels, word: str, gender: str | None, case: str | None) -> str:
    """The nominative of a name word pymorphy2 cannot inflect, read from its case ending: "Рааба" → Рааб,
    "Скрипаля" → Скрипаль, "Нисару" → Нисар, "Кристалиной Георгиевой" → Кристалина Георгиева, "Обаму" →
    Обама (the dictionary's Обама is of common gender, which the tagger's "Masc" does not match). A word the
    dictionary knows as a noun in the nominative as written ("Шойгу", "Веревка") or as a place stays."""
    if not word.isalpha() or not re.search("[а-яё]", word) or len(word) < 4:
        return word
    endings = _NAME_ENDINGS.get((gender or "", case or ""))
    if not endings:
        return word
    if word.endswith(_ADJECTIVE_ENDINGS):
        return word
    for parse in (p for p in models.vocab(word) if p.is_known):
        grammemes = parse.tag.grammemes
        if {"Geox", "Orgn"} & grammemes or ("nomn" in grammemes and parse.tag.POS == "NOUN"):
            return word  # a place ("Чехословакию"), or a noun as written ("Шойгу", "Веревка")
    for ending, nominative, before in endings:
        stem = word[: -len(ending)]
        if word.endswith(ending) and len(stem) >= 2 and stem[-1] in before:
            if ending == "ы" and stem.endswith(("ов", "ев", "ин", "ын")):
                return word  # "Агаларовы": a family (a woman's genitive is "Агаларовой")
            return stem + nominative
    return word


def person_normal(models: RussianModels, tokens: Sequence[Any]) -> str:
    """A Russian person name in the nominative: natasha's inflection word by word, and where the dictionary
    cannot inflect a word (a foreign name, a surname it knows only as a possessive adjective: "Павла
    Мамаева"), the case ending the tagger's reading calls for."""
    from natasha.norm import inflect_word, normal_word, recover_shapes, recover_spaces

    gender, case = _name_case(tokens)
    gender = (first_name_gender(tokens[0].text, case) if len(tokens) > 1 else None) or gender
    words = []
    for token in tokens:
        word = inflect_word(models.vocab, token)
        if word == normal_word(token.text) and not _is_initial(token.text.rstrip(".")):
            word = _unknown_name_nominative(models, word, gender, case)
        words.append(word)
    return recover_spaces(recover_shapes(words, tokens), tokens)


def _person_parts(models: RussianModels, normal: str) -> tuple[str, str]:
    """(first name, surname) of a normalised Russian person name; either may be empty."""
    words = [w for w in re.split(r"\s+|(?<=\.)(?=\w)", normal) if w]
    if not words:
        return "", ""
    if len(words) == 1:
        return (words[0], "") if _is_first_name(models, words[0]) else ("", words[0])
    if len(words) == 2:
        if fold(words[0]) in _KUNYAS:  # "Абу Бакр": a given name alone
            return f"{words[0]} {words[1]}", ""
        if _is_initial(words[1]) and not _is_initial(words[0]):
            return words[1], words[0]  # "Джонсон Б."
        if _is_first_name(models, words[1]) and _is_surname(models, words[0]):
            return words[1], words[0]  # "Лужков Юрий": surname first, as in lists and documents
        return words[0], words[1]
    if _PATRONYMIC_RE.search(words[1].lower()):
        return words[0], words[-1]
    if _PATRONYMIC_RE.search(words[-1].lower()):
        return words[1], words[0]  # "Лужков Юрий Михайлович"
    if fold(words[0]) in _KUNYAS:  # "Абу Бакр аль-Багдади": "Абу" alone is no given name
        return f"{words[0]} {words[1]}", words[-1]
    return words[0], words[-1]


# "Father of …" before an Arabic given name: part of it, not a name by itself.
_KUNYAS = frozenset({"абу", "умм", "abu", "umm"})


_ABBREVIATION_CASE_RE = re.compile(r"^([A-ZА-ЯЁ]{2,})(?:-?[а-яё]{1,3})$")


def strip_abbreviation_ending(word: str) -> str:
    """Abbreviations keep their capitals and lose a case ending: "МИДа" → "МИД", "ФСБ" stays."""
    match = _ABBREVIATION_CASE_RE.match(word)
    return match.group(1) if match else word


def _recover_shape(word: str, original: str) -> str:
    if original.isupper() and len(original) > 1:
        return word.upper()
    if original[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def inflect_to_nominative(models: RussianModels, token: Token, agree: Token | None = None) -> str:
    """A noun or adjective in the nominative, keeping number (and the head's gender for an adjective)."""
    text = token.text
    if strip_abbreviation_ending(text) != text:
        return strip_abbreviation_ending(text)
    if token.pos not in ("NOUN", "PROPN", "ADJ") or token.feat("Case") in (None, "Nom"):
        return text
    if text.isupper() and len(text) > 1:
        return text
    word = fold(text)
    number = token.feat("Number") or "Sing"
    case = token.feat("Case")
    wanted_pos = "NOUN" if token.pos == "PROPN" else token.pos
    for form in models.vocab(word):
        form_pos = "NOUN" if form.pos == "PROPN" else form.pos
        if form_pos != wanted_pos or form.feats.get("Case") != case:
            continue
        if form.feats.get("Number") not in (None, number):
            continue
        grams = {"nomn", "plur" if number == "Plur" else "sing"}
        if token.pos == "ADJ" and number == "Sing":
            gender = (agree.feat("Gender") if agree else None) or token.feat("Gender") or "Masc"
            grams.add({"Masc": "masc", "Fem": "femn", "Neut": "neut"}.get(gender, "masc"))
        inflected = _inflect_oc(form, grams, word)
        if inflected:
            return _recover_shape(inflected.word, text)
    return text


def _inflect_oc(form: Any, grams: set[str], like: str = "") -> Any:
    """pymorphy2's inflection of ``form``; for a suppletive degree, the lexeme's form closest to the word
    as written (pymorphy2 takes "лучшим" to "наихороший", "высшим" to "высочайший": "лучший", "высший")."""
    from pymorphy2.analyzer import Parse

    try:
        inflected = Parse.inflect(form, grams)
    except ValueError:
        return None
    if inflected is None or not like or not {"Supr", "Cmp2"} & form.tag.grammemes:
        return inflected
    fitting = [f for f in Parse.lexeme.fget(form) if grams <= f.tag.grammemes]

    def closeness(f: Any) -> tuple[int, int]:
        shared = next((i for i, (a, b) in enumerate(zip(f.word, like, strict=False)) if a != b), None)
        return (min(len(f.word), len(like)) if shared is None else shared, -len(f.word))

    best = max(fitting, key=closeness, default=None)
    return best if best is not None and closeness(best) > closeness(inflected) else inflected


def normalize_phrase(models: RussianModels, tokens: Sequence[Token], head: Token | None = None) -> str:
    """A noun phrase in the nominative: leading adjectives and the head noun (``head``, else the first noun)
    are inflected, the rest (genitive and prepositional dependents: "министр иностранных дел Белоруссии")
    stays as written."""
    words: list[str] = []
    if head is not None and head in tokens:
        head_index: int | None = list(tokens).index(head)
    else:
        head_index = next((i for i, t in enumerate(tokens) if t.pos in ("NOUN", "PROPN")), None)
    head = tokens[head_index] if head_index is not None else None
    for i, token in enumerate(tokens):
        if head_index is not None and i <= head_index:
            words.append(inflect_to_nominative(models, token, agree=head))
        else:
            words.append(strip_abbreviation_ending(token.text))
    parts: list[str] = []
    for i, (word, token) in enumerate(zip(words, tokens, strict=True)):
        if i > 0 and token.start > tokens[i - 1].stop:
            parts.append(" ")
        parts.append(word)
    return "".join(parts)


_QUOTE_MARKS = frozenset('«»„“"')


@lru_cache(maxsize=1)
def _speech_verb_prefixes() -> frozenset[str]:
    return frozenset(verb[:4] for verb in RUSSIAN_SPEECH_VERBS)


@lru_cache(maxsize=50_000)
def _speech_like(models: RussianModels, word: str) -> bool:
    # Every form of these verbs starts like its infinitive: a prefix test spares most dictionary look-ups.
    if word[:4] not in _speech_verb_prefixes():
        return False
    return any(p.pos == "VERB" and p.normal in RUSSIAN_SPEECH_VERBS for p in models.vocab(word))


def _needs_morphology(models: RussianModels, sent: Any) -> bool:
    if any(span.type == PER for span in sent.spans or ()):
        return True
    return any(t.text in _QUOTE_MARKS or _speech_like(models, t.text.lower()) for t in sent.tokens)


@lru_cache(maxsize=20_000)
def _dictionary_morphology(models: RussianModels, word: str) -> tuple[str, dict[str, str]]:
    """Part of speech and features of a word out of context: the most likely dictionary reading,
    a place or organisation reading first ("Москвы" is the city, not a verb)."""
    parses = models.vocab(fold(word))
    if not parses:
        return "X", {}
    named = [p for p in parses if {"Geox", "Orgn", "Abbr"} & set(p.tag.grammemes)]
    best = (named or parses)[0]
    pos = "PROPN" if named and best.pos == "NOUN" else best.pos
    return pos, dict(best.feats)


def parse_russian(text: str) -> ParsedText:
    """Sentences, tagged words and names of a Russian text; names in credits and bylines dropped."""
    return parse_russian_many([text])[0]


def parse_russian_many(texts: Sequence[str]) -> list[ParsedText]:
    """``parse_russian`` of several texts: each is analysed alone, but NER's decoding runs for all of
    them at once (a numpy step per word position, whatever the number of texts: a twelfth of the
    analysis time per article when each text took its own steps)."""
    from natasha.doc import Doc, DocSent, DocToken
    from razdel import tokenize

    models = russian_models()
    documents = []
    for text in texts:
        sentences = paragraph_sentences(text)
        # natasha's document, segmented as Doc.segment does it (razdel's tokens of the whole text) but
        # with our sentences, split inside paragraphs.
        doc = Doc(text)
        doc.tokens = [DocToken(t.start, t.stop, t.text) for t in tokenize(text)] if text.strip() else []
        doc.sents = [DocSent(start, stop, text[start:stop]) for start, stop in sentences]
        doc.envelop_sent_tokens()
        encoded = models.ner_tagger.network.encode([t.text for t in doc.tokens])
        documents.append((text, sentences, doc, encoded))
    names = models.ner_tagger.tag_many([(doc.tokens, encoded) for _, _, doc, encoded in documents])
    return [
        _parse_tagged(models, text, sentences, doc, encoded, found)
        for (text, sentences, doc, encoded), found in zip(documents, names, strict=True)
    ]


def _parse_tagged(
    models: RussianModels,
    text: str,
    sentences: list[tuple[int, int]],
    doc: Any,
    encoded: tuple[list[int], list[int]],
    names: list[tuple[int, int, str]],
) -> ParsedText:
    """The rest of ``parse_russian`` once NER has found the names of ``doc``."""
    from natasha.doc import DocSpan

    doc.spans = [DocSpan(start, stop, kind, text[start:stop]) for start, stop, kind in names]
    doc.envelop_span_tokens()
    doc.envelop_sent_spans()
    # The morphology tagger costs about as much as NER: run it only on sentences where roles, quotes
    # and person names need case and agreement; other names are normalised from the dictionary alone.
    wanted = [sent for sent in doc.sents if _needs_morphology(models, sent)]
    sentence_ids = None
    if models.shared_encoding:
        position = {t.start: i for i, t in enumerate(doc.tokens)}
        sentence_ids = []
        for sent in wanted:
            first = position[sent.tokens[0].start] if sent.tokens else 0
            stop = first + len(sent.tokens)
            sentence_ids.append((encoded[0][first:stop], encoded[1][first:stop]))
    tagged = models.morph_tagger([[t.text for t in sent.tokens] for sent in wanted], sentence_ids)
    morphology: dict[int, tuple[str, tuple[tuple[str, str], ...]]] = {}
    for sent, tags in zip(wanted, tagged, strict=True):
        for token, (pos, feats) in zip(sent.tokens, tags, strict=True):
            token.pos, token.feats = pos, dict(feats)
            morphology[token.start] = (pos, feats)
    for span in doc.spans:
        for token in span.tokens or ():
            if getattr(token, "pos", None) is None:
                token.pos, token.feats = _dictionary_morphology(models, token.text)
                morphology[token.start] = (token.pos, tuple(sorted(token.feats.items())))

    tokens: list[Token] = []
    token_index: dict[int, int] = {}
    for sent in doc.sents:
        for t in sent.tokens:
            token_index[t.start] = len(tokens)
            pos, feats = morphology.get(t.start, ("X", ()))
            tokens.append(Token(t.start, t.stop, t.text, pos, feats))

    credits = credit_regions(text)
    spans: list[NamedSpan] = []
    for span in doc.spans or []:
        if any(start <= span.start < stop for start, stop in credits):
            continue
        if not span.tokens:
            continue
        span_tokens = [tokens[token_index[t.start]] for t in span.tokens if t.start in token_index]
        sentence = sentence_index(sentences, span.start)
        if span.type == PER:
            original: list[Any] = []
            if "(" in span.text:
                # "Скотт Хоровитц (Scott Horowitz)": the parenthesis repeats the name in the original
                # spelling; it is another mention of the same person.
                cut = span.start + span.text.index("(")
                original = [t for t in span.tokens if t.start > cut and t.text[:1].isalpha()]
                span.tokens = [t for t in span.tokens if t.stop <= cut]
                if not span.tokens:
                    continue
                span.stop = span.tokens[-1].stop
                span.text = text[span.start : span.stop]
            while span.tokens and (
                not span.tokens[0].text[:1].isupper()
                or (len(span.tokens) > 1 and _is_person_noun(models, span.tokens[0].text))
            ):
                # "христианка Азия Биби", "Ксендз Вальдемар Цисло": a common noun NER pulled into the name.
                span.tokens = span.tokens[1:]
            if not span.tokens:
                continue
            span.start = span.tokens[0].start
            span.text = text[span.start : span.stop]
            span.normal = person_normal(models, span.tokens)
            normal = _foreign_first_name(models, span.text, span.normal or span.text)
            if not any(ch.isupper() for ch in normal):
                continue
            first, last = _person_parts(models, normal)
            spans.append(NamedSpan(span.start, span.stop, span.text, PER, normal, sentence, first, last))
            if original:
                start, stop = original[0].start, original[-1].stop
                spans.append(NamedSpan(start, stop, text[start:stop], PER, normal, sentence, first, last))
        else:
            if len(span_tokens) == 1 or span.type == ORG:
                normal = normalize_phrase(models, span_tokens)
            else:
                span.normalize(models.vocab)
                normal = span.normal or span.text
            spans.append(NamedSpan(span.start, span.stop, span.text, span.type, normal, sentence))
    # A dictionary noun for a kind of person, alone and singular, is a title NER took for a name («Герцогине
    # посочувствовал Дональд Трамп», «Христианку»), unless a full name of the article ends with it (a surname
    # "Кузнец"). A plural reading may be a surname in -ов the dictionary lacks ("Мещеряков": мещеряков).
    surnames = {fold(s.last) for s in spans if s.kind == PER and s.first and s.last}
    spans = [
        replace(s, kind=LOC, normal=region, first="", last="")
        if s.kind == PER and " " not in s.text.strip() and (region := _a_region(models, s))
        else s
        for s in spans
    ]
    spans = [
        s
        for s in spans
        if not (
            s.kind == PER
            and (
                _a_title_alone(models, s, surnames) or _a_word_alone(models, s) or fold(s.normal) in HOLIDAYS
            )
        )
    ]
    return ParsedText(text, "ru", tuple(sentences), tuple(tokens), tuple(spans))


# ---------------------------------------------------------------- grouping mentions into entities


@dataclass
class _PersonCluster:
    first: str
    last: str
    spans: list[NamedSpan]

    def display(self) -> str:
        # The most frequent full form, preferring mentions written in the nominative: normalisation
        # fails on names the dictionary lacks ("Асии Биби" stays as written).
        full = [s for s in self.spans if s.first and s.last and not _is_initial(s.first)]
        nominative = [s for s in full if fold(s.text) == fold(s.normal)]
        if full:
            return Counter(f"{s.first} {s.last}" for s in nominative or full).most_common(1)[0][0]
        if self.first and self.last:
            return f"{self.first} {self.last}"
        single = [s for s in self.spans if fold(s.text) == fold(s.normal)] or self.spans
        return Counter(s.last or s.first for s in single).most_common(1)[0][0]


def group_people(spans: Iterable[NamedSpan]) -> list[_PersonCluster]:
    """Person mentions of one article grouped by identity: full names first, then surname-only mentions
    join the full name with that surname, first-name-only mentions the full name with that first name."""
    people = [s for s in spans if s.kind == PER]
    clusters: list[_PersonCluster] = []
    full = sorted((s for s in people if s.first and s.last), key=lambda s: _is_initial(s.first))
    for span in full:
        target = next(
            (
                c
                for c in clusters
                if same_surname(c.last, span.last) and first_names_agree(c.first, span.first)
            ),
            None,
        )
        if target is None:
            clusters.append(_PersonCluster(span.first, span.last, [span]))
        else:
            target.spans.append(span)
            if _is_initial(target.first) and not _is_initial(span.first):
                target.first = span.first
    for span in (s for s in people if s.last and not s.first):
        matches = [c for c in clusters if same_surname(c.last, span.last)]
        if matches:
            max(matches, key=lambda c: len(c.spans)).spans.append(span)
        else:
            clusters.append(_PersonCluster("", span.last, [span]))
    for span in (s for s in people if s.first and not s.last):
        # A lone first name may also be how NER read a surname ("Трамп" is never a first name), and news name
        # people by surname after the first mention: "Jamie George … George or Daly", beside George Eliot.
        by_surname = [c for c in clusters if c.last and same_surname(c.last, span.first)]
        matches = [c for c in clusters if c.first and fold(c.first) == fold(span.first)]
        if by_surname:
            by_surname[0].spans.append(span)
        elif len(matches) == 1:
            matches[0].spans.append(span)
        else:
            clusters.append(_PersonCluster(span.first, "", [span]))
    return clusters


def _mention(span: NamedSpan) -> Mention:
    return Mention(span.start, span.stop, span.text, span.sentence)


def group_entities(spans: Sequence[NamedSpan]) -> tuple[Entity, ...]:
    """Entities of one article, most mentioned first; every mention kept with its offsets."""
    entities: list[Entity] = []
    for cluster in group_people(spans):
        # Articles stored before ingestion removed invisible characters may still hold some inside names.
        name = visible_text(cluster.display())
        mentions = tuple(sorted(_mention(s) for s in cluster.spans))
        given_name = bool(cluster.first) and not cluster.last
        entities.append(Entity(entity_key(PER, name), PER, name, mentions, given_name))

    # Organisations and places: one entity per canonical name; the kind the alias table or most
    # mentions give wins ("Москва" is tagged a place in one sentence and an organisation in the next).
    by_name: dict[str, list[tuple[str, str, NamedSpan]]] = defaultdict(list)
    for span in spans:
        if span.kind == PER:
            continue
        kind, name = canonical_name(span.kind, visible_text(span.normal))
        by_name[fold(name)].append((kind, name, span))
    for group in by_name.values():
        alias = ALIAS_INDEX.get(fold(group[0][1]))
        kind = alias[0] if alias else Counter(k for k, _, _ in group).most_common(1)[0][0]
        name = Counter(n for _, n, _ in group).most_common(1)[0][0]
        mentions = tuple(sorted(_mention(s) for _, _, s in group))
        entities.append(Entity(entity_key(kind, name), kind, name, mentions))
    entities.sort(key=lambda e: (-len(e.mentions), e.mentions[0].start))
    return tuple(entities)
