"""The digest domain's side of StoryRepo: assignment in storage's transaction, stored rows as domain types.

StoryRepo (storage/stories.py) knows no story vectors: it loads the open stories' centroids as the JSON they
are stored in and writes back rows; this module converts both ways and lets `assign_stories` decide.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from bot.digest import boilerplate
from bot.digest.compose import StoryMaterial
from bot.digest.stories import (
    ArticleStoryInput,
    Assignment,
    AssignmentInput,
    DocumentFrequencies,
    OpenStory,
    assign_stories,
    batch_languages,
    centroid_from_json,
    centroid_to_json,
    features_to_json,
    open_since,
)
from bot.digest.summary import StoryArticle
from storage.stories import (
    ArticleStoryWrite,
    SourceReport,
    StoryChanges,
    StoryRepo,
    StoryReports,
    StoryWrite,
)


async def source_leads(
    repo: StoryRepo, sources: Iterable[str], until: datetime | None
) -> dict[str, tuple[SourceReport, ...]]:
    """Each source's latest reports, as much of them as its boilerplate is read from
    (bot/digest/boilerplate.py): for assignment (`until` None: all stored) and for a digest's catalog."""
    return await repo.source_leads(sources, until, boilerplate.SOURCE_REPORTS, boilerplate.OPENING_CHARS)


async def frequencies(repo: StoryRepo) -> DocumentFrequencies:
    """The stored articles' stem frequencies: the IDF of new articles' story vectors."""
    stored = await repo.frequencies()
    return DocumentFrequencies(stored.documents, stored.counts)


async def assign(repo: StoryRepo, batch: Sequence[ArticleStoryInput]) -> dict[int, int]:
    """Put each new article into the open story it continues, or a new story; article id → story id.

    One transaction: the open stories are read under the write lock, so the centroids `assign_stories`
    starts from are the ones it updates.
    """
    if not batch:
        return {}
    await repo.frequencies()  # read before the write lock is taken
    async with repo.transaction() as conn:
        rows = await repo.open_stories(conn, batch_languages(batch), open_since(batch))
        decided = assign_stories(
            AssignmentInput(
                articles=tuple(batch),
                open_stories=tuple(OpenStory(row.id, centroid_from_json(row.centroid)) for row in rows),
                last_story_id=await repo.last_id(conn),
            )
        )
        await repo.write(conn, changes(batch, decided))
    return dict(decided.story_of)


def changes(batch: Sequence[ArticleStoryInput], decided: Assignment) -> StoryChanges:
    """The rows an assignment writes: its stories, each article's story and features, the stem counts."""
    features = {item.article_id: item.features for item in batch}
    return StoryChanges(
        stories=tuple(
            StoryWrite(
                id=s.story_id,
                lang=s.centroid.lang,
                centroid=centroid_to_json(s.centroid),
                size=s.centroid.size,
                first_published=s.first_published,
                last_published=s.centroid.last_published,
                new=s.new,
            )
            for s in decided.stories
        ),
        articles=tuple(
            ArticleStoryWrite(article_id, story_id, features_to_json(features[article_id]))
            for article_id, story_id in decided.story_of.items()
        ),
        stems=decided.stem_counts,
        documents=decided.documents,
    )


def materials(stored: Sequence[StoryReports]) -> list[StoryMaterial]:
    """Stories' newest reports as digests compose them."""
    return [
        StoryMaterial(
            story_id=story.story_id,
            articles=tuple(
                StoryArticle(
                    article_id=row.article_id,
                    title=row.title,
                    text=row.text,
                    source=row.source,
                    published=row.published,
                )
                for row in story.articles
            ),
            last_ingested=story.last_ingested,
            links=story.links,
            lang=story.lang,
        )
        for story in stored
    ]
