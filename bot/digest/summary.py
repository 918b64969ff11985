"""What a reader sees of a story: headline, a short extractive summary of what is new, people, sources.

News puts the event first (the inverted pyramid), so the summary opens with the lead of the story's
most central report and then adds what the other reports bring. Sentences are cleaned first: no
bylines, photo credits, rubric labels, datelines, «Читайте также», comment blocks or copyright lines,
and no opening sentence that leans on one before it («Поэтому…», «Он…»). The chat-independent part
(`Story`: headline, a dozen scored candidates) is built once per story update; per chat only
`summarize` runs, a greedy MMR over those candidates, so composing thousands of digests stays cheap.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice

from razdel import sentenize

from bot.analysis.furniture import BYLINE_LABEL, is_boilerplate
from bot.analysis.stems import STOPWORDS, words
from bot.digest.stories import content_stems, cosine

CANDIDATES = 12
SENTENCES_PER_ARTICLE = 15
# Two sentences this similar say the same thing (rewrites of one agency line): one is kept.
DUPLICATE = 0.5
# A candidate this close to a sentence the chat already got, or to one already chosen, restates it.
RESTATES = 0.4
# MMR trade-off between a sentence's score and its overlap with what was chosen (Carbonell & Goldstein).
RELEVANCE = 0.5
MIN_WORDS, MAX_WORDS = 5, 60
# What a digest shows of a story at most, chosen by 5-fold cross-validation against publishers'
# descriptions (`python -m bot.eval summaries`).
MAX_SENTENCES, MAX_CHARS = 2, 350

# A byline or credit glued to the first sentence when the page had no full stop after it:
# «Текст: Дарья Косарева Впервые за…», "By John Smith, Reuters The bank…". A name is two or three
# capitalised words (first name, a patronymic, surname).
_NAME = r"[A-ZА-ЯЁ][\w’'-]+(?:\s+[A-ZА-ЯЁ][\w’'-]+(?:вич|вна|ична|ич))?\s+[A-ZА-ЯЁ][\w’'-]+"
_BYLINE = re.compile(
    rf"^(?:(?i:{BYLINE_LABEL})\s*[:—–-]\s*{_NAME}(?:\s+и\s+{_NAME})*\s*[,.|/]?\s*"
    rf"|(?i:by)\s+{_NAME}(?:\s+and\s+{_NAME})*(?:,\s*[A-Z][\w&.]{{1,30}})?\s*[,.|—–-]?\s+)"
)
# Sentences that lean on one before them: a pronoun, a demonstrative, a connective. They are never
# the first of a summary, and follow only the sentence they were written after.
_DEPENDENT = re.compile(
    r"^(?:поэтому|потому|он|она|оно|они|его|ее|её|их|им|ей|ему|ним|ней|них|там|тут|здесь|тогда|туда|оттуда"
    r"|этот|эта|это|эти|этого|этой|этим|этих|этому|этом|такой|такая|такое|такие|данн\w+|указанн\w+"
    r"|соответствующ\w+|аналогичн\w+|подобн\w+"
    r"|также|тоже|кроме того|помимо этого|при этом|однако|но|а|и|впрочем|тем не менее|вместе с тем|между тем"
    r"|в то же время|таким образом|в ответ|по (?:его|ее|её|их) (?:словам|мнению|данным)"
    r"|(?:об?|в|во|на|по|после|до|для|из-за|из|от|к|с|со|за|при|у|про|перед|над|под|в связи с)\s+"
    r"(?:этом|этого|этому|этим|этой|этих|эту|этот|это|эти|нем|нём|ней|них|него|нее|неё|ним|нему|ними|тем|том)"
    r"|напомним|ранее|кстати|именно|причем|причём|зато|следовательно|итак|так,|в том числе|в частности"
    r"|he|she|it|they|his|her|its|their|him|them|this|these|that|those|however|also|but|so|and|or"
    r"|therefore|thus|hence|meanwhile|moreover|furthermore|in addition|additionally|still|yet|instead"
    r"|nevertheless|nonetheless|such|besides|then|there,|as a result|in turn"
    r"|(?:of|in|on|at|for|by|after|before|with|from|to|despite|because of)"
    r" (?:(?:this|that|these|those)(?=,)|him|her|them|it)"
    r")\b",
    re.IGNORECASE,
)


# A personal pronoun among the first three words leans on a name given before: «В финале он сыграет…»,
# "On Friday she said…". ("It" is left out: "Last week it was announced…" leans on nothing; "им"
# too: «МГУ им. Ломоносова».)
_EARLY_PRONOUN = re.compile(
    r"^(?:\S+\s+){1,2}(?:он|она|оно|они|его|ее|её|их|ему|ей|него|нее|неё|них|ним|ней"
    r"|he|she|they|his|her|their|him|them)\b",
    re.IGNORECASE,
)


def depends_on_previous(sentence: str) -> bool:
    """Whether a sentence needs the one before it to be understood («Поэтому…», "He said…")."""
    return bool(_DEPENDENT.match(sentence) or _EARLY_PRONOUN.match(sentence))


@dataclass(frozen=True)
class RankedSentences:
    """A story's best distinct sentences, best first, with what novelty checks need."""

    sentences: tuple[str, ...]
    scores: tuple[float, ...]  # lead position times the report's centrality, the best one 1.0
    # TF-IDF with IDF over the story's own sentences: the words every report repeats (the bridge,
    # the city) say nothing new, so overlap on them alone does not make a sentence old news.
    vectors: tuple[Mapping[str, float], ...] = field(hash=False)
    overlap: tuple[tuple[float, ...], ...]  # cosine between candidates
    term_weights: Mapping[str, float] = field(hash=False)  # IDF of the candidates' terms
    unknown_weight: float = 1.0  # IDF of a term no candidate uses
    # For a sentence that leans on the one before it: that sentence's index among the candidates,
    # -1 when it is not one (then the sentence is never shown); None for a sentence that stands alone.
    follows: tuple[int | None, ...] = ()
    # Where each candidate stands: its report (in the order given, oldest first) and its place among
    # that report's newsworthy sentences. A chat that already got the story hears each report's lead
    # as news, the newest first, whatever the report's centrality.
    reports: tuple[int, ...] = ()
    positions: tuple[int, ...] = ()

    def vector_of(self, sentence: str) -> Mapping[str, float]:
        """The vector of a sentence sent earlier: looked up when it came from this story, else computed."""
        try:
            return self.vectors[self.sentences.index(sentence)]
        except ValueError:
            counts = Counter(content_stems(sentence))
            return _vector(counts, {t: self.term_weights.get(t, self.unknown_weight) for t in counts})


def _vector(counts: Mapping[str, int], weights: Mapping[str, float] | None = None) -> dict[str, float]:
    raw = {t: (1.0 + math.log(c)) * (weights[t] if weights else 1.0) for t, c in counts.items()}
    norm = math.sqrt(sum(w * w for w in raw.values())) or 1.0
    return {t: w / norm for t, w in raw.items()}


# Wire-style datelines name the desk, not the news: "WASHINGTON:", "INTERFAX.RU -", "МОСКВА, 1 ноя —
# РИА Новости.", "МОСКВА, 1 ноября. /ТАСС/.", "ATLANTA, Georgia --", "Interfax-Russia.ru - ". Five
# capitals at least, so that "США — крупнейший..." keeps its subject.
_DATELINE = re.compile(
    r"^(?:(?:[A-ZА-ЯЁ][A-ZА-ЯЁ.]{4,}(?:[\s/-][A-ZА-ЯЁ.]+)*|(?:[A-Z]{3,}(?:\s[A-Z]+)*\s)?\([^)]{1,40}\))"
    r"(?:,[^,:—–/-]{1,25}\s*[—–-]\s*[^.:]{1,25}\.(?:\s+|$)|,[^/]{1,25}/\s*[^/]{1,20}/\.?(?:\s+|$)"
    r"|,\s[^,:—–]{1,25}?\s*(?:--|[—–])\s*|,[^()]{1,25}\([^)]{1,20}\)\s*(?:--?|[—–])\s*"
    r"|\s*(?:[:—–]|--?\s)\s*)"
    r"|[\w-]+\.(?:ru|ua|by|kz|com|net|org|info|su)\s+(?:--?|[—–])\s+)"
)


# A page's time stamp and the photo credit under the lead picture, glued to the first sentence:
# "12:45 01.11.2019 Фото: pixabay.com 3 0 Демократы начали…".
_STAMP = re.compile(
    r"^(?:\d{1,2}:\d{2}(?:\s*,?\s*\d{1,2}[./]\d{1,2}[./]\d{2,4})?\s+)?"
    r"(?:(?:фото|photo|иллюстрация)\s*:\s*[\w-]+(?:\.[\w-]+)+\S*(?:\s+\d+)*\s+)?"
    r"(?=\S)",
    re.IGNORECASE,
)


# Paragraphs the page joined without a space ("…the Centers for Disease Control.As of October 29…");
# a capital before the full stop is left alone, so "U.S.A" and "NASHBRYANSK.RU" stay whole.
_GLUED = re.compile(r"([a-zа-яё0-9)\"»”][.!?])([A-ZА-ЯЁ«\"“])")


# The dash that followed a dateline the splitter made a sentence of: "(WEST PALM BEACH, Fla.)" |
# "— A high school principal…".
_LEADING_DASH = re.compile(r"^\s*(?:--?|[—–])\s+")


# Who reported it, said after the news: «…», передает корреспондент РИА Новости. / «…», сообщает ТАСС со
# ссылкой на источник. / "…, Reuters reported." The digest names its sources itself.
_ATTRIBUTION_TAIL = re.compile(
    r"(?<=[\w\"»”)]),\s*[-—–]?\s*(?:передает|передаёт|сообщает|сообщают|пишет|пишут|информирует)"
    r"\s+[^,.;:!?]{2,60}\.$"
    r"|(?<=\w),\s*(?:(?:the\s+)?[A-Z][\w.&-]*(?:\s+[A-Z][\w.&-]*){0,3}\s+(?:reported|reports))\.$"
)


def clean_sentence(sentence: str) -> str:
    """A sentence without the dateline or byline the page put before it, nor the agency it credits at its
    end, whitespace collapsed.

    A dateline the splitter made a sentence of ("МОСКВА, 10 авг - РИА Новости.") comes back empty.
    """
    sentence = " ".join(sentence.split())
    for pattern in (_STAMP, _DATELINE, _BYLINE, _DATELINE):
        stripped = pattern.sub("", sentence, count=1)
        if stripped != sentence:
            sentence = stripped[:1].upper() + stripped[1:]
    return _ATTRIBUTION_TAIL.sub(".", sentence)


# The first straight quote closes a quotation (a letter or a stop before it, a comma, a dash or the end
# after it): the sentence is the tail of a quote the splitter cut.
_QUOTE_TAIL = re.compile(r'^[^"]*[\w.!?…]"(?:\s*[,—–-]|\s*$)')


def _newsworthy(sentence: str) -> bool:
    """Sentences a reader can take alone: whole statements of reasonable length, not captions.

    One that closes a quotation it never opened, or starts in lower case, is the tail of a quote the
    splitter cut, one that opens a quotation it never closes is its head; one without final
    punctuation is a caption, a list item or a run of related links. Straight quotes count only at
    either end: publishers nest them («АО "Аэропорт "Симферополь"»).
    """
    n = len(words(sentence))
    return (
        MIN_WORDS <= n <= MAX_WORDS
        and sentence.endswith((".", "!", "?", "…", "»", '"', "”", "’", "'"))
        and not sentence.startswith(("•", "|", "-", "—", "*", "("))
        and not sentence[:1].islower()
        and not is_boilerplate(sentence)
        and not _QUOTE_TAIL.match(sentence)
        and not (sentence.startswith('"') and sentence.count('"') % 2)
        and not (sentence.startswith("«") and sentence.count("«") > sentence.count("»"))
        and not (sentence.startswith("“") and sentence.count("“") > sentence.count("”"))
        and sentence.count("«") >= sentence.count("»")
        and sentence.count("“") >= sentence.count("”")
    )


_HEADING_END = re.compile(r"[\w»\"”)]$")


_BULLETS = ("•", "·", "▪", "►", "*", "-", "—", "–")


def _a_heading(line: str, after: str) -> bool:
    """A line that ends a piece of text on its own: a heading or a list item ("• Millwall defeat sealed
    fate for manager"), no closing stop, not broken off after a comma or a function word ("…заявил, что"
    wraps onto the next line), and a capital opening the next line."""
    last = words(line)[-1:] if line else []
    return (
        bool(_HEADING_END.search(line))
        and bool(last)
        and last[0] not in STOPWORDS
        and (line[:1].isupper() or line.startswith(_BULLETS))
        and after[:1].isupper()
    )


# English titles and months razdel (written for Russian) ends a sentence at: "…Carlson Tonight,” Rep." |
# "Tulsi Gabbard (D-HI), a candidate…", "on Oct." | "9 launched…". None of them ends an English sentence.
_ENGLISH_TITLE_END = re.compile(
    r"(?:^|[\s(“\"])(?:Mr|Mrs|Ms|Dr|Rep|Reps|Sen|Sens|Gov|Gen|Lt|Col|Capt|Sgt|Cpl|Adm|Maj|Cmdr|Prof|Rev|Hon"
    r"|Pres|Supt|Insp|Amb|Gens|Messrs|Mt|Ft)\.$"
)
_ENGLISH_MONTH_END = re.compile(r"(?:^|\s)(?:Jan|Feb|Mar|Apr|Aug|Sep|Sept|Oct|Nov|Dec)\.$")


def _english_sentences(text: str) -> Iterable[str]:
    """razdel's sentences, joined again where it cut after an English title or month abbreviation."""
    held = ""
    for piece in sentenize(text):
        current = f"{held} {piece.text}" if held else piece.text
        following = text[piece.stop : piece.stop + 2].lstrip()
        if (_ENGLISH_TITLE_END.search(current) and following[:1].isupper()) or (
            _ENGLISH_MONTH_END.search(current) and following[:1].isdigit()
        ):
            held = current
            continue
        held = ""
        yield current
    if held:
        yield held


def sentence_pieces(text: str) -> Iterable[str]:
    """The text's sentences as razdel cuts them (not after "Rep." or "Oct.": `_english_sentences`), and a
    heading on a line of its own cut from the sentence after it: "…ей дали 2,5 года колонии\nКурган, 1
    ноября. Суд…" is a subheading, a dateline and the news, where razdel gives one sentence that a summary
    would open with."""
    for sentence in _english_sentences(text):
        lines = sentence.split("\n")
        start = 0
        for k in range(len(lines) - 1):
            if _a_heading(lines[k].strip(), lines[k + 1].strip()):
                yield " ".join(line.strip() for line in lines[start : k + 1] if line.strip())
                start = k + 1
        rest = " ".join(line.strip() for line in lines[start:] if line.strip())
        if rest:
            yield rest


# Letters of the two languages the summariser reads; a text mostly in others (Japanese, Arabic) is summarised
# by its opening alone.
_OUR_LETTERS = re.compile(r"[A-Za-zА-Яа-яЁё]")
_LETTER = re.compile(r"[^\W\d_]")
_ANY_SENTENCE_END = re.compile(r"(?<=[。！？।؟۔])\s*|(?<=[.!?])\s+")  # CJK and Indic stops need no space


def _foreign_opening(text: str, limit: int = MAX_CHARS) -> str:
    """The first sentence of a text written mostly in other letters than Latin and Cyrillic, cut to ``limit``
    characters; "" for a text in ours (its sentences are read as usual) or without letters. A feed's article
    in Japanese had no sentence the Russian and English rules take, and its digest entry no summary."""
    letters = len(_LETTER.findall(text))
    if not letters or len(_OUR_LETTERS.findall(text)) * 2 >= letters:
        return ""
    first = next((p.strip() for p in _ANY_SENTENCE_END.split(text.strip()) if p.strip()), "")
    first = " ".join(first.split())
    return first if len(first) <= limit else first[: limit - 1].rstrip() + "…"


def rank_sentences(
    articles: Sequence[tuple[str, str]], candidates: int = CANDIDATES, lead_report: int | None = None
) -> RankedSentences:
    """Candidates scored by their place in their report and by how central that report is.

    A sentence's score is 1/(1+k) for the k-th newsworthy sentence of its report (news puts the event
    first), times how well its report's lead states what the other reports tell, so the most central
    report's lead comes first and a side report's details come after it; rewrites of one line keep one copy.
    """
    texts: list[str] = []
    positions: list[int] = []
    owners: list[int] = []
    bags: list[Counter[str]] = []
    # For a sentence that leans on the one before: that one's index in `texts`, -1 when it was dropped.
    previous: list[int | None] = []
    for owner, (_, text) in enumerate(articles):
        text = _GLUED.sub(r"\1 \2", text)
        kept = 0
        last: int | None = None  # the sentence just before, if it was kept
        label = False  # the piece just before was a dateline or a label the splitter cut off
        for piece in islice(sentence_pieces(text), SENTENCES_PER_ARTICLE):
            sentence = clean_sentence(_LEADING_DASH.sub("", piece) if label else piece)
            label = len(words(piece)) < MIN_WORDS
            bag = Counter(content_stems(sentence))
            if _newsworthy(sentence) and bag:
                leaning = depends_on_previous(sentence)
                previous.append((-1 if last is None else last) if leaning else None)
                last = len(texts)
                texts.append(sentence)
                positions.append(kept)
                owners.append(owner)
                bags.append(bag)
                kept += 1
            else:
                last = None
    if not texts:
        opening = next((o for _, text in articles if (o := _foreign_opening(text))), "")
        if not opening:
            return RankedSentences((), (), (), (), {})
        texts, positions, owners, previous = [opening], [0], [0], [None]
        bags = [Counter(content_stems(opening)) or Counter({opening: 1})]
    frequency: Counter[str] = Counter(t for bag in bags for t in bag)
    n = len(texts)
    idf = {t: math.log((n + 1) / (df + 1)) + 1.0 for t, df in frequency.items()}
    vectors = [_vector(bag, idf) for bag in bags]
    centrality = _centrality(bags, owners, idf)
    if lead_report is not None and lead_report < len(centrality):
        centrality[lead_report] = max(centrality) * 1.001  # the headline's own report opens the summary
    scores = [centrality[owners[i]] / (1.0 + positions[i]) for i in range(n)]
    chosen: list[int] = []
    for i in sorted(range(n), key=lambda i: (-scores[i], owners[i], positions[i])):
        if all(cosine(vectors[i], vectors[j]) < DUPLICATE for j in chosen):
            chosen.append(i)
            if len(chosen) == candidates:
                break
    index = {i: k for k, i in enumerate(chosen)}
    top = scores[chosen[0]] or 1.0
    return RankedSentences(
        sentences=tuple(texts[i] for i in chosen),
        scores=tuple(round(scores[i] / top, 4) for i in chosen),
        vectors=tuple(vectors[i] for i in chosen),
        overlap=tuple(tuple(round(cosine(vectors[i], vectors[j]), 4) for j in chosen) for i in chosen),
        term_weights={t: idf[t] for i in chosen for t in vectors[i]},
        unknown_weight=math.log(n + 1) + 1.0,
        follows=tuple(None if previous[i] is None else index.get(previous[i], -1) for i in chosen),
        reports=tuple(owners[i] for i in chosen),
        positions=tuple(positions[i] for i in chosen),
    )


def _centrality(bags: Sequence[Counter[str]], owners: Sequence[int], idf: Mapping[str, float]) -> list[float]:
    """How well each report's lead states what the other reports tell, the best 1.0; 1.0 when alone.

    The lead is compared with the whole of each other report, not the reports with each other: a
    long report that covers everything is like all the others even when it opens on a side angle.
    """
    reports = max(owners) + 1
    if reports == 1:
        return [1.0]
    merged: list[Counter[str]] = [Counter() for _ in range(reports)]
    leads: list[Counter[str]] = [Counter() for _ in range(reports)]
    for bag, owner in zip(bags, owners, strict=True):
        if not merged[owner]:
            leads[owner] = bag
        merged[owner].update(bag)
    wholes = [_vector(bag, idf) if bag else {} for bag in merged]
    mean = []
    for a in range(reports):
        lead = _vector(leads[a], idf) if leads[a] else {}
        mean.append(sum(cosine(lead, wholes[b]) for b in range(reports) if b != a) / (reports - 1))
    top = max(mean)
    return [m / top if top else 1.0 for m in mean]


def summarize(
    ranked: RankedSentences,
    already_sent: Sequence[str] = (),
    max_sentences: int = MAX_SENTENCES,
    max_chars: int = MAX_CHARS,
) -> tuple[str, ...]:
    """The lead first, then, by MMR, sentences unlike each other and unlike what the chat already got.

    Sentences the chat already got are left out while anything new remains; a story with nothing
    new still yields its best sentence, so the result is never empty when the story has text. For a
    chat that got the story before, every report's lead counts as a lead (the newest first on a tie):
    a follow-up report's news is in its first sentence. A sentence that leans on the one before it
    is taken only right after that one.
    """
    if not ranked.sentences:
        return ()
    follows = ranked.follows or (None,) * len(ranked.sentences)
    sent = [ranked.vector_of(s) for s in already_sent]
    old_news = [max((cosine(v, s) for s in sent), default=0.0) for v in ranked.vectors]
    pool = [i for i, old in enumerate(old_news) if old < RESTATES]
    if not pool:
        pool = [next((i for i, f in enumerate(follows) if f is None), 0)]
    chosen: list[int] = []
    if already_sent and ranked.positions:
        relevance = [1.0 / (1.0 + p) for p in ranked.positions]
        newer = list(ranked.reports)
    else:
        relevance, newer = list(ranked.scores), [0] * len(ranked.sentences)

    def mmr(i: int) -> tuple[float, int]:
        redundancy = max([old_news[i], *(ranked.overlap[i][j] for j in chosen)])
        return RELEVANCE * relevance[i] - (1 - RELEVANCE) * redundancy, newer[i]

    def readable(i: int) -> bool:
        return follows[i] is None or (bool(chosen) and follows[i] == chosen[-1])

    length = 0
    while len(chosen) < max_sentences:
        options = [i for i in pool if readable(i)]
        if not options:
            break
        best = max(options, key=mmr)
        # The first sentence is always shown; later ones only while the summary stays short.
        if chosen and length + len(ranked.sentences[best]) > max_chars:
            break
        chosen.append(best)
        length += len(ranked.sentences[best]) + 1
        pool = [i for i in pool if i != best and ranked.overlap[i][best] < RESTATES]
    return tuple(ranked.sentences[i] for i in chosen)


@dataclass(frozen=True)
class StoryArticle:
    """One report of a story as stored: text, source, time and the people it mentions (entity keys)."""

    article_id: int
    title: str
    text: str
    source: str
    published: datetime
    people: tuple[str, ...] = ()


@dataclass(frozen=True)
class Story:
    """The chat-independent part of a story, rebuilt when an article joins it."""

    article_ids: tuple[int, ...]
    headline: str
    people: tuple[str, ...]  # most mentioned first
    sources: tuple[str, ...]  # in order of first report
    first_published: datetime
    last_published: datetime
    sentences: RankedSentences


SUMMARY_LEAD_REPORTS = 3  # with two reports their titles agree equally: neither is the story's title


def _title_agreement(articles: Sequence[StoryArticle]) -> list[float]:
    """How like the other reports' titles each report's title is."""
    vectors = [_vector(Counter(content_stems(a.title))) for a in articles]
    return [sum(cosine(v, w) for j, w in enumerate(vectors) if j != i) for i, v in enumerate(vectors)]


def _headline_report(agreement: Sequence[float]) -> int:
    """The report whose title is most like the others: the plain statement of the event, not one
    outlet's angle (the first on a tie)."""
    return max(range(len(agreement)), key=lambda i: (agreement[i], -i))


def _summary_lead(agreement: Sequence[float]) -> int | None:
    """The report whose lead opens the summary when the titles agree on one: of three reports or more,
    the headline's, so that the summary tells what the headline says (a story of a forecast and its
    outcome otherwise opened "job growth likely slowed" under "job growth beats expectations"). None:
    the report whose lead best states what the others tell."""
    if len(agreement) < SUMMARY_LEAD_REPORTS:
        return None
    best = _headline_report(agreement)
    return best if all(agreement[best] > a for i, a in enumerate(agreement) if i != best) else None


def build_story(articles: Sequence[StoryArticle], max_people: int = 5) -> Story:
    ordered = sorted(articles, key=lambda a: (a.published, a.article_id))
    agreement = _title_agreement(ordered)
    mentions = Counter(p for a in ordered for p in dict.fromkeys(a.people))
    first_seen = {p: i for i, p in reversed(list(enumerate(p for a in ordered for p in a.people)))}
    people = sorted(mentions, key=lambda p: (-mentions[p], first_seen[p]))[:max_people]
    return Story(
        article_ids=tuple(a.article_id for a in ordered),
        headline=" ".join(ordered[_headline_report(agreement)].title.split()),
        people=tuple(people),
        sources=tuple(dict.fromkeys(a.source for a in ordered)),
        first_published=ordered[0].published,
        last_published=ordered[-1].published,
        sentences=rank_sentences([(a.title, a.text) for a in ordered], lead_report=_summary_lead(agreement)),
    )


@dataclass(frozen=True)
class StoryDigest:
    """One entry of a chat's digest."""

    headline: str
    summary: tuple[str, ...]
    article_ids: tuple[int, ...]
    people: tuple[str, ...]
    sources: tuple[str, ...]
    last_published: datetime


def digest_story(
    story: Story, already_sent: Sequence[str] = (), max_sentences: int = MAX_SENTENCES
) -> StoryDigest:
    return StoryDigest(
        headline=story.headline,
        summary=summarize(story.sentences, already_sent, max_sentences),
        article_ids=story.article_ids,
        people=story.people,
        sources=story.sources,
        last_published=story.last_published,
    )


RECENCY_HALF_LIFE = timedelta(hours=12)


def importance(story: Story, now: datetime, prominence: Mapping[str, float] | None = None) -> float:
    """How high a story goes in a digest: more outlets, fresher, about better-known people.

    Outlets count logarithmically (the tenth report adds less than the second); interest halves
    every RECENCY_HALF_LIFE; the best-known person of the story lifts it by up to half.
    """
    outlets = math.log2(1 + len(story.sources))
    age = max((now - story.last_published).total_seconds(), 0.0)
    recency = 0.5 ** (age / RECENCY_HALF_LIFE.total_seconds())
    fame = 0.0
    if prominence and story.people:
        top = max(prominence.values(), default=0.0)
        if top > 0:
            fame = max(prominence.get(p, 0.0) for p in story.people) / top
    return outlets * recency * (1.0 + 0.5 * fame)


def rank_key(weight: float, story: Story) -> tuple[float, float]:
    """The order of stories by a weight (their `importance`): the heaviest first, ties to the more recent."""
    return -weight, -story.last_published.timestamp()


def ranking_time(stories: Iterable[Story], now: datetime) -> datetime:
    """The time stories' recency is measured from when they are ranked together: the newest one's last
    report (or `now`, if earlier). Only the order of importances matters, and a factor all stories share
    leaves it as it was; but measured from `now`, an archive of older news (a year back, or the seeds)
    had 0.5 ** (age / RECENCY_HALF_LIFE) = 0.0 for every story, and ranked by time alone."""
    return min(now, max((s.last_published for s in stories), default=now))


def rank_stories(
    stories: Sequence[Story], now: datetime, prominence: Mapping[str, float] | None = None
) -> list[Story]:
    """Stories most important first; ties go to the more recent one."""
    reference = ranking_time(stories, now)
    return sorted(stories, key=lambda s: rank_key(importance(s, reference, prominence), s))
