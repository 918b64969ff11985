"""Composing digests: topic filters in any word form, what is new to the chat, escaping and splitting."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.digest.compose import (
    Catalog,
    Composer,
    DigestRequest,
    StoryMaterial,
    Topics,
    build_catalog,
    parse_topics,
)
from bot.digest.subscribe import BadArgument, parse_subscribe, zone_label
from bot.digest.summary import StoryArticle
from bot.emulator.tg_html import parse_html, utf16_len
from bot.telegram import replies
from bot.telegram.i18n import create_i18n

NOON = datetime(2025, 11, 26, 12, 0, tzinfo=UTC)
TALKS = (
    "Лукашенко заявил о переговорах в Минске",
    "Президент Белоруссии Александр Лукашенко заявил, что переговоры в Минске пройдут на следующей неделе. "
    "Делегации обсудят мирный план и обмен пленными.",
)
FOOTBALL = (
    "Спартак обыграл Зенит",
    "Спартак обыграл Зенит в матче чемпионата России по футболу со счетом два один. "
    "Победный гол забили на последней минуте матча.",
)
BRIDGE = (
    "Мост через Томь закрыли на ремонт",
    "Коммунальный мост через Томь в Томске закрыли на три месяца. Мэрия объяснила закрытие ремонтом опор.",
)


def material(story_id: int, *reports: tuple[str, str], hours_ago: float = 1.0) -> StoryMaterial:
    articles = tuple(
        StoryArticle(
            article_id=story_id * 100 + n,
            title=title,
            text=text,
            source=f"Источник {n}",
            published=NOON - timedelta(hours=hours_ago),
        )
        for n, (title, text) in enumerate(reports)
    )
    return StoryMaterial(
        story_id, articles, NOON - timedelta(hours=hours_ago), (("Источник 0", "https://e.org/?a=1&b=2"),)
    )


def catalog() -> Catalog:
    return build_catalog([material(1, TALKS), material(2, FOOTBALL), material(3, BRIDGE, hours_ago=30)], NOON)


def headlines(composer: Composer, request: DigestRequest) -> list[str]:
    return [e.digest.headline for e in composer.compose(request).entries]


def test_topics_match_any_word_form_and_exclusions_win() -> None:
    topics, phrases, excluded = parse_topics("Лукашенко, переговорами; -футбол")
    assert phrases == ("Лукашенко", "переговорами") and excluded == ("футбол",)
    composer = Composer(catalog())
    since = NOON - timedelta(hours=24)
    assert headlines(composer, DigestRequest(1, since, topics)) == [TALKS[0]]
    only_sport, _, _ = parse_topics("Зенит")
    assert headlines(composer, DigestRequest(2, since, only_sport)) == [FOOTBALL[0]]
    no_sport, _, _ = parse_topics("-футболу")
    assert FOOTBALL[0] not in headlines(composer, DigestRequest(3, since, no_sport))


def test_a_surname_in_ov_as_a_topic_matches_its_other_cases() -> None:
    # Snowball stems "Песков" to "песк" but "Пескова", "Пескову" to "песков": the topic needs both
    kremlin = (
        "В Кремле ответили на вопрос о переговорах",
        "Слова Дмитрия Пескова о переговорах в Минске прозвучали на брифинге. Пескову задали три вопроса.",
    )
    composer = Composer(build_catalog([material(1, kremlin), material(2, FOOTBALL)], NOON))
    since = NOON - timedelta(hours=24)
    for topic in ("Песков", "Пескова", "песков, Зенит"):
        topics, _, _ = parse_topics(topic)
        assert kremlin[0] in headlines(composer, DigestRequest(1, since, topics)), topic
    excluded, _, _ = parse_topics("-Песков")
    assert headlines(composer, DigestRequest(2, since, excluded)) == [FOOTBALL[0]]
    # the nominative alone, and not the sand, whose «песка» the stemmer cuts to "песк" as it cuts "Песков"
    bare = ("Выборы в Молдавии", "Дмитрий Песков ответил на вопросы о выборах.")
    sand = ("Пляж", "На пляж завезли тонну песка и гальки.")
    composer = Composer(build_catalog([material(3, bare), material(4, sand)], NOON))
    for topic in ("Песков", "Пескова"):
        topics, _, _ = parse_topics(topic)
        assert headlines(composer, DigestRequest(3, since, topics)) == [bare[0]], topic
    not_him, _, _ = parse_topics("-Песков")
    assert headlines(composer, DigestRequest(4, since, not_him)) == [sand[0]]


def test_an_archive_of_old_news_is_ranked_by_outlets_not_by_time_alone() -> None:
    # two years back, 0.5 ** (age / 12 h) is 0.0 for every story: the digest ranked by time only
    years = 2 * 365 * 24
    three = material(1, TALKS, TALKS, TALKS, hours_ago=years + 1)  # three outlets, an hour earlier
    one = material(2, BRIDGE, hours_ago=years)
    old = build_catalog([one, three], NOON)
    assert [c.story.headline for c in old.stories] == [TALKS[0], BRIDGE[0]]
    assert old.stories[0].importance > old.stories[1].importance > 0


def test_only_stories_with_reports_since_the_last_digest_are_included() -> None:
    composer = Composer(catalog())
    day = headlines(composer, DigestRequest(1, NOON - timedelta(hours=24), Topics()))
    assert set(day) == {TALKS[0], FOOTBALL[0]}
    assert BRIDGE[0] in headlines(composer, DigestRequest(1, None, Topics()))
    assert headlines(composer, DigestRequest(1, NOON, Topics())) == []


def test_limit_counts_the_stories_left_out() -> None:
    composed = Composer(catalog(), limit=1).compose(DigestRequest(1, None, Topics()))
    assert len(composed.entries) == 1 and composed.more == 2


def test_a_story_the_chat_was_told_about_is_summarised_by_what_is_new() -> None:
    update = (
        "Переговоры в Минске перенесли",
        "Переговоры в Минске перенесли на две недели по просьбе одной из делегаций. "
        "Новая дата встречи пока не названа, сообщили в МИД Белоруссии.",
    )
    composer = Composer(build_catalog([material(1, TALKS, update)], NOON))
    first = composer.compose(DigestRequest(1, None, Topics())).entries[0].digest.summary
    again = composer.compose(DigestRequest(2, None, Topics(), {1: first})).entries[0].digest.summary
    assert again and not set(again) & set(first)


def test_digest_escapes_article_strings_and_splits_between_stories() -> None:
    i18n = create_i18n()
    hostile = ("Курс <b>рубля</b> & «доллар» </i>", "Рубль & доллар: <script>курс</script> вырос. " * 3)
    long_reports = [
        material(n, (f"Событие номер {n} в городе {n}", f"Подробности события номер {n} в городе. " * 6))
        for n in range(10, 60)
    ]
    composer = Composer(build_catalog([material(1, hostile), *long_reports], NOON), limit=60)
    with i18n.context(), i18n.use_locale("en"):
        parts = replies.digest.digest(
            composer.compose(DigestRequest(1, None, Topics())), NOON, ZoneInfo("UTC")
        )
    assert len(parts) >= 2
    texts = []
    for part in parts:
        plain, _ = parse_html(part)  # raises on a tag cut in two
        assert utf16_len(plain) <= 4096
        texts.append(plain)
    whole = "\n".join(texts)
    assert hostile[0] in whole and "<script>курс</script>" in whole
    assert parts[0].startswith("🗞 <b>Digest for 26 November 2025</b>")
    assert 'href="https://e.org/?a=1&amp;b=2"' in parts[0]


def test_subscribe_arguments_time_zone_and_topics() -> None:
    args = parse_subscribe("8:30 europe/berlin Лукашенко, переговоры, -спорт")
    assert (args.send_at, args.timezone, args.topics) == (
        "08:30",
        "Europe/Berlin",
        "Лукашенко, переговоры, -спорт",
    )
    assert parse_subscribe("").send_at is None
    assert parse_subscribe("Europe/Minsk").timezone == "Europe/Minsk"
    for written, clock, zone, topics in (
        ("8", "08:00", None, None),
        ("0830 msk", "08:30", "Europe/Moscow", None),
        ("8 UTC+3 Трамп", "08:00", "Etc/GMT-3", "Трамп"),
        ("8.30 +03:00", "08:30", "Etc/GMT-3", None),
        ("7ч МСК+4 Путин", "07:00", "Etc/GMT-7", "Путин"),
        ("12am GMT-5", "00:00", "Etc/GMT+5", None),
        ("12 pm PST", "12:00", "America/Los_Angeles", None),
        ("8am EST", "08:00", "America/New_York", None),  # not zoneinfo's "EST", UTC-5 all year
        ("8:30pm UTC+0", "20:30", "Etc/UTC", None),
        ("8 марта", None, None, "8 марта"),  # a bare hour before other words is a topic
        ("1 мая, -спорт", None, None, "1 мая, -спорт"),
    ):
        args = parse_subscribe(written)
        assert (args.send_at, args.timezone, args.topics) == (clock, zone, topics), written
    labels = {"Etc/GMT-3": "UTC+3", "Etc/GMT+5": "UTC-5", "Etc/UTC": "UTC", "Europe/Berlin": "Europe/Berlin"}
    assert {name: zone_label(name) for name in labels} == labels
    for bad, kind in (
        ("25:99", "time"),
        ("08:30 Mars/Olympus", "timezone"),
        ("08:30 +05:30", "timezone"),  # no zone of zoneinfo's is a fixed part-hour offset
        ("UTC+15", "timezone"),
        ("13pm", "time"),
        ("0am", "time"),
        ("2400", "time"),
        ("25", "time"),
        ("off", "control"),  # was a digest on the word "off"
        ("Пауза", "control"),
        (", ".join(f"тема{n}" for n in range(30)), "topics"),
    ):
        try:
            parse_subscribe(bad)
        except BadArgument as exc:
            assert exc.kind == kind
        else:
            raise AssertionError(f"{bad!r} was accepted")


TARIFFS = (
    "Ministers agree on steel tariffs",
    "Trade ministers agreed on Friday to cut steel tariffs by half from January. The deal covers imports.",
)


def test_a_chat_reads_its_own_language_first_unless_other_news_is_much_bigger() -> None:
    """A Russian chat gets the Russian story before an English one as important; a Russian story
    reported by one outlet still yields to an English story four outlets reported."""
    since = NOON - timedelta(hours=24)
    english = replace(material(4, TARIFFS), lang="en")
    russian = replace(material(1, TALKS), lang="ru")
    composer = Composer(build_catalog([english, russian], NOON))
    assert headlines(composer, DigestRequest(1, since, Topics(), language="ru")) == [TALKS[0], TARIFFS[0]]
    assert headlines(composer, DigestRequest(2, since, Topics(), language="en")) == [TARIFFS[0], TALKS[0]]
    big = replace(material(4, TARIFFS, TARIFFS, TARIFFS, TARIFFS), lang="en")
    composer = Composer(build_catalog([russian, big], NOON))
    assert headlines(composer, DigestRequest(1, since, Topics(), language="ru"))[0] == TARIFFS[0]
    limited = Composer(build_catalog([english, russian], NOON), limit=1)
    assert limited.compose(DigestRequest(1, since, Topics(), language="ru")).more == 1
