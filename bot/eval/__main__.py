"""python -m bot.eval <who|timeline|stories|summaries|search> [options]: print quality figures."""

from __future__ import annotations

import importlib
import sys

SUITES = ("who", "timeline", "stories", "summaries", "search")


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in SUITES:
        print(f"usage: python -m bot.eval {{{'|'.join(SUITES)}}} [options]", file=sys.stderr)
        return 2
    module = importlib.import_module(f"bot.eval.{argv[0]}")
    return int(module.main(argv[1:]) or 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
