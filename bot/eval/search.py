"""/search on names, measured on both contest hours stored by one bot (read at run time).

No gold says which articles a query should find; a name is a query whose answer can be read off the
texts: the articles that write the name in any of its cases. Two ways a name was missed are measured,
each with the query as it was read before (the stems alone) beside the query as the bot reads it now:

- a person the archive knows in both scripts ("Trump"/"Трамп"), searched by the surname in one script;
- a Russian surname in "-ов"/"-ев" ("Песков"), which Snowball stems differently in the nominative ("песк")
  than in every other case ("песков").
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
from pathlib import Path
from typing import Any

from bot.analysis.entities import PER
from bot.analysis.stems import query_stems, words
from bot.eval import corpus_path
from bot.eval.identity import ingest_hours, scratch_bot
from bot.search import read_query
from storage.articles import ArticleRepo

HOURS = ("tg_contest2019_ru.jsonl", "tg_contest2019_en.jsonl")
EVERY = 10_000  # a limit no query here reaches: every match counts
_CASE_ENDINGS = "(?:а|у|ым|ом|е|ой|ых|ы|ыми)?"  # of a surname in "-ов"/"-ев" (nothing else needs one)
_OV_SURNAME = re.compile(r"[А-ЯЁ][а-яё]{2,}(?:ов|ев|ёв)")


def _naming(surname: str) -> re.Pattern[str]:
    """The surname in any case, as a whole word ("Песков", "Пескова", "Песковым"; "Trump", "Trump's")."""
    return re.compile(rf"(?<![^\W\d_]){re.escape(surname)}{_CASE_ENDINGS}(?![^\W\d_])")


async def _measure(rows: list[dict[str, Any]], workers: int, verbose: bool) -> None:
    async with scratch_bot(workers) as app:
        await ingest_hours(app, rows)
        articles = ArticleRepo(app.db)
        texts = {
            i: f"{title}\n{text}".replace("ё", "е").replace("Ё", "Е")  # as the index reads them
            for i, title, text in await app.db.conn.execute_fetchall("SELECT id, title, text FROM articles")
        }

        async def found(query: str, crossed: bool) -> set[int]:
            read = await read_query(query, app.entities if crossed else None)
            return {a.id for a in await articles.search(read.terms, limit=EVERY, present=read.present())}

        async def plain(query: str) -> set[int]:
            return {a.id for a in await articles.search(query_stems(query), limit=EVERY)}

        both = await app.db.conn.execute_fetchall(
            "SELECT name, other_name FROM entities WHERE kind = ? AND other_name IS NOT NULL"
            " ORDER BY mentions DESC, name",
            (PER,),
        )
        queries = before = after = named = 0
        for name, other in both:
            surnames = [words(n)[-1].capitalize() for n in (name, other)]
            naming = [_naming(s) for s in surnames]
            truth = {i for i, t in texts.items() if any(p.search(t) for p in naming)}
            for surname in surnames:
                was, now = await plain(surname), await found(surname, crossed=True)
                queries += 1
                named += len(truth)
                before += len(was & truth)
                after += len(now & truth)
                if verbose:
                    print(f"  {surname}: {len(was & truth)} → {len(now & truth)} of {len(truth)}")
        print(
            f"people named in both scripts: {len(both)}; {queries} queries (each surname in each script):"
            f" articles naming the person in either script found {before} of {named} by the stems alone"
            f" ({before / max(named, 1):.2f}), {after} ({after / max(named, 1):.2f}) as the bot reads"
            " the query"
        )

        surnames = sorted(
            {
                last
                for (name,) in await app.db.conn.execute_fetchall(
                    "SELECT name FROM entities WHERE kind = ?", (PER,)
                )
                if _OV_SURNAME.fullmatch(last := name.split()[-1])
            }
        )
        named = before = after = extra_before = extra_after = lower = extra_lower = 0
        for surname in surnames:
            pattern = _naming(surname)
            truth = {i for i, t in texts.items() if pattern.search(t)}
            was, now = await plain(surname), await found(surname, crossed=False)
            typed = await found(surname.lower(), crossed=True)  # as typed in lower case: a known surname
            named += len(truth)
            before, after = before + len(was & truth), after + len(now & truth)
            extra_before, extra_after = extra_before + len(was - truth), extra_after + len(now - truth)
            lower, extra_lower = lower + len(typed & truth), extra_lower + len(typed - truth)
            if verbose and was & truth != now & truth:
                print(f"  {surname}: {len(was & truth)} → {len(now & truth)} of {len(truth)}")
        print(
            f"Russian surnames in -ов/-ев of stored people: {len(surnames)}; articles naming them in any case"
            f" {named}: found {before} ({before / max(named, 1):.2f}) by the stem alone, {after}"
            f" ({after / max(named, 1):.2f}) as the bot reads the query; matches not naming them"
            f" {extra_before} and {extra_after} (the stem's other words: «Андреев» → «андре», «Андрей»);"
            f" typed in lower case, found {lower}, matches not naming them {extra_lower}"
        )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.eval search", description=__doc__)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--verbose", action="store_true", help="print each name whose figures differ")
    args = parser.parse_args(argv)
    paths: list[Path] = [corpus_path(name) for name in HOURS]
    if not all(path.exists() for path in paths):
        print(f"corpora not found at {paths[0].parent}: nothing to evaluate")
        return 0
    rows = [json.loads(line) for path in paths for line in path.open(encoding="utf-8")]
    asyncio.run(_measure(rows, args.workers, args.verbose))
    return 0
