"""Story summaries favour what the chat has not been sent; stories rank by sources, freshness, people."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta

from bot.digest.summary import (
    Story,
    StoryArticle,
    build_story,
    digest_story,
    rank_sentences,
    rank_stories,
    summarize,
)

NOON = datetime(2024, 5, 14, 12, 0, tzinfo=UTC)

AGENCY = StoryArticle(
    1,
    "В Томске закрыли Коммунальный мост на ремонт",
    "Коммунальный мост через Томь в Томске закрыли для движения транспорта на три месяца. "
    "Мэрия объяснила закрытие ремонтом опор, которые размыло весенним паводком. "
    "Автобусы пустят в объезд по Северному мосту, интервалы движения вырастут вдвое. "
    "Фото: пресс-служба мэрии Томска.",
    "tass.ru",
    NOON,
    ("Дмитрий Махинин",),
)
REWRITE = StoryArticle(
    2,
    "Мэрия Томска на три месяца перекрыла Коммунальный мост",
    "Коммунальный мост через Томь в Томске закрыли для транспорта на три месяца. "
    "Ремонт опор моста, размытых весенним паводком, обойдется городу в 300 миллионов рублей. "
    "Мэр Дмитрий Махинин пообещал, что пешеходы смогут ходить по мосту все лето.",
    "tomsk.ru",
    NOON + timedelta(minutes=30),
    ("Дмитрий Махинин", "Ирина Лебедева"),
)
FOLLOW_UP = StoryArticle(
    3,
    "Ремонт Коммунального моста в Томске завершат раньше срока",
    "ТОМСК, 20 мая — РИА Новости. Подрядчик обещает открыть Коммунальный мост через Томь в июле, на месяц "
    "раньше срока. Рабочие уже заменили две из четырех опор, размытых весенним паводком. "
    "Бригады работают на мосту круглосуточно, в три смены.",
    "ria.ru",
    NOON + timedelta(days=6),
    ("Ирина Лебедева",),
)


def _single(article_id: int, source: str, published: datetime, people: tuple[str, ...] = ()) -> Story:
    text = "Власти города объявили о новом решении в пятницу утром. Подробности обещали сообщить позже днем."
    return build_story([StoryArticle(article_id, f"Событие {article_id}", text, source, published, people)])


def test_summary_has_one_to_three_sentences() -> None:
    story = build_story([AGENCY, REWRITE, FOLLOW_UP])
    summary = summarize(story.sentences)
    assert 1 <= len(summary) <= 3
    assert summarize(story.sentences, max_sentences=1) == summary[:1]
    one_sentence = build_story(
        [StoryArticle(9, "Мост закрыли", "Коммунальный мост через Томь закрыли на ремонт.", "a.ru", NOON)]
    )
    assert len(summarize(one_sentence.sentences)) == 1


def test_summary_leaves_out_what_the_chat_was_already_sent() -> None:
    story = build_story([AGENCY, REWRITE, FOLLOW_UP])
    first = digest_story(story).summary
    second = digest_story(story, already_sent=first).summary
    assert second
    assert not set(first) & set(second)


def test_reworded_old_sentence_counts_as_already_sent() -> None:
    ranked = rank_sentences([(AGENCY.title, AGENCY.text), (REWRITE.title, REWRITE.text)])
    earlier = "На три месяца закрыли для движения транспорта Коммунальный мост через Томь в Томске."
    summary = summarize(ranked, already_sent=[earlier])
    assert all("на три месяца" not in s for s in summary)


def test_rewrites_do_not_fill_the_summary_with_one_fact() -> None:
    summary = summarize(rank_sentences([(AGENCY.title, AGENCY.text), (REWRITE.title, REWRITE.text)]))
    assert sum("на три месяца" in s for s in summary) == 1


def test_a_chat_that_got_everything_still_gets_one_sentence() -> None:
    ranked = rank_sentences([(AGENCY.title, AGENCY.text)])
    everything = summarize(ranked, max_sentences=10)
    assert len(summarize(ranked, already_sent=everything)) == 1


def test_captions_and_datelines_stay_out_of_summaries() -> None:
    ranked = rank_sentences([(AGENCY.title, AGENCY.text), (FOLLOW_UP.title, FOLLOW_UP.text)])
    assert not any("Фото" in s for s in ranked.sentences)
    assert any(s.startswith("Подрядчик обещает") for s in ranked.sentences)
    assert not any("РИА Новости" in s for s in ranked.sentences)


def test_story_lists_sources_in_order_and_people_by_mentions() -> None:
    story = build_story([FOLLOW_UP, REWRITE, AGENCY])
    assert story.article_ids == (1, 2, 3)
    assert story.sources == ("tass.ru", "tomsk.ru", "ria.ru")
    assert story.people == ("Дмитрий Махинин", "Ирина Лебедева")
    assert story.last_published == FOLLOW_UP.published


def test_headline_is_the_title_most_like_the_others() -> None:
    angle = StoryArticle(
        4, "Томичи пересели на автобусы", "Жители Томска пересели на автобусы в объезд.", "x.ru", NOON
    )
    story = build_story([angle, AGENCY, REWRITE])
    assert story.headline in (AGENCY.title, REWRITE.title)


def test_ranking_prefers_stories_with_more_sources() -> None:
    lone = _single(10, "a.ru", NOON)
    multi = build_story([AGENCY, REWRITE])
    assert rank_stories([lone, multi], now=NOON + timedelta(hours=1)) == [multi, lone]


def test_ranking_prefers_fresh_stories_at_equal_sources() -> None:
    old = _single(10, "a.ru", NOON - timedelta(days=1))
    fresh = _single(11, "b.ru", NOON)
    assert rank_stories([old, fresh], now=NOON) == [fresh, old]


def test_prominent_people_lift_a_story() -> None:
    plain = _single(10, "a.ru", NOON, ("Иван Петров",))
    famous = _single(11, "b.ru", NOON, ("Владимир Путин",))
    prominence = {"Владимир Путин": 120.0, "Иван Петров": 2.0}
    assert rank_stories([plain, famous], now=NOON, prominence=prominence) == [famous, plain]


def test_story_travels_to_a_worker_process() -> None:
    story = build_story([AGENCY, REWRITE])
    assert pickle.loads(pickle.dumps(story)) == story


def test_summary_after_a_follow_up_tells_its_news_and_repeats_nothing() -> None:
    sent_yesterday = digest_story(build_story([AGENCY, REWRITE])).summary
    today = digest_story(build_story([AGENCY, REWRITE, FOLLOW_UP]), already_sent=sent_yesterday).summary
    assert any(sentence in FOLLOW_UP.text for sentence in today)
    assert not set(today) & set(sent_yesterday)
