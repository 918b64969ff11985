"""Telegram's message format: HTML escaping and the 4,096-character limit."""

from __future__ import annotations

import html
from typing import Any

from aiogram.types import Message

MESSAGE_LIMIT = 4096


def esc(text: object) -> str:
    """Any article- or user-derived string, made inert for HTML parse mode."""
    return html.escape(str(text), quote=True)


def utf16_len(text: str) -> int:
    """Telegram measures messages in UTF-16 code units: an emoji counts twice."""
    return len(text.encode("utf-16-le")) // 2


def _cut(line: str, limit: int) -> list[str]:
    """A single line over the limit, cut between words; only plain lines get here (see split_html)."""
    pieces: list[str] = []
    current = ""
    for word in line.split(" "):
        candidate = f"{current} {word}" if current else word
        if utf16_len(candidate) <= limit:
            current = candidate
            continue
        if current:
            pieces.append(current)
        while utf16_len(word) > limit:
            pieces.append(word[: limit // 2])
            word = word[limit // 2 :]
        current = word
    if current:
        pieces.append(current)
    return pieces


def split_html(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Messages of at most `limit` UTF-16 units, split at paragraph (then line) boundaries.

    Renderers keep every tag inside one line, so a split at a line boundary never cuts a tag or entity.
    """
    if utf16_len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for block in text.split("\n\n"):
        units = (
            [block]
            if utf16_len(block) <= limit
            else [
                piece
                for line in block.split("\n")
                for piece in (_cut(line, limit) if utf16_len(line) > limit else [line])
            ]
        )
        for unit in units:
            glue = "\n\n" if unit is block else "\n"
            candidate = f"{current}{glue}{unit}" if current else unit
            if utf16_len(candidate) <= limit:
                current = candidate
            else:
                if current:
                    parts.append(current)
                current = unit
    if current:
        parts.append(current)
    return parts


async def answer_long(message: Message, text: str, **kwargs: Any) -> None:
    """Answer with as many messages as the text needs; buttons go on the last one."""
    parts = split_html(text)
    markup = kwargs.pop("reply_markup", None)
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        await message.answer(part, reply_markup=markup if last else None, **kwargs)
