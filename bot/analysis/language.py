"""Which language an article is written in: Russian or English, the two the bot reads."""

from __future__ import annotations

import re

_CYRILLIC_RE = re.compile(r"[а-яё]", re.IGNORECASE)
_LATIN_RE = re.compile(r"[a-z]", re.IGNORECASE)

# Russian news quotes English names and brands ("Bloomberg", "Reuters") but stays mostly Cyrillic,
# so a modest share of Cyrillic letters is enough to call it Russian.
_RUSSIAN_SHARE = 0.3


def detect_lang(text: str) -> str:
    """'ru' or 'en' by the share of Cyrillic letters in the opening: cheap and enough for news."""
    sample = text[:4000]
    cyrillic = len(_CYRILLIC_RE.findall(sample))
    latin = len(_LATIN_RE.findall(sample))
    if cyrillic + latin == 0:
        return "ru"
    return "ru" if cyrillic / (cyrillic + latin) >= _RUSSIAN_SHARE else "en"


def written_in(text: str, lang: str) -> bool:
    """Whether a name or title is in the script of ``lang``: Cyrillic for "ru", none for any other."""
    return bool(_CYRILLIC_RE.search(text)) == (lang == "ru")


def in_language(lang: str, name: str, other_name: str | None) -> str:
    """Of a name and its form in the other script (a person named in Russian and English articles), the one
    a reader of ``lang`` reads: "Donald Trump" for "en", "Дональд Трамп" for "ru"."""
    if other_name and not written_in(name, lang) and written_in(other_name, lang):
        return other_name
    return name
