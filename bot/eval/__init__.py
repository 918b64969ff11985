"""Evaluation against the research corpora in ../shared/corpora (read at run time, never copied)."""

from __future__ import annotations

from pathlib import Path

CORPORA = Path(__file__).resolve().parents[2].parent / "shared" / "corpora"


def corpus_path(name: str) -> Path:
    """The path of one corpus file; callers report and stop when it is absent."""
    return CORPORA / name
