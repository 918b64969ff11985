"""Every user-visible string has its Russian translation, with the same placeholders and markup."""

from __future__ import annotations

import re

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.telegram.i18n import LOCALES_DIR
from tests.conftest import ROOT

KEYWORDS = {"_": None, "__": (1, 2), "N_": None}


def code_messages() -> set[str]:
    found: set[str] = set()
    for folder in ("bot", "handlers"):
        for _, _, message, _, _ in extract_from_dir(ROOT / folder, keywords=KEYWORDS, comment_tags=()):
            found.add(message[0] if isinstance(message, tuple) else message)
    return found


def catalog(lang: str) -> dict[str, object]:
    with (LOCALES_DIR / f"{lang}.po").open("rb") as fp:
        return {(m.id[0] if isinstance(m.id, tuple) else m.id): m.string for m in read_po(fp) if m.id}


def test_every_message_in_the_code_has_a_russian_translation() -> None:
    russian = catalog("ru")
    missing = sorted(m for m in code_messages() if not russian.get(m))
    assert not missing, f"run scripts/i18n.sh and translate: {missing}"


def test_translations_keep_placeholders_and_tags() -> None:
    fields = re.compile(r"\{\w*\}|</?[a-z]+>")
    for msgid, translation in catalog("ru").items():
        forms = translation if isinstance(translation, tuple) else (translation,)
        for form in forms:
            assert sorted(fields.findall(form)) == sorted(fields.findall(msgid)), msgid
