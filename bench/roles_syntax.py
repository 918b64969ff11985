"""What the syntax trees for roles cost: the analysis with and without them, in one process, one thread.

    .venv/bin/python -m bench.roles_syntax [--articles 200] [--batch-size 16] [--rounds 3]

The benchmark's ~5.5 KB Russian articles (``bench.analysis``) go through ``understand_batch`` in batches,
as a worker runs them, each batch twice: with the trees (the bot's path) and with ``sentence_trees``
returning none (roles from word order alone, as before the trees), each side first every other batch, so
both see the same load on a shared machine and the same warm word caches. CPU time per article is
compared, and how many sentences were parsed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date

for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")  # as in the workers; set before numpy is imported

from bench.analysis import WARM_UP, russian_texts  # noqa: E402
from bot.analysis import roles, understanding  # noqa: E402
from bot.eval import corpus_path  # noqa: E402


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.roles_syntax")
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    texts = russian_texts(args.articles)
    if not texts:
        print(f"corpora not found at {corpus_path('').parent}: nothing to measure")
        return 0
    published = date(2025, 11, 26)
    understanding.understand_batch([understanding.ArticleInput(0, "", WARM_UP, "ru", published)])  # models
    items = [understanding.ArticleInput(i, t, x, "ru", published) for i, (t, x) in enumerate(texts)]
    batches = [items[k : k + args.batch_size] for k in range(0, len(items), args.batch_size)]
    with_trees = roles.sentence_trees
    parsed = {"sentences": 0, "chosen": 0}

    def counting(text: roles.ParsedText) -> dict[int, roles._Tree]:
        trees = with_trees(text)
        parsed["sentences"] += len(text.sentences)
        parsed["chosen"] += len(trees)
        return trees

    cpu = {"with trees": 0.0, "without trees": 0.0}
    sides = [("with trees", counting), ("without trees", lambda _: {})]
    for _ in range(args.rounds):
        for batch in batches:
            sides.reverse()  # each side first every other batch: neither inherits the other's warm caches
            for label, function in sides:
                roles.sentence_trees = function
                began = time.process_time()
                understanding.understand_batch(batch)
                cpu[label] += time.process_time() - began
    roles.sentence_trees = with_trees
    n = len(items) * args.rounds
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"{len(items)} Russian articles x {args.rounds} rounds, batches of {args.batch_size}, one thread; "
        f"load average {load:.1f}"
    )
    for label, seconds in cpu.items():
        print(f"  understand_batch {label:<14} {1000 * seconds / n:6.1f} ms CPU/article")
    extra = (cpu["with trees"] - cpu["without trees"]) / n
    print(
        f"  trees add {1000 * extra:.1f} ms CPU/article ({extra / (cpu['without trees'] / n):.0%}); "
        f"sentences parsed {parsed['chosen'] / n:.1f} of {parsed['sentences'] / n:.1f} per article"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
