"""What a worker computes for each new article so storage can assign it to a story.

Kept apart from bot/digest/service.py: a worker process that unpickles this function imports only this module,
not aiogram (about 150 MB and 3 s of start-up per worker).
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.digest.stories import ArticleStoryInput, DocumentFrequencies, article_features, content_stems
from storage.stories import ArticleText


def story_inputs(
    articles: Sequence[ArticleText], frequencies: DocumentFrequencies | None
) -> list[ArticleStoryInput]:
    """Story vectors and distinct stems of new articles: a worker's job."""
    return [
        ArticleStoryInput(
            article_id=a.article_id,
            published=a.published,
            features=article_features(a.title, a.text, a.lang, frequencies),
            stems=frozenset(content_stems(f"{a.title}\n{a.text}")),
        )
        for a in articles
    ]
