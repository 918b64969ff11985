"""An article's path after it is stored (bot/pipeline.py), through the App's wiring and a real SQLite file:
stored → queued for analysis and joined to its story → analysed → its entities, events and story read back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import pytest_asyncio

from bot.app import App
from bot.config import load_settings
from bot.emulator import BotAPIEmulator
from storage.articles import Article

pytestmark = pytest.mark.asyncio(loop_scope="module")

PUBLISHED = datetime(2025, 11, 26, 12, 0, tzinfo=UTC)
# Two sources report one meeting; a third article is about something else.
BELTA = (
    "Лукашенко провёл переговоры с Путиным в Минске",
    "26 ноября 2025 года президент Белоруссии Александр Лукашенко провёл переговоры с Владимиром Путиным"
    " в Минске. Стороны обсудили поставки газа.",
)
TASS = (
    "Путин и Лукашенко обсудили в Минске поставки газа",
    "26 ноября 2025 года Александр Лукашенко и Владимир Путин встретились в Минске и обсудили поставки газа.",
)
FOOTBALL = (
    "Спартак обыграл Зенит в Москве",
    "Спартак обыграл Зенит в матче чемпионата России по футболу со счётом два один. Победный гол забил"
    " нападающий Манфред Угальде на последней минуте.",
)


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def app(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[App]:
    """The App as `python -m bot run` wires it, without Telegram: the path after storing needs none."""
    settings = load_settings(
        bot_token=BotAPIEmulator().token,
        telegram_api_url="http://127.0.0.1:9",  # never called
        database_path=Path(tmp_path_factory.mktemp("pipeline")) / "news.sqlite3",
        analysis_workers=1,
        default_timezone="Europe/Moscow",
    )
    app = await App.open(settings)
    try:
        yield app
    finally:
        await app.close()


async def store(app: App, report: tuple[str, str], source: str, url: str) -> Article:
    title, text = report
    ingested = await app.ingest.text(
        f"{title}\n\n{text}", by=None, source=source, url=url, published_at=PUBLISHED
    )
    (stored,) = ingested.saved
    return stored.article


async def test_a_stored_article_is_analysed_with_its_entities_events_and_story(app: App) -> None:
    # 1. Stored: every way an article arrives ends in IngestService, which hands the new ones on.
    belta = await store(app, BELTA, "БелТА", "https://belta.example/1")
    tass = await store(app, TASS, "ТАСС", "https://tass.example/2")
    football = await store(app, FOOTBALL, "Спорт", "https://sport.example/3")
    assert app.ingest.articles_stored == 3

    # 2–4. Queued for analysis and joined to their stories in the background; each analysis stored in one
    # transaction with its entities and its events.
    await app.pipeline.settled()
    assert app.analyzer.analysed == 3 and app.analyzer.failed == 0

    # Entities: one person across both reports, in any form of the name.
    (lukashenko,) = await app.entities.find("Лукашенко")
    assert (lukashenko.name, lukashenko.kind, lukashenko.articles) == ("Александр Лукашенко", "PER", 2)

    # Events: the meeting, dated as the texts say, one event reported by both sources (the match is not his).
    answer = await app.timeline.find("Лукашенко")
    assert answer.page is not None
    (meeting,) = answer.page.events
    assert (meeting.begin, meeting.end) == (date(2025, 11, 26), date(2025, 11, 26))
    assert "Минске" in meeting.text
    assert meeting.source_count == 2 and {s.id for s in meeting.sources} == {belta.id, tass.id}

    # Stories: both reports of the meeting in one story, the match in another.
    now = datetime.now(UTC)
    stories = await app.digests.stories.reports(await app.digests.stories.touched(None, now), now)
    grouped = sorted(sorted(r.article_id for r in story.articles) for story in stories)
    assert grouped == [sorted([belta.id, tass.id]), [football.id]]

    # 5. What a digest sees (its catalog): the meeting's story, its sources, the people the analysis found.
    catalog = await app.digests._catalog(None, now)
    (meeting_story,) = [c.story for c in catalog.stories if belta.id in c.story.article_ids]
    assert sorted(meeting_story.article_ids) == sorted([belta.id, tass.id])
    assert set(meeting_story.sources) == {"БелТА", "ТАСС"}
    assert {"Александр Лукашенко", "Владимир Путин"} <= set(meeting_story.people)


async def test_a_duplicate_is_not_passed_down_the_pipeline(app: App) -> None:
    analysed, stored = app.analyzer.analysed, app.ingest.articles_stored
    title, text = BELTA
    again = await app.ingest.text(f"{title}\n\n{text}", by=None, source="БелТА", published_at=PUBLISHED)
    assert again.duplicates and not again.saved
    await app.pipeline.settled()
    assert (app.analyzer.analysed, app.ingest.articles_stored) == (analysed, stored)
