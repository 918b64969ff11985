"""Our way of running natasha's NER and morphology models gives natasha's own tags (analysis/tagger.py)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bot.analysis import tagger
from bot.analysis.entities import russian_models
from bot.analysis.tagger import WordIds, viterbi, viterbi_many

SEED = next((Path(__file__).parent.parent / "seeds").glob("*.txt")).read_text(encoding="utf-8")
TEXTS = [
    SEED,
    "Глава МИД России Сергей Лавров встретился в Минске с Максимом Рыженковым.",
    "«Мы готовы», — сказал Лавров. ООН и НАТО не ответили; Евросоюз (ЕС) промолчал.",
    "Президент США Дональд Трамп и спецпосланник Стив Уиткофф прилетели в Москву 3 марта 2025 года.",
    "Одно слово",
    "   ",
]


@lru_cache(maxsize=1)
def natasha_taggers() -> tuple[Any, Any]:
    russian_models()  # pymorphy2's environment, as in the bot
    from natasha import NewsEmbedding, NewsMorphTagger, NewsNERTagger

    embedding = NewsEmbedding()
    return NewsNERTagger(embedding), NewsMorphTagger(embedding)


def segmented(text: str) -> Any:
    from natasha import Doc, Segmenter

    doc = Doc(text)
    doc.segment(Segmenter())
    return doc


@pytest.mark.parametrize("text", TEXTS)
def test_names_are_natashas(text: str) -> None:
    ner, _ = natasha_taggers()
    expected = [(s.start, s.stop, s.type) for s in ner(text).spans] if text.strip() else []
    assert russian_models().ner_tagger(segmented(text).tokens) == expected


def test_the_seed_article_has_names() -> None:
    kinds = {kind for _, _, kind in russian_models().ner_tagger(segmented(SEED).tokens)}
    assert kinds == {"PER", "LOC", "ORG"}


def test_morphology_is_natashas_for_sentences_run_together() -> None:
    _, morph = natasha_taggers()
    text = "\n".join(TEXTS)
    sentences = [[t.text for t in sent.tokens] for sent in segmented(text).sents]
    sentences = [s for s in sentences if s]
    expected = [
        [(t.pos, tuple(sorted(t.feats.items()))) for t in markup.tokens] for markup in morph.map(sentences)
    ]
    assert russian_models().morph_tagger(sentences) == expected
    assert russian_models().morph_tagger([]) == []


def test_one_word_vocabulary_serves_both_models() -> None:
    models = russian_models()
    assert models.ner_tagger.network.words_vocab is models.morph_tagger.network.words_vocab


def _slovnet_words() -> Any:
    from natasha.data import NEWS_NER
    from slovnet.const import WORD
    from slovnet.exec.pack import Pack

    with Pack(NEWS_NER) as pack:
        return pack.load_vocab(WORD)


def test_word_ids_give_every_word_slovnets_id() -> None:
    vocab = _slovnet_words()
    ids = russian_models().ner_tagger.network.words_vocab
    assert isinstance(ids, WordIds) and len(ids) == len(vocab.items) > 200_000
    assert [ids.encode(word) for word in vocab.items] == [vocab.encode(word) for word in vocab.items]
    assert (ids.unk_id, ids.pad_id) == (vocab.unk_id, vocab.pad_id) and ids.unk_id is not None
    for unknown in ("кваркозябра", "", "ЛАВРОВ", "lavrov-2025", "x" * 500):
        assert ids.encode(unknown) == vocab.encode(unknown)


def test_word_ids_keep_the_dict_when_two_words_share_a_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tagger, "hash", len, raising=False)  # "мир" and "дом": one hash
    words = ["<unk>", "<pad>", "мир", "дом", "столица"]
    vocab = WordIds.from_words(words, "digest")
    assert not isinstance(vocab, WordIds) and vocab.digest == "digest"
    assert [vocab.encode(w) for w in ("дом", "мир", "столица", "лес")] == [3, 2, 4, 0]
    assert vocab.pad_id == 1
    monkeypatch.undo()
    compact = WordIds.from_words(words, "digest")
    assert isinstance(compact, WordIds)
    assert [compact.encode(w) for w in ("дом", "мир", "столица", "лес")] == [3, 2, 4, 0]


@pytest.mark.parametrize("length", [1, 2, 7, 300])
def test_viterbi_is_slovnets_crf_decoding(length: int) -> None:
    crf = russian_models().ner_tagger
    rng = np.random.default_rng(length)
    scores = rng.normal(size=(length, len(crf.tags))).astype(np.float32)
    ner, _ = natasha_taggers()
    expected = ner.infer.model.head.crf.decode(scores[None], np.ones((1, length), dtype=bool))[0]
    assert viterbi(scores, crf.transitions) == expected.tolist()


def test_sequences_decoded_together_get_their_own_paths() -> None:
    transitions = russian_models().ner_tagger.transitions
    rng = np.random.default_rng(7)
    sequences = [rng.normal(size=(n, len(transitions))).astype(np.float32) for n in (5, 0, 1, 40, 12)]
    ner, _ = natasha_taggers()
    crf = ner.infer.model.head.crf
    expected = [
        crf.decode(s[None], np.ones((1, len(s)), dtype=bool))[0].tolist() if len(s) else [] for s in sequences
    ]
    assert viterbi_many(sequences, transitions) == expected


def test_a_batch_of_articles_is_understood_as_each_alone() -> None:
    import datetime as dt

    from bot.analysis.understanding import ArticleInput, understand, understand_batch

    items = [
        ArticleInput(i, "", text, "ru", dt.date(2025, 3, 1))
        for i, text in enumerate([*TEXTS[:4], "", "Путин."])
    ]
    assert understand_batch(items) == [understand(item) for item in items]
