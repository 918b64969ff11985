"""Event merging as a pure function (bot/timeline/merge.py): reports in, the changeset storage writes out."""

from __future__ import annotations

import datetime as dt

from bot.analysis.events import Event, sort_key
from bot.timeline.merge import (
    ArticleEvents,
    Candidate,
    EventChange,
    MergeInput,
    index_terms,
    merge,
    position,
    probes,
    reports_of,
)
from storage.events import ClusterRow, ReportRow

D = dt.date
PEOPLE = {"usa": 1, "ukraine": 2, "trump": 3, "cbr": 4, "ryanair": 5, "ru": 6}


def _event(begin: dt.date, end: dt.date, granularity: str, text: str, *people: str) -> Event:
    return Event(begin, end, granularity, text, tuple(people), 0)


def _merge(
    *articles: tuple[int, list[Event]],
    stored: tuple[Candidate, ...] = (),
    candidates: tuple[tuple[int, ...], ...] | None = None,
    counts: dict[str, int] | None = None,
) -> tuple[EventChange, ...]:
    reports = reports_of([ArticleEvents(a, f"Статья {a}", tuple(events), PEOPLE) for a, events in articles])
    found = candidates if candidates is not None else tuple(() for _ in reports)
    last = max((c.id for c in stored), default=0)
    return merge(MergeInput(reports, found, {c.id: c for c in stored}, counts or {}, last))


def _sources(change: EventChange) -> tuple[int, ...]:
    return tuple(sorted({r.article_id for r in change.reports}))


def test_same_event_from_two_articles_merges_and_the_finer_date_wins() -> None:
    coarse = _event(
        D(2025, 11, 1),
        D(2025, 11, 30),
        "month",
        "США подготовили мирный план по Украине из 28 пунктов",
        "usa",
        "ukraine",
    )
    fine = _event(
        D(2025, 11, 20),
        D(2025, 11, 20),
        "day",
        "Администрация США подготовила мирный план по Украине из 28 пунктов",
        "usa",
        "ukraine",
    )
    (change,) = _merge((1, [coarse]), (2, [fine]))
    assert change.stored is None and change.id == 1
    assert _sources(change) == (1, 2)
    assert (change.best.begin, change.best.granularity) == (D(2025, 11, 20), "day")
    assert [m.text for m in change.members] == [coarse.text]
    assert change.participants == (1, 2) and change.new_participants == (1, 2)
    assert change.row(None).added_sources == 2
    assert change.context == "стат 1 2"  # both headlines, words once


def test_events_that_do_not_overlap_in_time_stay_apart() -> None:
    first = _event(D(2022, 3, 1), D(2022, 3, 1), "day", "Делегации провели раунд переговоров в Минске", "ru")
    second = _event(
        D(2025, 5, 16), D(2025, 5, 16), "day", "Делегации провели раунд переговоров в Стамбуле", "ru"
    )
    assert len(_merge((1, [first]), (2, [second]))) == 2


def test_different_events_on_the_same_day_stay_apart() -> None:
    a = _event(
        D(2025, 11, 26), D(2025, 11, 26), "day", "Трамп анонсировал визит спецпосланника в Москву", "trump"
    )
    b = _event(
        D(2025, 11, 26), D(2025, 11, 26), "day", "Центробанк снизил ключевую ставку до 16 процентов", "cbr"
    )
    assert sorted(_sources(c) for c in _merge((1, [a]), (2, [b]))) == [(1,), (2,)]


def test_shared_participant_lets_a_looser_paraphrase_merge() -> None:
    a = _event(
        D(2018, 8, 10),
        D(2018, 8, 10),
        "day",
        "Немецкие пилоты Ryanair проведут 24-часовую забастовку",
        "ryanair",
    )
    b = _event(
        D(2018, 8, 10),
        D(2018, 8, 10),
        "day",
        "Пилоты Ryanair в пятницу начали забастовку в Германии",
        "ryanair",
    )
    without = _event(
        D(2018, 8, 10), D(2018, 8, 10), "day", "Пилоты Ryanair в пятницу начали забастовку в Германии"
    )
    assert len(_merge((1, [a]), (2, [b]))) == 1
    assert len(_merge((1, [a]), (2, [without]))) == 2


def test_positions_follow_the_timeline_order() -> None:
    events = [
        (1, [_event(D(2025, 11, 26), D(2025, 11, 26), "day", "Анонс визита спецпосланника")]),
        (2, [_event(D(2022, 1, 1), D(2022, 12, 31), "year", "Раунды переговоров в Белоруссии")]),
        (3, [_event(D(2022, 2, 21), D(2022, 3, 10), "part_of_month", "Три очных раунда")]),
    ]
    changes = sorted(_merge(*events), key=lambda c: c.position)
    assert [c.best.begin for c in changes] == [D(2022, 1, 1), D(2022, 2, 21), D(2025, 11, 26)]
    by_key = sorted(changes, key=lambda c: sort_key(c.best.begin, c.best.end, c.best.granularity))
    assert by_key == changes


def test_an_article_reports_its_finest_dated_events_first_and_unknown_participants_are_dropped() -> None:
    year = _event(D(2025, 1, 1), D(2025, 12, 31), "year", "Год реформ", "usa", "nobody")
    day = _event(D(2025, 3, 8), D(2025, 3, 8), "day", "Праздник весны", "trump")
    (first, second) = reports_of([ArticleEvents(9, "Заголовок", (year, day), PEOPLE)], stored=())
    assert (first.event.text, first.event.participants) == ("Праздник весны", ("3",))
    assert (second.event.text, second.event.participants) == ("Год реформ", ("1",))
    assert reports_of([ArticleEvents(9, "Заголовок", (year, day), PEOPLE)], stored={9}) == ()


def test_probes_look_up_the_rarest_known_stems_only() -> None:
    (report,) = reports_of(
        [
            ArticleEvents(
                1, "T", (_event(D(2025, 1, 1), D(2025, 1, 1), "day", "Пилоты Ryanair начали стачку"),), {}
            )
        ]
    )
    counts = {"пилот": 50, "ryanair": 3, "нача": 900, "стачк": 7, "другое": 1}
    (probe,) = probes([report], counts)
    assert probe.terms == ("ryanair", "стачк", "пилот", "нача")
    assert (probe.begin, probe.end) == (D(2025, 1, 1), D(2025, 1, 1))


def test_a_report_joins_its_stored_event_and_a_finer_date_moves_it() -> None:
    month = ReportRow(
        D(2025, 11, 1), D(2025, 11, 30), "month", "США подготовили мирный план по Украине", False
    )
    row = ClusterRow(
        7,
        123,
        month,
        frozenset({1}),
        index_terms(month.text),
        index_terms("Мирный план"),
        (month,),
    )
    stored = Candidate.of(row)
    assert stored.best.participants == ("1",) and stored.members[0].participants == ()
    fine = _event(
        D(2025, 11, 20),
        D(2025, 11, 20),
        "day",
        "Администрация США подготовила мирный план по Украине",
        "usa",
        "ukraine",
    )
    (change,) = _merge((2, [fine]), stored=(stored,), candidates=((7,),))
    assert change.id == 7 and change.stored is stored
    assert change.best.begin == D(2025, 11, 20) and change.members[-1] == stored.best
    assert change.position == position(change.best, 7) != 123
    assert change.new_participants == (2,) and change.participants == (1, 2)
    assert change.new_terms == ("администрац",)
    assert change.terms.startswith(row.terms) and change.terms.endswith("администрац")
    write = change.row(row)
    assert write.stored is row and write.added_sources == 1
    assert [(n.article_id, n.report.text) for n in write.reports] == [(2, fine.text)]


def test_new_events_are_numbered_after_the_last_stored_one() -> None:
    row = ClusterRow(
        41, 5, ReportRow(D(2020, 1, 1), D(2020, 1, 1), "day", "Старое", False), frozenset(), "", "", ()
    )
    a = _event(D(2025, 11, 26), D(2025, 11, 26), "day", "Трамп анонсировал визит спецпосланника в Москву")
    (change,) = _merge((1, [a]), stored=(Candidate.of(row),), candidates=((41,),))
    assert change.id == 42 and change.stored is None
