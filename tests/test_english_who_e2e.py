"""An English article through the bot: its people reach /who, its club and its product do not."""

from __future__ import annotations

import json

from bot.analysis.stems import words
from bot.who.store import name_terms
from tests.conftest import ADMIN_EN, READER, READER_EN, RunningBot

ARTICLE = {
    "title": "Hollins joins Villa",
    "date": "2025-11-20",
    "lang": "en",
    "text": "Aston Villa signed midfielder Marek Hollins on Monday. Then Hollins posed with the new "
    "MacBook Air the club gave every player. North Korean media ignored the news. "
    "Coach Dana Whitfield was pleased. "
    '"He will start <soon> & often," Whitfield told reporters. Whitfield added that Villa fans loved him.',
}


async def test_english_article_yields_its_people_in_who(bot: RunningBot) -> None:
    data = json.dumps(ARTICLE).encode()
    await bot.send_file(ADMIN_EN, "villa.jsonl", data)
    await bot.app.analyzer.idle()
    (top,) = await bot.ask(READER_EN, "/who")
    lines = top["text"].split("\n")
    assert lines[0] == "👥 Most mentioned people (all time)"
    listed = "\n".join(lines[1:])
    assert "Marek Hollins" in listed and "Dana Whitfield" in listed
    for thing in ("Villa", "MacBook", "North Korean", "Then Hollins"):
        assert thing not in listed
    (card,) = await bot.ask(READER_EN, "/who Hollins")
    assert card["text"].startswith("👤 Marek Hollins\n")
    (coach,) = await bot.ask(READER_EN, "/who Whitfield")
    assert coach["text"].startswith("👤 Dana Whitfield\n")
    for titled in ("Mr. Whitfield", "Coach Dana Whitfield", "Dr Whitfield"):  # knew nobody: the title's word
        (card,) = await bot.ask(READER_EN, f"/who {titled}")
        assert card["text"].startswith("👤 Dana Whitfield\n"), (titled, card["text"])
    assert "<soon> & often" in coach["text"]  # the quote, escaped on the way and shown as written


NASH = {
    "title": "Nash back on stage",
    "date": "2025-11-21",
    "lang": "en",
    "text": "Singer Graham Nash played in Leeds on Friday. Nash sang for two hours. "
    "Fans cheered Nash all night. Nash thanked them twice. Later Nash signed records for an hour. "
    "Investors in the NASH fund, which shares only his name, lost money.",
}


async def test_a_name_read_once_does_not_hide_the_person_everyone_means(bot: RunningBot) -> None:
    # "NASH" (the fund, once) is the query's exact name; Graham Nash, named six times, is who a reader means
    await bot.send_file(ADMIN_EN, "nash.jsonl", json.dumps(NASH).encode())
    await bot.app.analyzer.idle()
    entities = await bot.app.entities.find("Nash")
    assert {e.name for e in entities} >= {"Graham Nash", "NASH"}  # both are there to choose from
    (card,) = await bot.ask(READER_EN, "/who Nash")
    assert card["text"].startswith("👤 Graham Nash\n")


ACROSS = [
    {
        "title": "Песков ответил на вопросы о газе",
        "date": "2025-11-20",
        "lang": "ru",
        "text": "Пресс-секретарь президента Дмитрий Песков ответил на вопросы журналистов о поставках газа. "
        "Песков сказал, что переговоры продолжатся на следующей неделе.",
    },
    {
        "title": "Fed holds rates",
        "date": "2025-11-21",
        "lang": "en",
        "text": "Federal Reserve Chair Jerome Powell said on Wednesday that rates would stay on hold. "
        "Powell told reporters the economy remained strong.",
    },
]


async def test_a_person_known_in_one_script_is_found_when_asked_for_in_the_other(bot: RunningBot) -> None:
    # only a person the archive had seen in both scripts crossed: "/who Peskov" knew nobody
    data = "\n".join(json.dumps(a, ensure_ascii=False) for a in ACROSS).encode()
    await bot.send_file(ADMIN_EN, "across.jsonl", data)
    await bot.app.analyzer.idle()
    for query in ("Peskov", "Dmitry Peskov"):
        (card,) = await bot.ask(READER_EN, f"/who {query}")
        assert card["text"].startswith("👤 Дмитрий Песков\n"), (query, card["text"])
    (titled,) = await bot.ask(READER, "/who пресс-секретаря Пескова")
    assert titled["text"].startswith("👤 Дмитрий Песков\n"), titled["text"]
    (russian,) = await bot.ask(READER, "/who Пауэлл")
    assert russian["text"].startswith("👤 Jerome Powell\n"), russian["text"]
    (other,) = await bot.ask(READER_EN, "/who Vladimir Peskov")  # a given name that disagrees is someone else
    assert other["text"].startswith("I know nobody called “Vladimir Peskov”"), other["text"]
    (found,) = await bot.ask(READER_EN, "/search Peskov")
    assert "Песков ответил на вопросы о газе" in found["text"] and "«Дмитрий Песков»" in found["text"], found


HYPHENS_AND_ACCENTS = [
    {
        "title": "Raid in Idlib",
        "date": "2025-11-22",
        "lang": "en",
        "text": "Islamic State leader Abu Bakr al-Baghdadi died in a raid, President Donald Trump said on "
        "Sunday. He had hidden in Idlib for months. Jacob Rees-Mogg called the raid a success.",
    },
    {
        "title": "Erdoğan meets Putin",
        "date": "2025-11-23",
        "lang": "en",
        "text": "Turkish President Recep Tayyip Erdoğan met Vladimir Putin in Sochi on Tuesday. "
        "Erdoğan said the talks were useful.",
    },
]


async def test_a_part_of_a_hyphenated_name_or_a_name_without_its_accents_finds_the_person(
    bot: RunningBot,
) -> None:
    # "/who Baghdadi" and "/who Erdogan" knew nobody: the name's words were "al-baghdadi" and "erdoğan"
    data = "\n".join(json.dumps(a, ensure_ascii=False) for a in HYPHENS_AND_ACCENTS).encode()
    await bot.send_file(ADMIN_EN, "names.jsonl", data)
    await bot.app.analyzer.idle()
    for query, name in (
        ("Baghdadi", "Abu Bakr al-Baghdadi"),
        ("Mogg", "Jacob Rees-Mogg"),
        ("Erdogan", "Erdoğan"),  # NER reads the lone surname here; the full name is another test's
    ):
        (card,) = await bot.ask(READER_EN, f"/who {query}")
        assert card["text"].startswith(f"👤 {name}\n"), (query, card["text"])


def test_name_terms_take_hyphenated_parts_and_latin_words_without_accents() -> None:
    assert {"baghdadi", "al-baghdadi"} <= name_terms("Abu Bakr al-Baghdadi")
    assert "al" not in name_terms("al-Assad")
    assert "erdogan" in name_terms("Recep Tayyip Erdoğan")
    # a query with the accents finds the name stored without them: the query is read without them too
    assert words("Erdoğan François Müller") == ["erdogan", "francois", "muller"]
    assert words("Йорк Ёлкин") == ["йорк", "елкин"]  # the breve of «й» is a letter's
