"""The analysis survives `kill -9` at any moment: every stored article ends up analysed once with its events.

The bot runs as a real subprocess (`python -m bot run`) against the emulator in this process and is
killed with SIGKILL while it ingests an upload, while it analyses, and while it reindexes; each restart
must finish what was left, without counting anything twice. What it stored at the end must equal what a
clean reindex of the same articles stores (compared table by table, entity and event ids aside).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

from bot.emulator import BotAPIEmulator
from tests.conftest import ADMIN, ROOT

PEOPLE = (
    ("министр иностранных дел России", "Сергей Лавров"),
    ("глава МИД Турции", "Хакан Фидан"),
    ("президент Франции", "Эмманюэль Макрон"),
    ("генеральный секретарь ООН", "Антониу Гутерриш"),
    ("мэр Москвы", "Сергей Собянин"),
    ("премьер-министр Великобритании", "Кир Стармер"),
    ("министр культуры", "Ольга Любимова"),
    ("президент Казахстана", "Касым-Жомарт Токаев"),
)
PLACES = ("в Москве", "в Анкаре", "в Париже", "в Женеве", "в Казани", "в Астане", "в Лондоне")
TOPICS = ("поставки зерна", "строительство моста", "тарифы на перевозки", "обмен студентами", "новый договор")


def news(count: int, first: int = 0) -> list[dict[str, str]]:
    """`count` short, distinct articles naming people, places and dated events (the analysis finds them)."""
    items = []
    for n in range(first, first + count):
        (role1, name1), (role2, name2) = PEOPLE[n % len(PEOPLE)], PEOPLE[(3 * n + 1) % len(PEOPLE)]
        place, other_place, topic = PLACES[n % len(PLACES)], PLACES[(n + 2) % len(PLACES)], TOPICS[n % 5]
        day, later = 1 + n % 27, 1 + (5 * n) % 27
        text = (
            f"{role1.capitalize()} {name1} {day} ноября прибыл {place} с рабочим визитом. "
            f"На встрече обсуждали {topic}: {role2} {name2} заявил, что переговоры продолжатся "
            f"{later} декабря {other_place}. «Мы видим прогресс, выпуск {n}», — сказал {name2.split()[-1]}."
        )
        items.append(
            {
                "title": f"{name1.split()[-1]} обсудил {topic} {place} (выпуск {n})",
                "text": text,
                "source": "ТАСС",
                "date": f"2025-11-{day:02d}T09:00:00+03:00",
            }
        )
    return items


def jsonl(items: list[dict[str, str]]) -> bytes:
    return "\n".join(json.dumps(item, ensure_ascii=False) for item in items).encode()


def start_bot(emulator: BotAPIEmulator, database: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "BOT_TOKEN": emulator.token,
        "TELEGRAM_API_URL": emulator.url,
        "DATABASE_PATH": str(database),
        "DEFAULT_TIMEZONE": "Europe/Moscow",
        "ANALYSIS_WORKERS": "1",
        "LOG_LEVEL": "INFO",
        "ADMIN_IDS": str(ADMIN.id),
    }
    with log.open("ab") as stderr:
        return subprocess.Popen(
            [sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=stderr
        )


def kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 0


def counts(database: Path) -> tuple[int, int]:
    """(articles stored, articles analysed), read beside the running bot (WAL lets a reader in)."""
    if not database.exists():
        return 0, 0
    with closing(sqlite3.connect(database, timeout=10)) as db:
        try:
            (articles,) = db.execute("SELECT count(*) FROM articles").fetchone()
            (analysed,) = db.execute("SELECT count(*) FROM analyses").fetchone()
        except sqlite3.OperationalError:  # not migrated yet
            return 0, 0
    return articles, analysed


async def poll(condition: Callable[[], bool], timeout: float, step: float = 0.02) -> bool:
    """Whether `condition` came true within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        await asyncio.sleep(step)
    return condition()


async def polling(emulator: BotAPIEmulator) -> None:
    """Wait for the bot's next getUpdates: it has started (start-up hooks, the catch-up queued)."""
    polls = sum(m == "getUpdates" for m, _ in emulator.calls)
    await emulator.wait_for(lambda: sum(m == "getUpdates" for m, _ in emulator.calls) > polls, timeout=90)


def snapshot(database: Path) -> dict[str, list[Any]]:
    """What the analysis stored, table by table, with entities named by key and events by their content
    (ids depend on the order of creation, which a crash may change without changing the meaning)."""
    with closing(sqlite3.connect(database)) as db:
        rows: Callable[[str], list[Any]] = lambda sql: db.execute(sql).fetchall()  # noqa: E731
        key = dict(rows("SELECT id, key FROM entities"))
        reports: dict[int, list[Any]] = {}
        for cluster_id, *report in rows(
            "SELECT cluster_id, article_id, begin_on, end_on, granularity, text, headline FROM event_reports"
        ):
            reports.setdefault(cluster_id, []).append(tuple(report))
        cluster = {
            cid: (*fields, tuple(sorted(key[int(p)] for p in people.split())), tuple(sorted(reports[cid])))
            for cid, people, *fields in rows(
                "SELECT id, participants, begin_on, end_on, granularity, text, headline, sources, terms,"
                " context FROM event_clusters"
            )
        }
        return {
            "analyses": sorted(rows("SELECT article_id, version FROM analyses")),
            "analysis_failures": sorted(rows("SELECT article_id, reason FROM analysis_failures")),
            "entities": sorted(
                rows(
                    "SELECT key, kind, name, surname_stem, mentions, articles, first_seen, last_seen"
                    " FROM entities"
                )
            ),
            "entity_terms": sorted((t, key[e]) for t, e in rows("SELECT term, entity_id FROM entity_terms")),
            "article_entities": sorted(
                (a, key[e], p, n)
                for a, e, p, n in rows(
                    "SELECT article_id, entity_id, published_at, mentions FROM article_entities"
                )
            ),
            "mentions": sorted(
                (a, key[e], *rest)
                for a, e, *rest in rows(
                    "SELECT article_id, entity_id, sentence, start, stop, text FROM mentions"
                )
            ),
            "roles": sorted(
                (key[e], *rest)
                for e, *rest in rows("SELECT entity_id, article_id, title, published_at, sentence FROM roles")
            ),
            "quotes": sorted(
                (key[e], *rest)
                for e, *rest in rows("SELECT entity_id, article_id, kind, text, published_at FROM quotes")
            ),
            "entity_pairs": sorted(
                (key[e], key[o], n)
                for e, o, n in rows("SELECT entity_id, other_id, articles FROM entity_pairs")
            ),
            "event_clusters": sorted(cluster.values()),
            "event_entities": sorted(
                (key[e], cluster[c]) for e, c in rows("SELECT entity_id, cluster_id FROM event_entities")
            ),
            "event_terms": sorted(
                (t, coarse, b, e, cluster[c])
                for t, coarse, b, e, c in rows(
                    "SELECT term, coarse, begin_day, end_day, cluster_id FROM event_terms"
                )
            ),
            "event_term_counts": sorted(rows("SELECT term, events FROM event_term_counts")),
            "events_fts": [len(rows("SELECT rowid FROM events_fts"))],
        }


def clean_reindex(database: Path, copy: Path) -> dict[str, list[Any]]:
    """What `python -m bot reindex` stores from the same articles, on a copy of the database."""
    shutil.copy(database, copy)
    env = {k: v for k, v in os.environ.items() if k not in ("BOT_TOKEN", "TELEGRAM_API_URL")}
    env.update(DATABASE_PATH=str(copy), DEFAULT_TIMEZONE="Europe/Moscow", ANALYSIS_WORKERS="1")
    done = subprocess.run(
        [sys.executable, "-m", "bot", "reindex"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert ", 0 failed" in done.stdout, done.stdout
    return snapshot(copy)


async def test_kill_during_ingest_analysis_and_reindex_leaves_each_article_analysed_once(
    emulator: BotAPIEmulator, tmp_path: Path
) -> None:
    database, log = tmp_path / "crash.sqlite3", tmp_path / "bot.log"
    first, second = news(24), news(16, first=24)
    total = len(first) + len(second)

    # 1. Killed while it ingests an upload (the file fetched, its articles being parsed and stored).
    bot = start_bot(emulator, database, log)
    try:
        await polling(emulator)
        await emulator.send_document(ADMIN, "first.jsonl", jsonl(first))
        await emulator.wait_for(lambda: any(m == "getFile" for m, _ in emulator.calls), timeout=30)
        await poll(lambda: counts(database)[0] > 0, timeout=20, step=0.005)
    finally:
        kill(bot)

    # 2. Killed while it analyses: some batches committed, others not yet.
    bot = start_bot(emulator, database, log)
    try:
        await polling(emulator)
        await emulator.send_document(ADMIN, "first.jsonl", jsonl(first))  # what step 1 did not store
        await emulator.send_document(ADMIN, "second.jsonl", jsonl(second))
        assert await poll(lambda: counts(database)[0] == total, timeout=60)
        await poll(lambda: 0 < counts(database)[1] < total and counts(database)[1] >= 16, timeout=120)
    finally:
        kill(bot)
    articles, analysed = counts(database)
    assert articles == total and analysed < total  # the kill landed mid-analysis

    # 3. Killed while a /reindex runs: the archive forgotten and partly analysed again.
    bot = start_bot(emulator, database, log)
    try:
        await polling(emulator)
        assert await poll(lambda: counts(database)[1] == total, timeout=120)
        await emulator.send_text(ADMIN, "/reindex")
        assert await poll(lambda: counts(database)[1] < total, timeout=30, step=0.005)
        await poll(lambda: counts(database)[1] >= 16, timeout=60)
    finally:
        kill(bot)
    assert counts(database)[1] < total

    # 4. The next start finishes it, and nothing is counted twice.
    bot = start_bot(emulator, database, log)
    try:
        await polling(emulator)
        assert await poll(lambda: counts(database)[1] == total, timeout=120)
        await asyncio.sleep(0.5)  # anything stored twice would show by now
    finally:
        stop(bot)

    logged = log.read_text(encoding="utf-8", errors="replace")
    assert "UNIQUE" not in logged and "Traceback" not in logged, logged[-3000:]
    after_crashes = snapshot(database)
    assert after_crashes["analyses"] == [(n, after_crashes["analyses"][0][1]) for n in range(1, total + 1)]
    assert not after_crashes["analysis_failures"]
    reported = {report[0] for c in after_crashes["event_clusters"] for report in c[-1]}
    assert reported == set(range(1, total + 1))  # every article's events are stored
    clean = clean_reindex(database, tmp_path / "clean.sqlite3")
    assert [t for t in clean if clean[t] != after_crashes[t]] == []
