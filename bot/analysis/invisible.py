"""Characters a reader cannot see but a computer compares: they split words and names for search and /who."""

from __future__ import annotations

import re
import unicodedata

# Zero-width space, non-joiner and joiner, word joiner and the invisible operators, the BOM (zero-width
# no-break space), soft hyphen, Mongolian vowel separator, and the bidi marks, embeddings, overrides and
# isolates. Copy-paste from web pages and messengers leaves them inside words («Алекс\u200bандр»).
INVISIBLE = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
# Half a UTF-16 pair alone (JSON allows "\ud800"): not a character, and UTF-8 cannot store or send it.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def visible_text(text: str) -> str:
    """`text` without invisible characters, NFC-normalised (one code point per accented letter, however
    typed), a lone surrogate as U+FFFD. Removed first: a mark a zero-width space split from its letter
    joins it again."""
    return unicodedata.normalize("NFC", _LONE_SURROGATE.sub("\ufffd", INVISIBLE.sub("", text)))
