"""Translations: English message ids in the code, Russian and English catalogs in bot/locales/*.po.

The catalogs are kept as .po only and compiled in memory at start-up (with Babel, which aiogram's
i18n already needs), so there is no binary .mo file to forget to rebuild.
"""

from __future__ import annotations

import gettext
import io
from pathlib import Path

from aiogram.utils.i18n import I18n
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).parents[1] / "locales"
DOMAIN = "messages"
DEFAULT_LOCALE = "ru"


def N_(message: str) -> str:
    """Marks a string for extraction where it is translated later, per locale (command menus)."""
    return message


def load_catalogs(path: Path = LOCALES_DIR) -> dict[str, gettext.GNUTranslations]:
    translations: dict[str, gettext.GNUTranslations] = {}
    for po_path in sorted(path.glob("*.po")):
        locale = po_path.stem
        with po_path.open("rb") as fp:
            catalog = read_po(fp, locale=locale)
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        translations[locale] = gettext.GNUTranslations(buffer)
    return translations


def create_i18n() -> I18n:
    # Not a subclass (aiogram keeps the current I18n in a context variable per class), and .po files
    # beside, not inside, locale folders: aiogram's own loader then finds nothing to refuse.
    i18n = I18n(path=LOCALES_DIR, default_locale=DEFAULT_LOCALE, domain=DOMAIN)
    i18n.locales = load_catalogs()
    return i18n
