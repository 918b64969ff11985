"""/search: the best matches of a query, one per story.

Ten reports of one story («Верховный суд ликвидировал движение…» from ten outlets) would fill the reply
with one piece of news; each story shows its best-ranked match, and how many of the other matches tell it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.analysis.stems import query_stems
from storage.articles import Article, ArticleRepo
from storage.stories import StoryRepo

# /search shows this many stories; it reads SEARCH_POOL matches to find them and their other reports.
SEARCH_RESULTS = 10
SEARCH_POOL = 40


@dataclass(frozen=True)
class SearchHit:
    """A /search result: the best match of a story, and the story's other matches."""

    article: Article
    others: tuple[Article, ...] = ()


def by_story(
    found: Sequence[Article], story_of: Mapping[int, int], limit: int = SEARCH_RESULTS
) -> list[SearchHit]:
    """The best-ranked match of each story, in rank order, with the other matches of that story (an
    article in no story yet, stored moments ago, stands alone)."""
    best: dict[object, Article] = {}
    others: dict[object, list[Article]] = {}
    for article in found:
        key: object = story_of.get(article.id, ("article", article.id))
        if key in best:
            others[key].append(article)
        elif len(best) < limit:
            best[key], others[key] = article, []
    return [SearchHit(article, tuple(others[key])) for key, article in best.items()]


async def search(
    articles: ArticleRepo, stories: StoryRepo, query: str, limit: int = SEARCH_RESULTS
) -> list[SearchHit]:
    found = await articles.search(query_stems(query), limit=max(SEARCH_POOL, limit))
    return by_story(found, await stories.story_of([a.id for a in found]), limit)
