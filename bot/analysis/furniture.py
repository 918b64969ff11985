"""Page furniture inside an article's text: lines that are never news, wherever they stand (a summary never
shows one, a search snippet shows one only when nothing else matched)."""

from __future__ import annotations

import re

# Lines that are never news, wherever they stand: photo and video credits, calls to read more or to
# subscribe, comment blocks, copyright and reprint notices, rubric labels, bare links.
BOILERPLATE = re.compile(
    r"(?:^|\W)(?:фото|photo|видео|video|иллюстрация|источник фото|кадр)\s*(?:[:|©]|/\s|—\s|–\s|-\s)"
    r"|\((?:фото|photo|видео|video)\b|\b(?:getty|reuters/|shutterstock|afp/|ap photo|images?:)"
    r"|читайте (?:также|нас|наш|новости|подробнее|далее|еще)|^(?:смотрите|см\.) также"
    r"|подписывайтесь|подпишитесь"
    r"|\bsubscribe\b|\bsign up\b|\bread (?:more|also)\b|^(?:see also|related|advertisement)\b"
    r"|коммент(?:арии|арий)\s*(?:\(\d+\)|:)|(?:оставить|оставьте|добавить|написать|войдите[^.]{0,30}чтобы)"
    r"\s+(?:свой\s+)?коммент|\bleave a (?:comment|reply)\b|\bcomments?\s*\(\d+\)"
    r"|©|\(c\)\s*\d|\bcopyright\b|все права защищены|all rights reserved|перепечатк"
    r"|при (?:полном или частичном )?"
    r"(?:копировании|использовании|цитировании)[^.]{0,40}(?:ссылк|гиперссылк)"
    r"|рубрик|\bcolumn:"
    r"|https?://|www\.|@\w",
    re.IGNORECASE,
)


def is_boilerplate(sentence: str) -> bool:
    return BOILERPLATE.search(sentence) is not None


# The label a byline opens with ("Текст:", "Фото и текст —", "Корреспондент:"): the summariser drops a byline
# glued to the lead by it (bot.digest.summary), ingest drops it from an author (bot.ingest.drafts).
BYLINE_LABEL = (
    r"(?:(?:текст|фото)\s+и\s+)?(?:текст|автор|авторы|фото|photo|text|words|редактор|корреспондент"
    r"|беседовал[аи]?|подготовил[аи]?)"
)
