"""What a summary never shows, and what it opens with: each rule on text written for the test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.digest.summary import (
    MAX_CHARS,
    StoryArticle,
    build_story,
    clean_sentence,
    depends_on_previous,
    digest_story,
    rank_sentences,
    summarize,
)

NOON = datetime(2024, 5, 14, 12, 0, tzinfo=UTC)
LEAD = "Мэрия Томска закрыла Коммунальный мост через Томь на ремонт до конца августа."
SECOND = "Автобусы пойдут в объезд по Северному мосту, интервалы движения вырастут вдвое."


def _summary(text: str, title: str = "Мост закрыли", max_sentences: int = 3) -> tuple[str, ...]:
    return summarize(rank_sentences([(title, text)]), max_sentences=max_sentences, max_chars=1000)


def test_byline_glued_to_the_first_sentence_is_cut_off() -> None:
    summary = _summary(f"Текст: Дарья Косарева Впервые за двадцать лет мэрия закрыла мост. {SECOND}")
    assert summary[0] == "Впервые за двадцать лет мэрия закрыла мост."
    assert not any("Косарева" in s for s in summary)


def test_english_byline_is_cut_off_and_the_outlet_with_it() -> None:
    assert clean_sentence("By John Smith, Reuters The bank raised its key rate to 5%.") == (
        "The bank raised its key rate to 5%."
    )
    not_a_byline = "By Friday, the bank had raised its key rate."
    assert clean_sentence(not_a_byline) == not_a_byline


def test_rubric_label_is_not_the_news() -> None:
    text = (
        "Традиционно пятница – время новостей под рубрикой «Антислухи». "
        "Мэрия Томска опровергла слухи о закрытии Коммунального моста на всю зиму. "
        "Ремонт опор закончат к середине ноября, движение не перекроют."
    )
    summary = _summary(text)
    assert summary[0].startswith("Мэрия Томска опровергла слухи")
    assert not any("рубрик" in s for s in summary)


def test_summary_never_opens_with_a_sentence_that_leans_on_a_missing_one() -> None:
    text = (
        "Поэтому общая точка зрения трех фракций городской думы так и не сложилась к утру. "
        "Депутаты думы Томска приняли бюджет города на следующий год большинством голосов. "
        "Расходы на ремонт дорог вырастут на треть по сравнению с прошлым годом."
    )
    summary = _summary(text)
    assert summary[0].startswith("Депутаты думы Томска приняли бюджет")
    assert not any(s.startswith("Поэтому") for s in summary)


@pytest.mark.parametrize(
    "sentence",
    [
        "Поэтому решение отложили.",
        "Он пообещал вернуться к вопросу.",
        "Там уже работают спасатели.",
        "Этот мост построили в 1960-х.",
        "Также мэрия закроет две улицы.",
        "При этом цены не изменятся.",
        "Об этом заявил глава города.",
        "После этого движение открыли.",
        "Соответствующее решение принял суд.",
        "В финале он сыграет с командой из Омска.",
        "On Friday she said the bank would wait.",
        "He said the bank would wait.",
        "This is the third such case.",
        "However, the bank kept its rate.",
    ],
)
def test_sentences_that_need_the_one_before(sentence: str) -> None:
    assert depends_on_previous(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "Мэрия Томска закрыла мост.",
        "Онкологический центр открыли в Томске.",
        "Тамбовские власти объявили конкурс.",
        "Heavy rain closed the bridge.",
        "Thiswaythe splitter never joins words.",
        "Ученые МГУ им. Ломоносова нашли причину болезни.",
        "Last week it was announced that the bridge would close.",
    ],
)
def test_sentences_that_stand_alone(sentence: str) -> None:
    assert not depends_on_previous(sentence)


def test_a_dependent_sentence_follows_the_one_it_was_written_after() -> None:
    text = f"{LEAD} Она пообещала открыть движение для пешеходов уже в июне этого года."
    assert _summary(text) == (LEAD, "Она пообещала открыть движение для пешеходов уже в июне этого года.")


def test_a_dependent_sentence_whose_antecedent_was_dropped_is_never_shown() -> None:
    text = (
        f"{LEAD} Фото: пресс-служба мэрии Томска. "
        "Он простоит закрытым все лето, сообщили в пресс-службе городской администрации."
    )
    assert not any(s.startswith("Он ") for s in _summary(text))


def test_the_lead_comes_first_not_the_side_detail_the_article_repeats() -> None:
    text = (
        "Суд приговорил бывшего мэра Томска Ивана Петрова к шести годам колонии за взятку. "
        "Петров был мэром Томска с 2010 года, до избрания мэром Петров руководил строительной компанией. "
        "В суде бывший мэр Томска Петров вину не признал, защита мэра Петрова обжалует приговор. "
        "Мэр Томска Петров был задержан в прошлом году, мэра Петрова взяли под стражу."
    )
    summary = _summary(text)
    assert summary[0].startswith("Суд приговорил бывшего мэра Томска")


@pytest.mark.parametrize(
    "noise",
    [
        "Фото: Иван Сидоров / пресс-служба мэрии.",
        "Читайте также: в Томске открыли новый каток на площади.",
        "Комментарии (12): войдите на сайт, чтобы оставить свое мнение.",
        "Оставьте комментарий к этой новости и расскажите о своем мнении.",
        "© 2024 ООО «Томские новости», все права на материалы сайта сохранены.",
        "Все права защищены, использование материалов сайта запрещено.",
        "При полном или частичном использовании материалов ссылка на сайт обязательна.",
        "Подписывайтесь на наш канал в Telegram и читайте новости первыми.",
    ],
)
def test_boilerplate_lines_never_reach_a_summary(noise: str) -> None:
    ranked = rank_sentences([("Мост закрыли", f"{LEAD} {noise} {SECOND}")])
    assert noise not in ranked.sentences
    assert ranked.sentences[:2] == (LEAD, SECOND)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("МОСКВА, 1 ноября. /ТАСС/. Суд ликвидировал движение.", "Суд ликвидировал движение."),
        ("ТОМСК, 20 мая — РИА Новости. Подрядчик обещает открыть мост.", "Подрядчик обещает открыть мост."),
        ("Interfax-Russia.ru - Аэропорт объявил конкурс.", "Аэропорт объявил конкурс."),
        ("PASCO COUNTY, Fla. -- A woman is facing a battery charge.", "A woman is facing a battery charge."),
        ("12:45 01.11.2019 Фото: pixabay.com 3 0 Депутаты начали процедуру.", "Депутаты начали процедуру."),
        ("США — крупнейший покупатель томского леса.", "США — крупнейший покупатель томского леса."),
    ],
)
def test_datelines_and_stamps_are_cut_off(raw: str, clean: str) -> None:
    assert clean_sentence(raw) == clean


def test_a_dateline_the_splitter_made_a_sentence_of_is_not_shown() -> None:
    text = f"ТОМСК, 10 мая - РИА Новости. {LEAD} {SECOND}"
    assert _summary(text) == (LEAD, SECOND)


def test_the_tail_of_a_quote_the_splitter_cut_is_not_shown() -> None:
    text = (
        f'{LEAD} "Мост закроют в понедельник утром. Пешеходы пройдут по мосту до среды", - сообщили в мэрии. '
        f"{SECOND}"
    )
    assert _summary(text) == (LEAD, SECOND)


def test_a_dateline_the_splitter_cut_off_leaves_no_dash_behind() -> None:
    text = "(TOMSK, Tomsk Obl.) — The city closed its main bridge for repairs. Buses take a detour."
    assert _summary(text)[0] == "The city closed its main bridge for repairs."


def test_paragraphs_glued_without_a_space_are_two_sentences() -> None:
    text = "The city closed its main bridge for repairs.Buses will take a detour over the northern bridge."
    assert _summary(text) == (
        "The city closed its main bridge for repairs.",
        "Buses will take a detour over the northern bridge.",
    )


def _report(article_id: int, title: str, text: str, minutes: int) -> StoryArticle:
    return StoryArticle(article_id, title, text, f"site{article_id}.ru", NOON + timedelta(minutes=minutes))


def test_a_story_opens_with_its_central_report_and_adds_only_what_others_bring() -> None:
    side = _report(
        1,
        "Томичи пересели на автобусы",
        "Жители Томска пожаловались на очереди на остановках в первый день без моста. "
        "Коммунальный мост через Томь закрыли на ремонт до конца августа.",
        0,
    )
    agency = _report(
        2,
        "В Томске закрыли Коммунальный мост",
        "Коммунальный мост через Томь в Томске закрыли на ремонт до конца августа. "
        "Ремонт опор моста, размытых паводком, обойдется городу в 300 миллионов рублей.",
        10,
    )
    rewrite = _report(
        3,
        "Мэрия Томска закрыла мост на ремонт",
        "Мэрия закрыла Коммунальный мост через Томь в Томске на ремонт до конца августа. "
        "Ремонт опор Коммунального моста обойдется в 300 миллионов рублей, сообщили в мэрии.",
        20,
    )
    summary = digest_story(build_story([side, agency, rewrite])).summary
    assert summary[0] in (agency.text.split(". ")[0] + ".", rewrite.text.split(". ")[0] + ".")
    closed = [s for s in summary if "до конца августа" in s]
    assert len(closed) == 1
    assert sum("300 миллионов" in s for s in summary) <= 1


def test_a_long_report_opening_on_a_side_angle_does_not_open_the_story() -> None:
    angle = _report(
        1,
        "Депутат Иванов пообещал добиться открытия моста",
        "Депутат городской думы Олег Иванов пообещал добиться скорейшего открытия переправы. "
        "Коммунальный мост через Томь в Томске закрыли на ремонт до конца августа. "
        "Ремонт опор Коммунального моста обойдется в 300 миллионов рублей. "
        "Автобусы через Коммунальный мост пойдут в объезд по Северному мосту.",
        0,
    )
    agency = _report(
        2,
        "В Томске закрыли Коммунальный мост",
        "Коммунальный мост через Томь в Томске закрыли на ремонт до конца августа. "
        "Движение транспорта перекрыли утром в понедельник.",
        10,
    )
    summary = digest_story(build_story([angle, agency])).summary
    assert summary[0] == "Коммунальный мост через Томь в Томске закрыли на ремонт до конца августа."


def test_the_summary_tells_what_the_headline_says_when_the_titles_agree_on_one() -> None:
    # two previews of the figures and two reports of them: the previews' words weigh most in the text,
    # the reports' titles agree most, and the digest's headline is a report's
    preview = "Job growth likely slowed sharply in October, weighed down by a strike at General Motors. "
    reports = [
        _report(1, "Jobs growth seen slowing in October", preview + "Economists expect 89,000 new jobs.", 0),
        _report(2, "October jobs growth expected to slow", preview + "The strike idled 46,000 workers.", 5),
        _report(
            3,
            "Hiring beats forecasts in October despite strike",
            "Employers added 128,000 jobs in October, beating forecasts despite the strike at GM. "
            "Job growth in the prior two months was revised up.",
            60,
        ),
        _report(
            4,
            "October hiring beats forecasts",
            "Hiring beat forecasts in October as employers added 128,000 jobs. The strike at General Motors "
            "weighed less than expected.",
            65,
        ),
    ]
    story = build_story(reports)
    assert "beats forecasts" in story.headline
    assert "likely slowed" not in digest_story(story).summary[0]


def test_the_agency_credited_at_the_end_of_a_sentence_is_left_to_the_sources_line() -> None:
    assert clean_sentence("Суд ликвидировал движение «За права», передает корреспондент РИА Новости.") == (
        "Суд ликвидировал движение «За права»."
    )
    assert clean_sentence("Суд удовлетворил иск, сообщает «МБХ медиа».") == "Суд удовлетворил иск."
    assert clean_sentence("Hiring slowed in October, Reuters reported.") == "Hiring slowed in October."
    # what was said stays: the verb opens a clause of its own
    kept = "Министр сказал, что ведомство сообщает о нарушениях в суд."
    assert clean_sentence(kept) == kept


def test_a_subheading_on_its_own_line_is_not_glued_to_the_dateline_after_it() -> None:
    # razdel made one sentence of "…ей дали 2,5 года колонии\nКурган, 1 ноября." and the digest showed it
    text = f"В Томске состоялся суд над водителем – ему дали два года колонии\nТомск, 14 мая. {LEAD} {SECOND}"
    summary = _summary(text, max_sentences=2)
    assert summary == (LEAD, SECOND)
    # a line broken inside a sentence (after a comma or a function word) is no heading
    wrapped = (
        "Мэрия Томска закрыла Коммунальный мост через Томь, и\nАвтобусы пойдут в объезд до конца августа."
    )
    assert _summary(wrapped)[0] == " ".join(wrapped.split())


def test_a_line_of_bullet_points_is_not_glued_to_the_lead_after_it() -> None:
    # a standfirst of bullet points made one sentence with the lead, which was then dropped as a list item
    lead = "Stockport County sacked manager John Barnes on Friday after a run of nine defeats in ten games."
    second = "The club's owners had backed him publicly as recently as last week."
    bullets = "• Club have endured their worst start in decades • Home defeat sealed fate for manager"
    text = f"{bullets}\n{lead} {second}"
    assert _summary(text, title="Stockport sack Barnes", max_sentences=2) == (lead, second)


def test_an_english_title_abbreviation_does_not_end_the_sentence() -> None:
    # razdel, written for Russian, cut "…Tucker Carlson Tonight,” Rep." and the summary showed that half
    lead = (
        "On Thursday Rep. Tulsi Gabbard, a candidate for the Democratic nomination, said the government "
        "hid the truth about the attacks of Oct. 9 in New York."
    )
    summary = _summary(f"{lead} Dr. Jane Smith, a historian, disagreed with her.", title="Gabbard")
    assert summary[0] == lead
    assert summary[1] == "Dr. Jane Smith, a historian, disagreed with her."


def test_an_article_in_other_letters_is_summarised_by_its_opening() -> None:
    # a feed's article in Japanese or Hindi had no sentence the Russian and English rules take: no summary
    japanese = "台湾のスタジオは11月1日、新作のゲームを発表した。価格は3.5ドルです。発売は来年の予定。"
    assert _summary(japanese, title="新作") == ("台湾のスタジオは11月1日、新作のゲームを発表した。",)
    hindi = "आयोग ने परिणाम घोषित कर दिया है। उम्मीदवार वेबसाइट पर देख सकते हैं।"
    assert _summary(hindi, title="परिणाम") == ("आयोग ने परिणाम घोषित कर दिया है।",)
    # a long opening is cut to the digest's length; ours still follow every rule (a caption gives nothing)
    long = "بيان " * 200 + "."
    (cut,) = _summary(long, title="بيان")
    assert len(cut) == MAX_CHARS and cut.endswith("…")
    assert _summary("Фото: ТАСС", title="Мост") == ()
