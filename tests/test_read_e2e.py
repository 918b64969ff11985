"""Reading the archive end to end: /start, /help, /latest, /search, /stats, in Russian and English."""

from __future__ import annotations

import json
import re

from bot.emulator import BotAPIEmulator
from handlers.articles import opens_with_a_date
from tests.conftest import ADMIN, ADMIN_EN, READER, READER_EN, SEED, RunningBot, entity_texts


async def add_jsonl(bot: RunningBot, records: list[dict[str, str]]) -> None:
    data = "\n".join(json.dumps(r, ensure_ascii=False) for r in records).encode()
    reply = await bot.send_file(ADMIN, "batch.jsonl", data)
    assert reply["text"].count("✅") == len(records), reply["text"]


async def test_start_speaks_the_users_language(bot: RunningBot) -> None:
    (ru,) = await bot.ask(READER, "/start")
    (en,) = await bot.ask(READER_EN, "/start")
    assert ru["text"].startswith("👋 Я храню новости")
    assert en["text"].startswith("👋 I keep the news")


async def test_unsupported_language_falls_back_to_russian(bot: RunningBot) -> None:
    from bot.emulator import TelegramUser

    (reply,) = await bot.ask(TelegramUser(77, "Hans", language_code="de"), "/start")
    assert reply["text"].startswith("👋 Я храню новости")


async def test_help_shows_admin_commands_to_admins_only(bot: RunningBot) -> None:
    (reader,) = await bot.ask(READER_EN, "/help")
    (admin,) = await bot.ask(ADMIN_EN, "/help")
    assert "/search words" in reader["text"] and "/ingest" not in reader["text"]
    assert "/ingest" in admin["text"] and "/stats" in admin["text"]
    assert "/allow" in admin["text"] and "/allow" not in reader["text"]
    assert "my @name and words" in reader["text"]  # inline mode


async def test_commands_are_registered_in_both_languages(bot: RunningBot, emulator: BotAPIEmulator) -> None:
    default = {c["command"]: c["description"] for c in emulator.commands[""]}
    english = {c["command"]: c["description"] for c in emulator.commands["en"]}
    assert default["search"] == "Поиск по статьям"
    assert english["search"] == "Search the articles"
    assert set(default) == set(english) >= {"search", "latest", "help", "start"}


async def test_search_finds_an_inflected_russian_word(bot: RunningBot) -> None:
    await bot.send_file(ADMIN, SEED.name, SEED.read_bytes())
    await add_jsonl(
        bot, [{"title": "Погода в Москве", "text": "Завтра в столице ожидается снег.", "date": "2025-11-27"}]
    )
    # "переговорам" is in no text; "переговоры", "переговоров" are.
    (reply,) = await bot.ask(READER, "/search переговорам")
    text = reply["text"]
    assert text.startswith("🔎 1 статья по запросу «переговорам»")
    assert "Лукашенко заявил" in text and "26 ноября 2025" in text
    assert "Погода" not in text
    bold = entity_texts(reply, "bold")
    assert "переговоры" in bold and "Переговоры" not in bold[:1]  # the snippet's word, not the title's


async def test_search_finds_a_surname_in_ov_in_every_case(bot: RunningBot) -> None:
    # Snowball stems the nominative "Песков" to "песк" and every other case ("Пескова") to "песков"
    await add_jsonl(
        bot,
        [
            {
                "title": "Брифинг о тарифах на газ",
                "text": "Слова Дмитрия Пескова о тарифах на газ прозвучали утром.",
                "date": "2025-11-20",
            },
            {
                "title": "Выборы в Молдавии",
                "text": "Дмитрий Песков ответил на вопросы о выборах в Молдавии.",
                "date": "2025-11-21",
            },
            {"title": "Пляж", "text": "На пляж завезли тонну песка.", "date": "2025-11-22"},
        ],
    )
    await bot.app.digests.stories_settled()  # two stories, each its own result, whenever /search asks
    for query in ("Песков", "Пескова"):
        (reply,) = await bot.ask(READER, f"/search {query}")
        assert "Брифинг о тарифах на газ" in reply["text"], (query, reply["text"])
        # the bare nominative as well, and not the sand: «песка» stems to "песк" as "Песков" does
        assert "Выборы в Молдавии" in reply["text"] and "Пляж" not in reply["text"], (query, reply["text"])
        assert reply["text"].startswith("🔎 2 статьи"), reply["text"]
    (nominative,) = await bot.ask(READER, "/search Песков")
    assert "Пескова" in entity_texts(nominative, "bold")
    (sand,) = await bot.ask(READER, "/search песка")
    assert "Пляж" in sand["text"]
    # written in lower case, the word is read as a name once the archive knows a person of that surname
    await bot.app.analyzer.idle()
    (lower,) = await bot.ask(READER, "/search песков")
    assert "Выборы в Молдавии" in lower["text"] and "Пляж" not in lower["text"], lower["text"]
    assert "Пескова" in entity_texts(lower, "bold")


async def test_search_ranks_the_title_match_first_and_falls_back_to_any_word(bot: RunningBot) -> None:
    await add_jsonl(
        bot,
        [
            {"title": "Снег в Москве", "text": "Синоптики обещают метель и снегопад.", "date": "2025-11-20"},
            {
                "title": "Пробки",
                "text": "Из-за снега в Москве пробки достигли девяти баллов.",
                "date": "2025-11-21",
            },
            {"title": "Театр", "text": "Премьера в Большом театре перенесена.", "date": "2025-11-22"},
        ],
    )
    (reply,) = await bot.ask(READER, "/search снегом")
    titles = [line for line in reply["text"].split("\n") if line[:2] in ("1.", "2.", "3.")]
    assert titles[0].startswith("1. Снег в Москве") and titles[1].startswith("2. Пробки")
    (any_word,) = await bot.ask(READER, "/search снег театр")
    assert "Театр" in any_word["text"] and "Снег в Москве" in any_word["text"]


async def test_search_shows_a_story_once_with_its_other_reports(bot: RunningBot) -> None:
    """Three outlets report one ruling and a fourth article merely mentions the court: the ruling is one
    result, naming the other outlets, and the other article is the second."""
    title = "Верховный суд ликвидировал движение «За права» по иску Минюста"
    texts = {
        "Вести": "Верховный суд удовлетворил иск Минюста и ликвидировал движение «За права». Руководитель "
        "движения заявил, что организация продолжит работу и обжалует решение суда.",
        "Курьер": "Движение «За права» ликвидировано решением Верховного суда по иску Минюста. В движении "
        "пообещали обжаловать решение суда и продолжить работу.",
        "Радио Север": "Верховный суд ликвидировал движение «За права», иск подавал Минюст. Лидер движения "
        "сообщил, что решение суда обжалуют.",
    }
    day = "2025-11-20"
    records = [{"title": title, "text": t, "source": source, "date": day} for source, t in texts.items()]
    records.append(
        {
            "title": "Суд рассмотрит жалобу на ремонт моста",
            "text": "Жители обжалуют решение суда о ремонте моста, жалобу рассмотрят в декабре.",
            "source": "Вести",
            "date": "2025-11-21",
        }
    )
    await add_jsonl(bot, records)
    await bot.app.digests.stories_settled()
    (reply,) = await bot.ask(READER, "/search решение суда")
    text = reply["text"]
    assert text.startswith("🔎 2 статьи по запросу")
    assert text.count(title) == 1
    assert "+ ещё 2 сообщения об этом сюжете: " in text
    assert text.index(title) < text.index("Суд рассмотрит жалобу")
    (english,) = await bot.ask(READER_EN, "/search Минюст")
    assert "+ 2 more reports of this story: " in english["text"]
    inline = await bot.emulator.inline_answer(await bot.emulator.inline_query(READER, "решение суда"))
    assert [r["title"] for r in inline["results"]].count(title) == 1  # inline mode too: one per story
    assert any(r["title"] == "Суд рассмотрит жалобу на ремонт моста" for r in inline["results"])


async def test_search_without_words_or_hits_explains(bot: RunningBot) -> None:
    (usage,) = await bot.ask(READER_EN, "/search")
    assert usage["text"].startswith("Write what to look for")
    (nothing,) = await bot.ask(READER_EN, "/search <b>zzzz</b> & co")
    assert nothing["text"].startswith("Nothing found for “<b>zzzz</b> & co”")


async def test_titles_with_markup_characters_are_escaped(bot: RunningBot) -> None:
    title = "Курс <b>рубля</b> & «доллар» </i>"
    await add_jsonl(
        bot,
        [
            {
                "title": title,
                "text": "Рубль & доллар: <script>курс</script> вырос.",
                "url": "https://e.org/?a=1&b=<2>",
            }
        ],
    )
    (latest,) = await bot.ask(READER, "/latest")
    assert title in latest["text"]
    link = next(e for e in latest["entities"] if e["type"] == "text_link")
    assert link["url"] == "https://e.org/?a=1&b=<2>"
    (found,) = await bot.ask(READER, "/search курс рубля")
    assert title in found["text"] and "<script>курс</script>" in found["text"]


async def test_latest_lists_newest_first_with_dates(bot: RunningBot) -> None:
    (empty,) = await bot.ask(READER_EN, "/latest")
    assert empty["text"] == "The archive is empty so far."
    await add_jsonl(
        bot,
        [
            {"title": "Older", "text": "Older text.", "date": "2025-11-01", "source": "Reuters"},
            {"title": "Newest", "text": "Newest text.", "date": "2025-11-25"},
            {"title": "Middle", "text": "Middle text.", "date": "2025-11-10"},
        ],
    )
    (reply,) = await bot.ask(READER_EN, "/latest")
    lines = reply["text"].split("\n\n")
    assert lines[0] == "🗞 Latest articles"
    assert lines[1:] == [
        "25 November 2025 — Newest",
        "10 November 2025 — Middle",
        "1 November 2025 — Older · Reuters",
    ]


async def test_long_answers_are_split_within_telegrams_limit(
    bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    records = [
        {
            "title": f"Переговоры, раунд {n}: " + "очень длинный заголовок " * 11,
            "text": f"Переговоры {n} " + "шли долго и упорно " * 30 + ".",
        }
        for n in range(10)
    ]
    await add_jsonl(bot, records)
    before = len(emulator.messages(READER.id))
    await emulator.send_text(READER, "/search переговоры")
    await emulator.wait_for(
        lambda: any("\n\n10. " in m["text"] for m in emulator.messages(READER.id)[before:])
    )
    parts = emulator.messages(READER.id)[before:]
    assert len(parts) >= 2
    assert all(len(p["text"].encode("utf-16-le")) // 2 <= 4096 for p in parts)
    assert not emulator.refused


async def test_stats_counts_the_archive(bot: RunningBot) -> None:
    await add_jsonl(
        bot,
        [
            {"title": "A", "text": "Текст A.", "source": "ТАСС"},
            {"title": "B", "text": "Text B in English.", "source": "Reuters", "lang": "en"},
        ],
    )
    (reply,) = await bot.ask(ADMIN_EN, "/stats")
    assert "Articles: 2" in reply["text"] and "Languages: en: 1, ru: 1" in reply["text"]
    assert "Sources: 2" in reply["text"]
    # the time of the last upload says its zone (the bot's, Europe/Moscow unless TIMEZONE says otherwise)
    assert re.search(r"Last added: \d+ \w+ \d{4}, \d\d:\d\d GMT[+-]\d\d:\d\d", reply["text"]), reply["text"]


async def test_latest_takes_a_count_or_words_and_explains_a_bad_count(bot: RunningBot) -> None:
    await add_jsonl(
        bot,
        [
            {
                "title": f"Новость дня {n}",
                "text": f"Событие номер {n} случилось утром.",
                "date": f"2025-11-{n:02d}",
            }
            for n in range(1, 13)
        ]
        + [
            {"title": "Брифинг в Кремле", "text": "Дмитрий Песков ответил на вопросы.", "date": "2025-10-02"},
            {"title": "Песков о газе", "text": "Слова Дмитрия Пескова о газе.", "date": "2025-10-05"},
            {"title": "Пляж", "text": "На пляж завезли тонну песка.", "date": "2025-11-20"},
        ],
    )
    (ten,) = await bot.ask(READER, "/latest")
    assert ten["text"].count(" — ") == 10 and "Пляж" in ten["text"]
    (three,) = await bot.ask(READER, "/latest 3")
    titles = re.findall(r"— (.+?)(?: ·|$)", three["text"], flags=re.M)
    assert titles == ["Пляж", "Новость дня 12", "Новость дня 11"], three["text"]
    # words: the newest reports about them (not the sand «песка», though "Песков" stems as it does)
    (peskov,) = await bot.ask(READER, "/latest Песков")
    assert peskov["text"].startswith("🗞 Свежие статьи: «Песков»")
    assert re.findall(r"— (.+?)(?: ·|$)", peskov["text"], flags=re.M) == ["Песков о газе", "Брифинг в Кремле"]
    # a count before the words: that many of the newest about them ("5 Трамп" looked for "5" too)
    (one,) = await bot.ask(READER, "/latest 1 Песков")
    assert one["text"].startswith("🗞 Свежие статьи: «Песков»"), one["text"]
    assert re.findall(r"— (.+?)(?: ·|$)", one["text"], flags=re.M) == ["Песков о газе"]
    (nothing,) = await bot.ask(READER, "/latest землетрясение")
    assert nothing["text"].startswith("По запросу «землетрясение» ничего не найдено")
    for bad in ("0", "-5", "31", "99999999999999999999"):
        (refused,) = await bot.ask(READER, f"/latest {bad}")
        assert refused["text"].startswith(f"⚠️ «{bad}» статей?") and "от 1 до 30" in refused["text"], bad
    (english,) = await bot.ask(READER_EN, "/latest 0")
    assert english["text"].startswith("⚠️ “0” articles? Write a number from 1 to 30")


async def test_a_word_with_a_minus_leaves_its_articles_out(bot: RunningBot) -> None:
    # "-word" was read as one more word to find: "/search суд -Песков" found only the articles naming him
    await add_jsonl(
        bot,
        [
            {"title": "Суд в Москве", "text": "Суд рассмотрел иск Дмитрия Пескова.", "date": "2025-11-20"},
            {"title": "Суд в Казани", "text": "Суд признал завод банкротом.", "date": "2025-11-21"},
            {"title": "Пляж", "text": "Суд разрешил завезти на пляж тонну песка.", "date": "2025-11-22"},
        ],
    )
    await bot.app.digests.stories_settled()
    for query in ("суд -Песков", "суд −Пескова", "суды —Песков"):
        (reply,) = await bot.ask(READER, f"/search {query}")
        # the name is left out, not the sand «песка» its stem shares
        assert "Суд в Казани" in reply["text"] and "Пляж" in reply["text"], (query, reply["text"])
        assert "Суд в Москве" not in reply["text"], (query, reply["text"])
    (only,) = await bot.ask(READER, "/search -суд")
    assert only["text"].startswith("В запросе «-суд» только исключения"), only["text"]
    assert "/search суд -Пономарев" in only["text"]
    (english,) = await bot.ask(READER_EN, "/search -court")
    assert english["text"].startswith("“-court” only leaves words out"), english["text"]
    # /latest with left-out words alone: the newest articles without them
    (newest,) = await bot.ask(READER, "/latest -Песков")
    titles = re.findall(r"— (.+?)(?: ·|$)", newest["text"], flags=re.M)
    assert titles == ["Пляж", "Суд в Казани"], newest["text"]
    (both,) = await bot.ask(READER, "/latest суд -завод")
    assert re.findall(r"— (.+?)(?: ·|$)", both["text"], flags=re.M) == ["Пляж", "Суд в Москве"], both["text"]


async def test_nothing_found_while_articles_wait_for_analysis_says_so(bot: RunningBot) -> None:
    # after an upgrade the archive is analysed again; meanwhile /who knew "nobody" and said nothing more
    bot.app.analyzer.consuming = False  # this bot stores; nobody analyses until it says so
    await bot.app.analyzer.close()
    await bot.send_file(ADMIN, SEED.name, SEED.read_bytes())
    (who,) = await bot.ask(READER, "/who Лукашенко")
    assert who["text"].startswith("В сохранённых новостях нет никого по имени «Лукашенко»"), who["text"]
    assert "⏳ Ещё 1 статья анализируется" in who["text"], who["text"]
    (timeline,) = await bot.ask(READER_EN, "/timeline Лукашенко")
    assert "⏳ 1 article is still being analysed" in timeline["text"], timeline["text"]
    (stats,) = await bot.ask(ADMIN, "/stats")
    assert "Ожидают анализа: 1" in stats["text"], stats["text"]
    bot.app.analyzer.consuming = True
    await bot.app.analyzer.idle()
    (card,) = await bot.ask(READER, "/who Лукашенко")
    assert card["text"].startswith("👤 Александр Лукашенко"), card["text"]
    (stats,) = await bot.ask(ADMIN, "/stats")
    assert "Ожидают анализа" not in stats["text"], stats["text"]


def test_a_day_before_words_is_no_count() -> None:
    # "/latest 9 мая": the newest about Victory Day, not the nine newest about «мая»
    assert opens_with_a_date("9 мая") and opens_with_a_date("1 November")
    assert not opens_with_a_date("5 Трамп") and not opens_with_a_date("3 переговоры")
