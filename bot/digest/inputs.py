"""What a worker computes for each new article so storage can assign it to a story.

Kept apart from bot/digest/service.py: a worker process that unpickles this function imports only this module,
not aiogram (about 150 MB and 3 s of start-up per worker).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.digest import boilerplate
from bot.digest.stories import ArticleStoryInput, DocumentFrequencies, article_features, content_stems
from storage.stories import ArticleText, SourceReport


def story_inputs(
    articles: Sequence[ArticleText],
    frequencies: DocumentFrequencies | None,
    source_leads: Mapping[str, Sequence[SourceReport]] | None = None,
) -> list[ArticleStoryInput]:
    """Story vectors and distinct stems of new articles: a worker's job. A source's boilerplate, read from
    its earlier reports (`source_leads`) and these, is left out of the vector: a site's template intro is
    no evidence that two of its posts tell one story."""
    reports: dict[str, list[SourceReport]] = {source: list(r) for source, r in (source_leads or {}).items()}
    for a in articles:
        if a.source:
            reports.setdefault(a.source, []).append(
                SourceReport(None, a.title, a.text[: boilerplate.OPENING_CHARS])
            )
    repeated = boilerplate.by_source(reports)
    return [
        ArticleStoryInput(
            article_id=a.article_id,
            published=a.published,
            features=article_features(
                a.title, boilerplate.without(a.text, repeated.get(a.source, frozenset())), a.lang, frequencies
            ),
            stems=frozenset(content_stems(f"{a.title}\n{a.text}")),
        )
        for a in articles
    ]
