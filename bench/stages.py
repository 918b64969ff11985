"""Where one article's analysis time goes: each stage timed in one process, one thread.

    .venv/bin/python -m bench.stages [--articles 100] [--batch-size 16]

The benchmark's ~5.5 KB Russian articles (``bench.analysis``) go through ``understand_batch`` in
batches, as a worker runs them, in this process with one BLAS thread; the main stages are wrapped with
timers. Stages nest (NER is part of parsing), so the lines do not add up to the total. Prints CPU per
article for the whole analysis and wall milliseconds per article for each stage.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from typing import Any

for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")  # as in the workers; set before numpy is imported

from bench.analysis import WARM_UP, russian_texts  # noqa: E402
from bot.analysis import article, entities, events, tagger, understanding  # noqa: E402
from bot.eval import corpus_path  # noqa: E402

spent: defaultdict[str, float] = defaultdict(float)


def timed(owner: Any, name: str, label: str) -> None:
    function: Callable[..., Any] = getattr(owner, name)

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[label] += time.perf_counter() - began

    setattr(owner, name, wrapper)


STAGES = (
    (understanding, "parse_russian_many", "parsing (all of the below marked ·)"),
    (tagger.NERTagger, "tag_many", "· NER: embeddings, convolutions, decoding"),
    (tagger, "viterbi_many", "·· NER decoding (a batch at once)"),
    (tagger.MorphTagger, "__call__", "· morphology of the sentences that need it"),
    (entities, "paragraph_sentences", "· sentences"),
    (article, "russian_roles", "roles"),
    (article, "attribute_quotes", "quotes"),
    (article, "group_entities", "grouping mentions into entities"),
    (understanding, "extract_events", "events (time expressions and clauses)"),
    (events, "find_time_exprs", "· time expressions"),
    (understanding, "name_forms", "name forms"),
)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.stages")
    parser.add_argument("--articles", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=16)
    args = parser.parse_args(argv)
    texts = russian_texts(args.articles)
    if not texts:
        print(f"corpora not found at {corpus_path('').parent}: nothing to measure")
        return 0
    for owner, name, label in STAGES:
        timed(owner, name, label)
    published = date(2025, 11, 26)
    understanding.understand_batch([understanding.ArticleInput(0, "", WARM_UP, "ru", published)])  # models
    spent.clear()
    items = [understanding.ArticleInput(i, t, x, "ru", published) for i, (t, x) in enumerate(texts)]
    cpu, wall = time.process_time(), time.perf_counter()
    for start in range(0, len(items), args.batch_size):
        understanding.understand_batch(items[start : start + args.batch_size])
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    count = len(items)
    print(
        f"{count} articles in batches of {args.batch_size}, one process, one thread: "
        f"{1000 * cpu / count:.1f} ms CPU per article ({1000 * wall / count:.1f} ms wall)"
    )
    for _, _, label in STAGES:
        print(f"  {label:<46} {1000 * spent[label] / count:6.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
