"""/search, /who and /timeline latency on PostgreSQL next to SQLite at the same size (#14).

    .venv/bin/python -m bench.latency_pg --articles 300000 [--events 3] [--database-url postgresql://postgres@127.0.0.1:5432/test]

Runs ``bench.who`` and ``bench.timeline`` (which also times /search over its archive's full-text index),
each once on a SQLite file and once on a fresh PostgreSQL schema (``--database-url``: the schema is made in
that database and dropped afterwards), every run in its own process with the same ``--articles`` and seed,
so both engines hold the same archive. Their whole output is printed, then a table of the p95 of every
kind of query on both engines. Generation dominates the time: see bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"


# A figure line of bench.who ("  label  n=60  p50 … ms  p95 … ms  max …") and of bench.timeline / its /search.
WHO_LINE = re.compile(
    r"^\s{2}(?P<label>\S.*?)\s+n=(?P<n>\d+)\s+p50 .*?p95\s+(?P<p95>[\d.]+) ms", re.MULTILINE
)
TABLE_LINE = re.compile(
    r"^(?P<label>[^\d\n][^\n]*?)\s+(?P<n>\d+)\s+(?P<p50>[\d.]+)\s+(?P<p95>[\d.]+)\s+(?P<max>[\d.]+)\s*$",
    re.MULTILINE,
)


def run_one(module: str, engine: str, args: argparse.Namespace) -> tuple[str, float]:
    command = [sys.executable, "-m", module, "--articles", str(args.articles)]
    if module == "bench.timeline" and args.events is not None:
        command += ["--events", str(args.events)]
    if engine == "postgresql":
        command += ["--database-url", args.database_url]
    print(f"$ {' '.join(command[1:])}   (load average {os.getloadavg()[0]:.1f})", flush=True)
    began = time.perf_counter()
    # Streamed as it comes (generation takes minutes), and kept for the table.
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines = []
    assert process.stdout is not None
    for line in process.stdout:
        print(line, end="", flush=True)
        lines.append(line)
    if process.wait():
        print(f"  {module} on {engine} exited with {process.returncode}", flush=True)
    print(f"  ({time.perf_counter() - began:.0f}s, load average {os.getloadavg()[0]:.1f})", flush=True)
    return "".join(lines), os.getloadavg()[0]


def figures(module: str, output: str) -> dict[str, float]:
    pattern = WHO_LINE if module == "bench.who" else TABLE_LINE
    prefix = "/who " if module == "bench.who" else ""
    found: dict[str, float] = {}
    for match in pattern.finditer(output):
        label = match.group("label").strip()
        if module != "bench.who" and not label.startswith(("/search", "inline")):
            label = f"/timeline {label}"
        found[prefix + label] = float(match.group("p95"))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.latency_pg")
    parser.add_argument("--articles", type=int, default=300_000, help="articles in each archive")
    parser.add_argument(
        "--events", type=int, default=None, help="bench.timeline's events per article (its default: 10)"
    )
    parser.add_argument("--database-url", default=DEFAULT_URL, help="a PostgreSQL server (a schema is made)")
    parser.add_argument(
        "--only", choices=("bench.who", "bench.timeline"), default=None, help="one of the two benchmarks"
    )
    args = parser.parse_args(argv)
    load = os.getloadavg()[0]
    print(f"{args.articles} articles on each engine; {os.cpu_count()} CPUs, load average {load:.1f}")
    table: dict[str, dict[str, float]] = {}
    loads: dict[str, list[float]] = {"sqlite": [], "postgresql": []}
    for module in ("bench.who", "bench.timeline"):
        if args.only and module != args.only:
            continue
        for engine in ("sqlite", "postgresql"):
            output, load = run_one(module, engine, args)
            loads[engine].append(load)
            for label, p95 in figures(module, output).items():
                table.setdefault(label, {})[engine] = p95
    ended = "; ".join(
        f"{engine} runs ended at load {', '.join(f'{x:.1f}' for x in at)}" for engine, at in loads.items()
    )
    print(f"\np95 in ms, {args.articles} articles ({ended}):")
    print(f"  {'query':<48} {'SQLite':>8} {'PostgreSQL':>11}")
    for label, by in table.items():
        cells = [f"{by[e]:.1f}" if e in by else "-" for e in ("sqlite", "postgresql")]
        print(f"  {label:<48} {cells[0]:>8} {cells[1]:>11}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
