"""Dependency trees of chosen sentences: natasha's news syntax model (slovnet), for roles.

Appositions ("президента Австрии Хайнца Фишера"), coordination ("политик и лидер движения", "академики
Владимир Захаров, Леонид Келдыш") and copulas ("был вице-президентом") are read off the tree rather than
off word order. The model is as slow as the morphology tagger, so it runs only on the sentences the caller
picks (a person's name and a role word), all of them as one padded batch. It takes its word vectors and
vocabulary from the NER network already loaded when they are the same (they are in natasha's packages),
so it adds the syntax weights alone to a worker's memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from bot.analysis.tagger import TagNetwork


@dataclass(frozen=True)
class Arc:
    """A word's head (an index into the same sentence, -1 for the root) and the relation's UD label."""

    head: int
    rel: str


class SyntaxParser:
    """slovnet's syntax network with the NER network's word embedding and encoding."""

    def __init__(self, path: str, network: TagNetwork) -> None:
        from slovnet.const import REL, SHAPE, WORD
        from slovnet.exec.model import Syntax as SyntaxModel
        from slovnet.exec.pack import Pack

        with Pack(path) as pack:
            pack.load_meta().check_protocol()
            model = pack.load_model(SyntaxModel)
            model = model.inject_arrays(dict(pack.load_arrays(model.weights)))
            words, shapes = pack.load_vocab(WORD), pack.load_vocab(SHAPE)
            self.rels = list(pack.load_vocab(REL).items)
        if words.items == network.words_vocab.items and shapes.items == network.shapes_vocab.items:
            self.encode = network.encode  # natasha's packages share one vocabulary: reuse its cached ids
        else:
            self.encode = _Encoder(words, shapes)
        self.padding = words.pad_id, shapes.pad_id
        word = model.emb.word  # the navec vectors the NER network already holds
        word = word.replace(
            indexes=word.indexes.replace(array=network.word_indexes),
            codes=word.codes.replace(array=network.word_codes),
        )
        self.model: Any = model.replace(emb=model.emb.replace(word=word))

    def __call__(self, sentences: Sequence[Sequence[str]]) -> list[list[Arc]]:
        """The arcs of each sentence (lists of words), parsed as one padded batch."""
        if not sentences:
            return []
        word_pad, shape_pad = self.padding
        longest = max(len(s) for s in sentences)
        word_ids = np.full((len(sentences), longest), word_pad, dtype=np.int64)
        shape_ids = np.full((len(sentences), longest), shape_pad, dtype=np.int64)
        pad_mask = np.ones((len(sentences), longest), dtype=bool)
        for i, sentence in enumerate(sentences):
            words, shapes = self.encode(sentence)
            word_ids[i, : len(words)] = words
            shape_ids[i, : len(shapes)] = shapes
            pad_mask[i, : len(words)] = False
        pred = self.model(word_ids, shape_ids, pad_mask)
        heads = self.model.head.decode(pred.head_id, ~pad_mask)
        rels = self.model.rel.decode(pred.rel_id, ~pad_mask)
        return [
            [Arc(int(heads[i, k]) - 1, self.rels[int(rels[i, k])]) for k in range(len(sentence))]
            for i, sentence in enumerate(sentences)
        ]


class _Encoder:
    """Word and shape ids as slovnet's encoder makes them, for a package with its own vocabulary."""

    def __init__(self, words: Any, shapes: Any) -> None:
        self.words, self.shapes = words, shapes

    def __call__(self, sentence: Sequence[str]) -> tuple[list[int], list[int]]:
        from slovnet.shape import word_shape

        return (
            [self.words.encode(w.lower()) for w in sentence],
            [self.shapes.encode(word_shape(w)) for w in sentence],
        )


@lru_cache(maxsize=1)
def syntax_parser() -> SyntaxParser:
    """Loaded once per process, on the first article with a sentence to parse."""
    from natasha.data import NEWS_SYNTAX

    from bot.analysis.entities import russian_models

    return SyntaxParser(NEWS_SYNTAX, russian_models().ner_tagger.network)
