"""Stories: reports of one event from several sources, grouped incrementally as articles arrive.

Each article is reduced once, at ingest, to a compact TF-IDF vector over word stems
(`ArticleFeatures`, storable as JSON); a new article joins the most similar recent story centroid
or starts a story of its own, so grouping never compares all pairs of the store. `assign_stories` decides
for a batch of new articles, over the open stories storage loaded, what storage/stories.py then writes.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice

from razdel import sentenize

from bot.analysis.stems import WORD_RE, stem, words

# Cosine above which two reports are taken for the same event; chosen on the contest hour and
# the crowd-marked pairs (python -m bot.eval stories), where it sits in a flat region of accuracy.
SAME_STORY = 0.4
# A story that got no new report for this long is closed: a later article starts a new one.
STORY_GAP = timedelta(days=3)
VECTOR_TERMS = 64
CENTROID_TERMS = 128
# Inverted pyramid: the headline and the lead name the event, later paragraphs drift into
# background, so a word weighs 1 / (1 + i / LEAD_DECAY) in sentence i and TITLE_WEIGHT in the title.
TITLE_WEIGHT = 5.0
LEAD_DECAY = 1.0
BODY_SENTENCES = 40

# Function words and reporting verbs: IDF demotes frequent content words once the store holds enough
# articles; this list keeps prepositions and pronouns out of the vectors before that (and in tiny stores).
_FUNCTION_WORDS = """
а без более бы был была были было быть в вам вас весь во вот все всего всех вы где да даже для до
его ее если есть еще же за здесь и из или им их к как ко когда кто ли либо мне может мы на над надо
наш не него нее нет ни них но ну о об однако он она они оно от очень по под при про с со так также
такой там те тем то того тоже той только том ты у уже хотя чего чей чем что чтобы чье эта эти это
этого этой этом этот я который которая которые которых котором которой сообщает заявил заявила
сказал сказала стало году года лет
a about after all also an and any are as at be been before being between both but by can could did
do does during each few for from had has have he her here him his how i if in into is it its just
me more most my no nor not of off on once only or other our out over own same she should so some
such than that the their them then there these they this those through to too under until up very
was we were what when where which while who whom why will with would you your said says
"""
STOP_STEMS = frozenset(stem(w) for w in _FUNCTION_WORDS.split())


@dataclass(frozen=True)
class DocumentFrequencies:
    """How many stored articles contain each stem: the IDF that makes rare shared words count."""

    documents: int
    counts: Mapping[str, int] = field(hash=False)

    def weight(self, term: str) -> float:
        return math.log((self.documents + 1) / (self.counts.get(term, 0) + 1)) + 1.0


# Below this many documents IDF is noise; weights fall back to 1 (function words already dropped).
MIN_DOCUMENTS_FOR_IDF = 50


def document_frequencies(texts: Iterable[str]) -> DocumentFrequencies:
    """Document frequencies of stems over texts (title + text of each stored article)."""
    counts: Counter[str] = Counter()
    documents = 0
    for text in texts:
        documents += 1
        counts.update(set(content_stems(text)))
    return DocumentFrequencies(documents, dict(counts))


def content_stems(text: str) -> list[str]:
    """Stems of the words that can tell events apart: no function words, no one- or two-letter words."""
    return [s for w in words(text) if (len(w) > 2 or w.isdigit()) and (s := stem(w)) not in STOP_STEMS]


# Headline tokens by kind: a number, a proper name (capitalised past the first word, or an acronym), a word.
NUMBER, NAME, WORD = "n", "p", "w"
# Headlines this short that differ only in a name are template headlines about different places or people
# ("Погода в Бресте" / "Погода в Гомеле"); longer ones differing in a name may well retell one event.
TEMPLATE_NAME_TOKENS = 4


# A title in quotation marks after a word ("дорамы «Невероятный ты»", "движение «За права человека»"),
# not a quotation after a colon or opening the headline: its tokens are marked QUOTED + their kind.
QUOTED = "q"
_TITLE_QUOTE_RE = re.compile(r"(?<=\w)\s*(?:«([^»]+)»|\"([^\"]+)\"|“([^”]+)”|„([^“”]+)[“”])")


def headline_tokens(title: str) -> tuple[str, ...]:
    """The headline's content tokens as "kind:stem", the kind telling numbers and names from words; a
    word or name inside a quoted title is marked QUOTED as well ("qp:невероятн")."""
    quoted = [(m.start(), m.end()) for m in _TITLE_QUOTE_RE.finditer(title)]
    tokens = []
    for position, match in enumerate(WORD_RE.finditer(title)):
        raw = match.group(0)
        word = raw.lower().replace("ё", "е")
        if word.isdigit():
            tokens.append(f"{NUMBER}:{int(word)}")
            continue
        if len(word) <= 2 or (term := stem(word)) in STOP_STEMS:
            continue
        is_name = raw[0].isupper() and (position > 0 or (len(raw) > 1 and raw.isupper()))
        mark = QUOTED if any(a <= match.start() < b for a, b in quoted) else ""
        tokens.append(f"{mark}{NAME if is_name else WORD}:{term}")
    return tuple(dict.fromkeys(tokens))


# Two headlines with different quoted titles are about different works or bodies when at least this share
# of the shorter one's other tokens is in the longer ("Опубликовано видео со съёмок дорамы «X»" / «Y»).
TEMPLATE_FRAME_SHARE = 0.75


def _titles_conflict(a: set[str], b: set[str]) -> bool:
    quoted_a = {t[1:] for t in a if t.startswith(QUOTED)}
    quoted_b = {t[1:] for t in b if t.startswith(QUOTED)}
    if not quoted_a or not quoted_b or quoted_a & quoted_b:
        return False
    frame_a = {t for t in a if not t.startswith(QUOTED)}
    frame_b = {t for t in b if not t.startswith(QUOTED)}
    small, big = sorted((frame_a, frame_b), key=len)
    shared = small & big
    return any(t.startswith(WORD) for t in shared) and len(shared) >= TEMPLATE_FRAME_SHARE * len(small)


def template_conflict(first: Sequence[str], second: Sequence[str]) -> bool:
    """Two headlines cut from one template but about different events: the same words around a different
    date or count ("Прогноз погоды на 8 ноября" / "… на 16 ноября"), or, in a short headline, a different
    place or person ("Погода в Бресте" / "Погода в Гомеле"), or the same frame around different quoted
    titles ("Опубликовано видео со съёмок дорамы «Невероятный ты»" / "… «Цветочная команда»"). Word overlap
    alone calls these one story."""
    if _titles_conflict(set(first), set(second)):
        return True
    # The other rules read a quoted title's tokens as plain ones, as in features stored before the mark.
    a = {t.removeprefix(QUOTED) for t in first}
    b = {t.removeprefix(QUOTED) for t in second}
    only_a, only_b, shared = a - b, b - a, a & b
    if not only_a or not only_b or not any(t.startswith(WORD) for t in shared):
        return False
    differing = only_a | only_b
    if any(t.startswith(WORD) for t in differing):
        return False  # other words differ too: a rewrite, not a template
    if all(t.startswith(NUMBER) for t in differing):
        return True
    return max(len(a), len(b)) <= TEMPLATE_NAME_TOKENS


@dataclass(frozen=True)
class ArticleFeatures:
    """What story grouping needs of one article, computed once at ingest and stored as JSON."""

    lang: str
    vector: Mapping[str, float] = field(hash=False)  # L2-normalised TF-IDF over stems, top terms only
    title_stems: tuple[str, ...]
    headline: tuple[str, ...] = ()  # `headline_tokens` of the title (empty in features stored before them)


def _normalised(weights: Mapping[str, float], keep: int) -> dict[str, float]:
    top = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:keep]
    norm = math.sqrt(sum(w * w for _, w in top)) or 1.0
    return {t: round(w / norm, 4) for t, w in top}


def article_features(
    title: str, text: str, lang: str, frequencies: DocumentFrequencies | None = None
) -> ArticleFeatures:
    """Reduce an article to a compact vector in which the headline and the lead weigh most."""
    title_stems = tuple(content_stems(title))
    counts: dict[str, float] = defaultdict(float)
    for term in title_stems:
        counts[term] += TITLE_WEIGHT
    for i, sentence in enumerate(islice(sentenize(text), BODY_SENTENCES)):
        for term in content_stems(sentence.text):
            counts[term] += 1.0 / (1.0 + i / LEAD_DECAY)
    idf = frequencies if frequencies is not None and frequencies.documents >= MIN_DOCUMENTS_FOR_IDF else None
    weights = {
        t: (1.0 + math.log(c) if c >= 1 else c) * (idf.weight(t) if idf else 1.0) for t, c in counts.items()
    }
    return ArticleFeatures(lang, _normalised(weights, VECTOR_TERMS), title_stems, headline_tokens(title))


def cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b.get(t, 0.0) for t, w in a.items())


def similarity(a: ArticleFeatures, b: ArticleFeatures) -> float:
    """Cosine of two articles' vectors; articles in different languages, or with headlines cut from one
    template about different dates or places, never share a story."""
    if a.lang != b.lang or template_conflict(a.headline, b.headline):
        return 0.0
    return cosine(a.vector, b.vector)


def same_story(a: ArticleFeatures, b: ArticleFeatures, threshold: float = SAME_STORY) -> bool:
    return similarity(a, b) >= threshold


@dataclass(frozen=True)
class StoryCentroid:
    """The mean of a story's article vectors: what a new article is compared with."""

    lang: str
    total: Mapping[str, float] = field(hash=False)  # sum of member vectors, heaviest terms only
    vector: Mapping[str, float] = field(hash=False)  # `total` normalised, kept to spare recomputing
    size: int
    last_published: datetime
    headline: tuple[str, ...] = ()  # the first report's headline tokens: a template's other dates stay out


def _centroid(
    lang: str, total: Mapping[str, float], size: int, last_published: datetime, headline: tuple[str, ...] = ()
) -> StoryCentroid:
    return StoryCentroid(lang, total, _normalised(total, CENTROID_TERMS), size, last_published, headline)


def start_story(features: ArticleFeatures, published: datetime) -> StoryCentroid:
    return _centroid(features.lang, dict(features.vector), 1, published, features.headline)


def join_story(centroid: StoryCentroid, features: ArticleFeatures, published: datetime) -> StoryCentroid:
    """The centroid after one more article; kept to its heaviest terms so it stays small in storage."""
    total: dict[str, float] = dict(centroid.total)
    for term, weight in features.vector.items():
        total[term] = total.get(term, 0.0) + weight
    heaviest = dict(sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))[: CENTROID_TERMS * 2])
    return _centroid(
        centroid.lang, heaviest, centroid.size + 1, max(centroid.last_published, published), centroid.headline
    )


def assign_story(
    features: ArticleFeatures,
    published: datetime,
    candidates: Iterable[tuple[int, StoryCentroid]],
    threshold: float = SAME_STORY,
    gap: timedelta = STORY_GAP,
) -> int | None:
    """The id of the open story this article continues, or None when it starts a new one."""
    best_id, best = None, threshold
    for story_id, centroid in candidates:
        score = continuation(features, published, centroid, gap)
        if score is not None and score >= best:
            best_id, best = story_id, score
    return best_id


def continuation(
    features: ArticleFeatures, published: datetime, centroid: StoryCentroid, gap: timedelta = STORY_GAP
) -> float | None:
    """How close an article is to a story (cosine with its centroid), None when it cannot continue it:
    another language, a story closed by then, or a headline cut from the same template."""
    if centroid.lang != features.lang or abs(published - centroid.last_published) > gap:
        return None
    if template_conflict(features.headline, centroid.headline):
        return None
    return cosine(features.vector, centroid.vector)


@dataclass(frozen=True)
class ArticleStoryInput:
    """What assignment needs of one new article, computed in a worker process."""

    article_id: int
    published: datetime
    features: ArticleFeatures
    stems: frozenset[str]  # distinct content stems: the document-frequency update


@dataclass(frozen=True)
class OpenStory:
    """A stored story a new article may continue."""

    story_id: int
    centroid: StoryCentroid


@dataclass(frozen=True)
class AssignmentInput:
    """A batch of new articles and what storage holds that they are compared with."""

    articles: tuple[ArticleStoryInput, ...]
    # The stories open at `open_since(articles)` in the batch's languages, in the order storage read them
    # (of two equally close stories the later one wins).
    open_stories: tuple[OpenStory, ...]
    last_story_id: int  # the largest stored story id: new stories are numbered after it


@dataclass(frozen=True)
class StoryUpdate:
    """A story the batch started (`new`) or continued, with its centroid after the batch."""

    story_id: int
    centroid: StoryCentroid
    first_published: datetime  # the earliest of the batch's articles in it
    new: bool


@dataclass(frozen=True)
class Assignment:
    """What a batch changes: its stories, each article's story and the stem counts to add to the IDF."""

    stories: tuple[StoryUpdate, ...]  # new ones in order of id, then the continued ones
    story_of: Mapping[int, int] = field(hash=False)  # article id → story id, in order of publication
    stem_counts: Mapping[str, int] = field(hash=False)  # stem → new articles that contain it
    documents: int  # new articles counted in `stem_counts`


def open_since(articles: Iterable[ArticleStoryInput], gap: timedelta = STORY_GAP) -> datetime:
    """The earliest last report a story may have and still be continued by one of these articles."""
    return min(item.published for item in articles) - gap


def batch_languages(articles: Iterable[ArticleStoryInput]) -> tuple[str, ...]:
    """The languages of a batch, in order of their first article as assignment goes through them."""
    ordered = sorted(articles, key=lambda i: (i.published, i.article_id))
    return tuple(dict.fromkeys(item.features.lang for item in ordered))


def assign_stories(
    batch: AssignmentInput, threshold: float = SAME_STORY, gap: timedelta = STORY_GAP
) -> Assignment:
    """Put each new article, in order of publication, into the open story it continues or a new story.

    Stories the batch starts are candidates for its later articles; every article is compared with every
    open story of its language (`assign_story`).
    """
    candidates: dict[str, dict[int, StoryCentroid]] = defaultdict(dict)
    for story in batch.open_stories:
        candidates[story.centroid.lang][story.story_id] = story.centroid
    created: list[int] = []
    continued: list[int] = []
    first_published: dict[int, datetime] = {}
    story_of: dict[int, int] = {}
    last_id = batch.last_story_id
    for item in sorted(batch.articles, key=lambda i: (i.published, i.article_id)):
        open_stories = candidates[item.features.lang]
        story_id = assign_story(item.features, item.published, open_stories.items(), threshold, gap)
        if story_id is None:
            last_id += 1
            story_id = last_id
            open_stories[story_id] = start_story(item.features, item.published)
            created.append(story_id)
        else:
            open_stories[story_id] = join_story(open_stories[story_id], item.features, item.published)
            if story_id not in first_published:
                continued.append(story_id)
        first_published[story_id] = min(item.published, first_published.get(story_id, item.published))
        story_of[item.article_id] = story_id
    centroids = {story_id: c for stories in candidates.values() for story_id, c in stories.items()}
    updates = tuple(
        StoryUpdate(story_id, centroids[story_id], first_published[story_id], story_id in created)
        for story_id in (*created, *continued)
    )
    counts = Counter(stem for item in batch.articles for stem in item.stems)
    return Assignment(updates, story_of, dict(counts), len(batch.articles))


def features_to_json(features: ArticleFeatures) -> str:
    """Compact JSON for a TEXT/BLOB column: about 1.5 KB per article."""
    return json.dumps(
        {"l": features.lang, "v": features.vector, "t": features.title_stems, "h": features.headline},
        ensure_ascii=False,
        separators=(",", ":"),
    )


def features_from_json(data: str | bytes) -> ArticleFeatures:
    raw = json.loads(data)
    return ArticleFeatures(
        raw["l"], {t: float(w) for t, w in raw["v"].items()}, tuple(raw["t"]), tuple(raw.get("h", ()))
    )


def centroid_to_json(centroid: StoryCentroid) -> str:
    return json.dumps(
        {
            "l": centroid.lang,
            "v": {t: round(w, 4) for t, w in centroid.total.items()},
            "n": centroid.size,
            "p": centroid.last_published.isoformat(),
            "h": centroid.headline,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def centroid_from_json(data: str | bytes) -> StoryCentroid:
    raw = json.loads(data)
    return _centroid(
        raw["l"], dict(raw["v"]), int(raw["n"]), datetime.fromisoformat(raw["p"]), tuple(raw.get("h", ()))
    )
