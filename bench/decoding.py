"""How uploads are decoded: `decode_document` against charset-normalizer on real news, in three shapes.

    .venv/bin/python -m bench.decoding

Every corpus article Windows-1251 can encode, sent as UTF-8, as Windows-1251, and as UTF-8 with three stray
0xFF bytes between words; counts how many each reader gets back exactly (the stray bytes replaced, and
counted, for ours). Not a timing: a check that the UTF-8/Windows-1251 rule is right on the texts we get.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from bot.ingest.documents import DecodedText, decode_document

CORPORA = Path(__file__).resolve().parents[1].parent / "shared" / "corpora"
NAMES = ("ods_news_sample_ru", "tg_contest2019_ru", "tg_contest2019_en")


def _texts() -> list[tuple[str, str]]:
    texts = []
    for name in NAMES:
        for line in (CORPORA / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            text = f"{record.get('title', '')}\n{record.get('text', '')}"
            text = text.replace("\r\n", "\n").replace("\r", "\n")
            try:
                text.encode("cp1251")
            except UnicodeEncodeError:
                continue
            texts.append((name, text))
    return texts


def _with_stray_bytes(data: bytes, count: int, rng: random.Random) -> bytes:
    for _ in range(count):
        cut = data.rfind(b" ", 0, rng.randrange(1, len(data))) + 1
        data = data[:cut] + b"\xff" + data[cut:]
    return data


def main() -> None:
    if not CORPORA.is_dir():
        print(f"{CORPORA} is absent: nothing to measure")
        return
    from charset_normalizer import from_bytes

    rng = random.Random(1)
    texts = _texts()
    shapes = ("UTF-8", "Windows-1251", "UTF-8 + 3 stray bytes")
    ours = dict.fromkeys(shapes, 0)
    theirs = dict.fromkeys(shapes, 0)
    missed: dict[str, int] = {}
    for name, text in texts:
        cases = {
            "UTF-8": text.encode(),
            "Windows-1251": text.encode("cp1251"),
            "UTF-8 + 3 stray bytes": _with_stray_bytes(text.encode(), 3, rng),
        }
        for shape, data in cases.items():
            stray = shape.endswith("bytes")
            decoded = decode_document(data)
            right = isinstance(decoded, DecodedText) and decoded.text.replace("\ufffd", "") == text
            right = right and decoded.replaced == (3 if stray else 0)
            ours[shape] += right
            if stray and not right:
                missed[name] = missed.get(name, 0) + 1
            best = from_bytes(data).best()
            theirs[shape] += best is not None and str(best).replace("\ufffd", "") == text
    print(f"{len(texts)} articles ({', '.join(NAMES)}; those Windows-1251 can encode), read back exactly:")
    for shape in shapes:
        print(f"  {shape:<24} decode_document {ours[shape]:>4}   charset-normalizer {theirs[shape]:>4}")
    print(f"stray bytes read as Windows-1251, by corpus: {missed or 'none'}")


if __name__ == "__main__":
    main()
