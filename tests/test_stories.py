"""Story grouping: rewrites of one event share a story, other events do not, stories continue over days."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta

from bot.digest.inputs import story_inputs
from bot.digest.stories import (
    STORY_GAP,
    ArticleStoryInput,
    AssignmentInput,
    OpenStory,
    article_features,
    assign_stories,
    assign_story,
    batch_languages,
    centroid_from_json,
    centroid_to_json,
    document_frequencies,
    features_from_json,
    features_to_json,
    join_story,
    open_since,
    same_story,
    similarity,
    start_story,
    template_conflict,
)
from storage.stories import ArticleText

NOON = datetime(2024, 5, 14, 12, 0, tzinfo=UTC)

BRIDGE_AGENCY = (
    "В Томске закрыли Коммунальный мост через Томь на ремонт",
    "Коммунальный мост через Томь в Томске закрыли для движения транспорта на три месяца. "
    "Мэрия объяснила закрытие ремонтом опор, которые размыло весенним паводком. "
    "Автобусы пустят в объезд по Северному мосту.",
)
BRIDGE_REWRITE = (
    "Мэрия Томска на три месяца перекрыла Коммунальный мост",
    "Движение по Коммунальному мосту через Томь перекрыто: городские власти начали ремонт опор моста, "
    "поврежденных паводком. Объезд для автобусов организован по Северному мосту. "
    "Ремонт продлится до августа.",
)
BRIDGE_SHORT = (
    "Коммунальный мост в Томске закрыт на ремонт опор",
    "Власти Томска закрыли Коммунальный мост через реку Томь: после паводка нужно ремонтировать опоры.",
)
METRO = (
    "В Казани открыли новую станцию метро «Дубравная»",
    "Станцию метро «Дубравная» открыли в Казани в пятницу. Поезда начнут возить пассажиров с субботы. "
    "Строительство станции обошлось городу в четыре миллиарда рублей.",
)
# Same city, same word "мост", another event: a festival, not the repair.
FESTIVAL = (
    "В Томске пройдет фестиваль уличной музыки",
    "Фестиваль уличной музыки пройдет в Томске в выходные на набережной Томи. "
    "На сцене выступят двадцать групп, вход на концерты будет свободным. "
    "Организаторы обещают фейерверк в воскресенье вечером.",
)
FOLLOW_UP = (
    "Ремонт Коммунального моста в Томске завершат раньше срока",
    "Подрядчик обещает открыть Коммунальный мост через Томь в июле, на месяц раньше срока. "
    "Ремонт опор моста, размытых паводком, идет круглосуточно, сообщила мэрия Томска.",
)


def _features(article: tuple[str, str], lang: str = "ru"):
    return article_features(article[0], article[1], lang)


def _input(article_id: int, article: tuple[str, str], published: datetime, lang: str = "ru"):
    return ArticleStoryInput(article_id, published, _features(article, lang), frozenset(article[0].split()))


def _stories(story_of) -> list[list[int]]:
    grouped: dict[int, list[int]] = {}
    for article_id, story_id in story_of.items():
        grouped.setdefault(story_id, []).append(article_id)
    return sorted(sorted(ids) for ids in grouped.values())


def test_rewrites_of_one_event_share_a_story() -> None:
    items = (
        _input(1, BRIDGE_AGENCY, NOON),
        _input(2, METRO, NOON + timedelta(minutes=5)),
        _input(3, BRIDGE_REWRITE, NOON + timedelta(minutes=20)),
        _input(4, FESTIVAL, NOON + timedelta(minutes=30)),
        _input(5, BRIDGE_SHORT, NOON + timedelta(minutes=40)),
    )
    assert _stories(assign_stories(AssignmentInput(items, (), 0)).story_of) == [[1, 3, 5], [2], [4]]


def test_a_batch_numbers_its_new_stories_after_the_stored_ones_in_order_of_publication() -> None:
    items = (
        _input(7, METRO, NOON + timedelta(minutes=5)),
        _input(9, BRIDGE_REWRITE, NOON + timedelta(minutes=20)),
        _input(8, BRIDGE_AGENCY, NOON),
    )
    decided = assign_stories(AssignmentInput(items, (), 40))
    assert list(decided.story_of.items()) == [(8, 41), (7, 42), (9, 41)]
    bridge, metro = decided.stories
    assert (bridge.story_id, bridge.new, bridge.centroid.size, bridge.first_published) == (41, True, 2, NOON)
    assert bridge.centroid.last_published == NOON + timedelta(minutes=20)
    assert (metro.story_id, metro.new, metro.centroid.size) == (42, True, 1)
    assert decided.documents == 3
    assert decided.stem_counts["Мэрия"] == 1 and decided.stem_counts["Коммунальный"] == 2


def test_a_batch_continues_an_open_story_and_reports_its_new_centroid() -> None:
    story = start_story(_features(BRIDGE_AGENCY), NOON)
    festival = start_story(_features(FESTIVAL), NOON)
    batch = (
        _input(3, FOLLOW_UP, NOON + timedelta(days=1)),
        _input(4, METRO, NOON + timedelta(days=1, hours=1)),
    )
    decided = assign_stories(AssignmentInput(batch, (OpenStory(10, festival), OpenStory(11, story)), 11))
    assert decided.story_of == {3: 11, 4: 12}
    metro, bridge = decided.stories
    assert (metro.story_id, metro.new) == (12, True)
    assert (bridge.story_id, bridge.new, bridge.first_published) == (11, False, NOON + timedelta(days=1))
    assert bridge.centroid == join_story(story, batch[0].features, batch[0].published)


def test_of_two_equally_close_open_stories_the_one_read_last_is_continued() -> None:
    same = start_story(_features(BRIDGE_AGENCY), NOON)
    batch = (_input(5, BRIDGE_REWRITE, NOON + timedelta(hours=1)),)
    assert assign_stories(AssignmentInput(batch, (OpenStory(3, same), OpenStory(2, same)), 3)).story_of == {
        5: 2
    }


def test_a_batch_reads_the_stories_open_for_its_earliest_article_in_each_of_its_languages() -> None:
    batch = (
        _input(1, METRO, NOON + timedelta(hours=2)),
        _input(2, ("Dover port shut", "The port of Dover is shut."), NOON + timedelta(hours=1), "en"),
    )
    assert open_since(batch) == NOON + timedelta(hours=1) - STORY_GAP
    assert batch_languages(batch) == ("en", "ru")


def test_events_in_the_same_city_are_different_stories() -> None:
    assert not same_story(_features(BRIDGE_AGENCY), _features(FESTIVAL))
    assert similarity(_features(BRIDGE_AGENCY), _features(BRIDGE_REWRITE)) > similarity(
        _features(BRIDGE_AGENCY), _features(FESTIVAL)
    )


def test_english_rewrites_share_a_story() -> None:
    first = article_features(
        "Storm closes Dover port for second day",
        "The port of Dover stayed closed on Tuesday as a storm with winds of 90 mph battered the coast. "
        "Ferry operators cancelled all crossings to Calais until Wednesday.",
        "en",
    )
    second = article_features(
        "Dover port shut again as storm batters coast",
        "Ferries to Calais were cancelled for a second day after the storm shut the port of Dover. "
        "Winds reached 90 mph on the Kent coast, forecasters said.",
        "en",
    )
    other = article_features(
        "Bank of England holds interest rates",
        "The Bank of England kept interest rates unchanged on Thursday, citing stubborn inflation.",
        "en",
    )
    assert same_story(first, second)
    assert not same_story(first, other)


def test_next_day_article_joins_the_open_story() -> None:
    story = start_story(_features(BRIDGE_AGENCY), NOON)
    story = join_story(story, _features(BRIDGE_REWRITE), NOON + timedelta(hours=1))
    festival = start_story(_features(FESTIVAL), NOON)
    candidates = [(10, festival), (11, story)]
    assert assign_story(_features(FOLLOW_UP), NOON + timedelta(days=1), candidates) == 11


def test_unrelated_article_starts_a_new_story() -> None:
    candidates = [(11, start_story(_features(BRIDGE_AGENCY), NOON))]
    assert assign_story(_features(METRO), NOON + timedelta(hours=1), candidates) is None


def test_story_quiet_for_longer_than_the_gap_is_not_continued() -> None:
    candidates = [(11, start_story(_features(BRIDGE_AGENCY), NOON))]
    late = NOON + STORY_GAP + timedelta(hours=1)
    assert assign_story(_features(FOLLOW_UP), late, candidates) is None
    assert assign_story(_features(FOLLOW_UP), NOON + timedelta(days=1), candidates) == 11


def test_article_in_another_language_never_joins() -> None:
    russian = _features(BRIDGE_AGENCY)
    same_words_other_label = article_features(*BRIDGE_REWRITE, "uk")
    assert similarity(russian, same_words_other_label) == 0.0


def test_features_survive_storage_as_json_and_pickle() -> None:
    features = _features(BRIDGE_AGENCY)
    restored = features_from_json(features_to_json(features).encode())
    assert restored == features
    assert dict(restored.vector) == dict(features.vector)
    assert pickle.loads(pickle.dumps(features)).vector == features.vector
    centroid = join_story(start_story(features, NOON), _features(BRIDGE_REWRITE), NOON + timedelta(hours=2))
    back = centroid_from_json(centroid_to_json(centroid))
    assert back.size == 2 and back.last_published == NOON + timedelta(hours=2)
    assert abs(sum(back.vector.values()) - sum(centroid.vector.values())) < 1e-3


def test_frequent_words_weigh_less_once_the_store_has_enough_articles() -> None:
    # "мэрия" is in every stored article, "паводок" in none.
    store = [f"Мэрия сообщила новость номер {i} о благоустройстве двора {i}" for i in range(60)]
    frequencies = document_frequencies(store)
    text = "Мэрия закрыла мост после паводка."
    plain = article_features("", text, "ru")
    weighted = article_features("", text, "ru", frequencies)
    assert plain.vector["мэр"] == plain.vector["паводк"]
    assert weighted.vector["мэр"] < weighted.vector["паводк"]


def test_headline_words_outweigh_the_body() -> None:
    features = article_features(
        "Мост закрыли",
        "Мост закрыли. Автобусы поедут в объезд. Объезд займет время. Автобусы ходят реже.",
        "ru",
    )
    assert features.vector["мост"] > features.vector["автобус"]


WEATHER_BODY = (
    "Синоптики обещают облачную погоду без осадков. Днем воздух прогреется до плюс пяти градусов, "
    "ночью похолодает до минус двух. Ветер западный, умеренный."
)


def test_template_headlines_about_other_dates_are_other_stories() -> None:
    # Word for word the same forecast, but for another day: the cosine alone calls it one story.
    eighth = article_features("Прогноз погоды на 8 ноября", WEATHER_BODY, "ru")
    sixteenth = article_features("Прогноз погоды на 16 ноября", WEATHER_BODY, "ru")
    assert not same_story(eighth, sixteenth)
    candidates = [(7, start_story(eighth, NOON))]
    assert assign_story(sixteenth, NOON + timedelta(days=1), candidates) is None


def test_short_template_headlines_about_other_places_are_other_stories() -> None:
    brest = article_features("Погода в Бресте", WEATHER_BODY, "ru")
    gomel = article_features("Погода в Гомеле", WEATHER_BODY, "ru")
    assert not same_story(brest, gomel)
    assert same_story(brest, article_features("Погода в Бресте", WEATHER_BODY, "ru"))


SERIES_BODY = (
    "Создатели сериала опубликовали новое закадровое видео со съёмочной площадки проекта. "
    "Актёры репетируют сцену и смеются над неудачными дублями. Премьера запланирована на весну."
)


def test_the_same_frame_around_other_quoted_titles_is_other_stories() -> None:
    # One site's videos from the sets of two different series: the frame and the body are the same.
    north = article_features("Опубликовано видео со съёмок сериала «Северный ветер»", SERIES_BODY, "ru")
    garden_title = "Опубликовано закадровое видео со съёмок сериала «Летний сад»"
    garden = article_features(garden_title, SERIES_BODY, "ru")
    assert not same_story(north, garden)
    candidates = [(3, start_story(north, NOON))]
    assert assign_story(garden, NOON + timedelta(hours=2), candidates) is None
    # the same title, or a quotation rather than a title, keeps the cosine's word
    again = article_features("Видео со съёмок сериала «Северный ветер» опубликовано", SERIES_BODY, "ru")
    assert same_story(north, again)
    said = article_features("Режиссёр: «Северный ветер» выйдет весной", SERIES_BODY, "ru")
    told = article_features("Режиссёр: «Летний сад» выйдет весной", SERIES_BODY, "ru")
    assert template_conflict(said.headline, told.headline) is False


def test_rewrite_with_another_count_stays_in_the_story() -> None:
    # Other words differ too: a newer count of one event, not a template about another day.
    body = (
        "В Ростовской области коронавирус выявили у медицинских работников трех больниц. "
        "Все заболевшие изолированы, контакты отслеживают."
    )
    first = article_features("На Дону коронавирусом заражен 121 медицинский работник", body, "ru")
    later = article_features("На Дону коронавирусом заразились 120 медработников", body, "ru")
    assert same_story(first, later)


def test_long_headlines_differing_in_one_name_may_retell_one_event() -> None:
    body = "Президент назвал переговоры в Стамбуле полезными. Стороны договорились продолжить встречи."
    statement = "прокомментировал заявление Зеленского о переговорах в Стамбуле"
    first = article_features(f"Песков {statement}", body, "ru")
    second = article_features(f"Кремль {statement}", body, "ru")
    assert same_story(first, second)


def test_stories_stored_before_headlines_were_kept_still_load() -> None:
    old = '{"l":"ru","v":{"мост":1.0},"n":1,"p":"2024-05-14T12:00:00+00:00"}'
    centroid = centroid_from_json(old)
    assert centroid.headline == () and centroid.size == 1
    assert features_from_json('{"l":"ru","v":{"мост":1.0},"t":["мост"]}').headline == ()
    eighth = article_features("Прогноз погоды на 8 ноября", WEATHER_BODY, "ru")
    back = centroid_from_json(centroid_to_json(start_story(eighth, NOON)))
    assert back.headline == eighth.headline


POSTS_INTRO = (
    "В этой статье собрана вся информация о новом релизе исполнителя: концепция, фото и видео тизеры, "
    "хайлайт, клип и спэшлы. Для вашего удобства мы собираем все материалы о камбэке в одном посте. "
    "Все купленные альбомы фиксируются в национальном музыкальном чарте."
)
POSTS = (
    ("[РЕЛИЗ] Группа «Северный ветер» представила клип", "Клип снят на Камчатке."),
    ("[РЕЛИЗ] Певица Мира Лай представила альбом", "В альбоме десять песен."),
    ("[РЕЛИЗ] Дуэт «Ночной город» представил тур", "Тур охватит двенадцать городов."),
)


def test_a_sources_template_intro_does_not_fold_its_posts_into_one_story() -> None:
    def batch(source: str) -> list[list[int]]:
        texts = [
            ArticleText(n, title, f"{POSTS_INTRO} {news}", "ru", NOON + timedelta(minutes=n), source)
            for n, (title, news) in enumerate(POSTS, start=1)
        ]
        return _stories(assign_stories(AssignmentInput(tuple(story_inputs(texts, None, {})), (), 0)).story_of)

    assert batch("") == [[1, 2, 3]]  # by their words alone, the intro makes them one story
    assert batch("K-Pop Daily") == [[1], [2], [3]]  # one source under three unrelated headlines: its template
