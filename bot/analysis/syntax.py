"""Dependency trees of chosen sentences: natasha's news syntax model (slovnet), for roles.

Appositions ("президента Австрии Хайнца Фишера"), coordination ("политик и лидер движения", "академики
Владимир Захаров, Леонид Келдыш") and copulas ("был вице-президентом") are read off the tree rather than
off word order. The model runs only on the sentences the caller picks (a person's name and a role word).

The weights and maths are slovnet's; the executor is our own, as in ``tagger.py``, because slovnet's was
most of the cost: its relation scorer multiplies one 45×32 matrix per word through a broadcast ``matmul``,
and its convolutions work on a padded batch as long as the longest sentence. Here the encoder runs over all
chosen sentences as one sequence with a zeroed word between sentences (re-zeroed after every layer, what
slovnet's padding mask computes), and heads and relations are scored sentence by sentence. The word vectors
and vocabulary are the NER network's when they are the same (they are in natasha's packages), so only the
syntax weights are added to a worker's memory.
"""

from __future__ import annotations

import gzip
import hashlib
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

    def __init__(self, path: str, network: TagNetwork, network_path: str) -> None:
        from slovnet.const import REL, SHAPE, WORD
        from slovnet.exec.model import Syntax as SyntaxModel
        from slovnet.exec.pack import Pack, vocab_name

        with Pack(path) as pack:
            pack.load_meta().check_protocol()
            model = pack.load_model(SyntaxModel)
            model = model.inject_arrays(dict(pack.load_arrays(model.weights)))
            self.rels = list(pack.load_vocab(REL).items)
            ours = {name: _digest(pack, vocab_name(name)) for name in (WORD, SHAPE)}
            with Pack(network_path) as other:
                same = all(_digest(other, vocab_name(name)) == ours[name] for name in (WORD, SHAPE))
            if same:  # natasha's packages share one vocabulary: the NER network's encoding, ids cached
                self.encode: Any = network.encode
                self.padding = network.padding_ids
            else:  # another package: its own vocabulary, loaded only then (250,000 words)
                words, shapes = pack.load_vocab(WORD), pack.load_vocab(SHAPE)
                self.encode = _Encoder(words, shapes)
                self.padding = words.pad_id, shapes.pad_id
        word = model.emb.word  # the navec vectors the NER network already holds
        word = word.replace(
            indexes=word.indexes.replace(array=network.word_indexes),
            codes=word.codes.replace(array=network.word_codes),
        )
        self.model: Any = model.replace(emb=model.emb.replace(word=word))

    def __call__(self, sentences: Sequence[Sequence[str]]) -> list[list[Arc]]:
        """The arcs of each sentence (lists of words): for each word, the best-scoring head (slovnet's
        ``SyntaxHead.decode``, no tree constraint) and the best relation to it."""
        if not sentences:
            return []
        word_pad, shape_pad = self.padding
        word_ids: list[int] = []
        shape_ids: list[int] = []
        separators: list[int] = []
        for i, sentence in enumerate(sentences):
            if i:
                separators.append(len(word_ids))
                word_ids.append(word_pad)
                shape_ids.append(shape_pad)
            words, shapes = self.encode(sentence)
            word_ids.extend(words)
            shape_ids.extend(shapes)
        zero = np.zeros(len(word_ids), dtype=bool)
        zero[separators] = True
        x = self._encoder(word_ids, shape_ids, zero)
        arcs, start = [], 0
        for sentence in sentences:
            arcs.append(self._arcs(x[start : start + len(sentence)]))
            start += len(sentence) + 1
        return arcs

    def _encoder(self, word_ids: list[int], shape_ids: list[int], zero: np.ndarray) -> np.ndarray:
        """Word and shape embeddings through the convolution layers, in a (words × channels) layout."""
        emb = self.model.emb
        size = len(word_ids)
        codes, indexes = emb.word.codes.array, emb.word.indexes.array
        words = codes[np.arange(codes.shape[0]), indexes[np.array(word_ids)]].reshape(size, -1)
        x = np.concatenate((words, emb.shape.weight.array[np.array(shape_ids)]), axis=-1)
        for layer in self.model.encoder.layers:
            filters, channels, kernel = layer.conv.weight.shape
            padding = layer.conv.padding
            padded = np.zeros((size + 2 * padding, channels), dtype=x.dtype)
            padded[padding : padding + size] = x
            row, item = padded.strides
            # window w, channel c, offset k = padded[w + k, c]: slovnet's (in, kernel) weight order
            windows = np.lib.stride_tricks.as_strided(
                padded, (size, channels, kernel), (row, item, row), writeable=False
            ).reshape(size, channels * kernel)
            weight = layer.conv.weight.array.reshape(filters, channels * kernel)
            x = (np.matmul(windows, weight.T) + layer.conv.bias.array).clip(0)
            norm = layer.norm
            x = (x - norm.mean.array) / norm.std.array * norm.weight.array + norm.bias.array
            x[zero] = 0
        return x

    def _arcs(self, x: np.ndarray) -> list[Arc]:
        """Heads and relations of one sentence from its encoded words (slovnet's ``SyntaxHead`` and
        ``SyntaxRel`` for a batch of one)."""
        head, rel = self.model.head, self.model.rel
        with_root = np.concatenate((head.root.array[None, :], x))
        scores = _ff(head.head, with_root) @ head.kernel.array @ _ff(head.tail, with_root).T
        heads = scores[1:].argmax(-1)  # 0 is the root
        rel_root = np.concatenate((rel.root.array[None, :], x))
        hidden, dim = rel.kernel.shape
        heads_h = _ff(rel.head, rel_root[heads]) @ rel.kernel.array  # words × (relations · hidden)
        tails = _ff(rel.tail, x)
        labels = np.einsum("wrh,wh->wr", heads_h.reshape(len(x), dim // hidden, hidden), tails).argmax(-1)
        return [Arc(int(h) - 1, self.rels[int(r)]) for h, r in zip(heads, labels, strict=True)]


def _ff(layer: Any, x: np.ndarray) -> np.ndarray:
    return (x @ layer.proj.weight.array + layer.proj.bias.array).clip(0)


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


def _digest(pack: Any, name: str) -> str:
    """A vocabulary's words compared without building them (the gzip headers of equal lists differ)."""
    return hashlib.sha256(gzip.decompress(pack.read(name))).hexdigest()


@lru_cache(maxsize=1)
def syntax_parser(ner: TagNetwork) -> SyntaxParser:
    """Loaded once per process, on the first article with a sentence to parse; ``ner``: the NER network
    already loaded, whose word vectors and vocabulary the syntax model shares."""
    from natasha.data import NEWS_NER, NEWS_SYNTAX

    return SyntaxParser(NEWS_SYNTAX, ner, NEWS_NER)
