"""natasha's NER and morphology models (slovnet), run on the tokens natasha has already made.

The weights, vocabularies and maths are slovnet's; what is our own is how they are run, because
slovnet's executor, not the network, was most of the analysis time. Measured on 100 ~5.5 KB Russian
articles, one thread (``bench/analysis.py`` texts, instrumented with ``time.perf_counter``), slovnet's
NER took 40.7 ms per article:

* 6.5 ms tokenising the text a second time (natasha's ``Doc.segment`` already did, with the same razdel
  tokenizer over the same text), and 3.2 ms finding those tokens again in the text;
* 16.2 ms in the convolutions, of which 6 ms are the matrix products: the rest is padding copies,
  transposes, batch normalisation over a strided axis and masking through a repeated boolean mask;
* 12.4 ms decoding the CRF, one ``numpy.indices`` and fancy-indexing step per token.

Here the NER network runs over the document's tokens as one sequence (as slovnet runs it), the layers
keep a (tokens × channels) layout, and the Viterbi step takes a plain ``max``; the products are the
same, so the tags are the same. The morphology network runs all wanted sentences as one sequence with
a zeroed token between sentences, re-zeroed after every layer: what slovnet's per-sentence padding and
masking computes, without the padding. Tag strings are parsed once per tag, not once per token.

Loading is our own too: both models take the word vocabulary of the navec embedding they were trained
with, and slovnet loads a copy per model (250,000 words and their index, ~37 MB of Python strings and a
dict); here one copy serves both when the packs hold the same vocabulary, navec's own word list is never
loaded, and the copy keeps no strings (``WordIds``: the words' hashes and ids, ~3 MB).
"""

from __future__ import annotations

import gzip
import hashlib
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from typing import Any

import numpy as np

Feats = tuple[tuple[str, str], ...]
Encoded = tuple[list[int], list[int]]  # word ids, shape ids


class WordIds:
    """slovnet's word vocabulary as the networks use it (``encode``, ``pad_id``), without its words.

    slovnet's ``Vocab`` holds 250,000 strings and a dict over them, ~37 MB of Python objects in every
    analysis worker (a tracemalloc of a worker after 48 articles: 23.6 MB of strings, 14.0 MB of dict).
    This keeps each word's ``hash`` (the process's own str hash, the one a dict uses) sorted, beside the
    word's id: 12 bytes a word. A word is looked up by its hash; a word outside the vocabulary whose 64-bit
    hash equals a vocabulary word's would take that word's id (odds ~1e-14 a lookup). Two vocabulary words
    with one hash would make the table ambiguous: then the dict is kept (`from_words` says which)."""

    def __init__(
        self, hashes: array, ids: array, unk_id: int | None, pad_id: int | None, digest: str
    ) -> None:
        self._hashes = hashes
        self._ids = ids
        self.unk_id = unk_id
        self.pad_id = pad_id
        self.digest = digest  # sha256 of the word list: equal vocabularies compare without their words

    @classmethod
    def from_words(cls, words: Iterable[str], digest: str) -> Any:
        from slovnet.const import PAD, UNK
        from slovnet.vocab import Vocab

        items = list(words)
        pairs = sorted((hash(word), i) for i, word in enumerate(items))
        if any(a[0] == b[0] for a, b in pairwise(pairs)):
            vocab = Vocab(items)  # two words, one hash: the exact dict
            vocab.digest = digest
            return vocab
        marks = {word: i for i, word in enumerate(items) if word in (UNK, PAD)}
        hashes = array("q", (h for h, _ in pairs))
        ids = array("i", (i for _, i in pairs))
        return cls(hashes, ids, marks.get(UNK), marks.get(PAD), digest)

    def encode(self, word: str) -> int | None:
        key = hash(word)
        at = bisect_left(self._hashes, key)
        if at < len(self._ids) and self._hashes[at] == key:
            return self._ids[at]
        return self.unk_id

    def __len__(self) -> int:
        return len(self._ids)


@dataclass(frozen=True)
class _Layer:
    weight: np.ndarray  # filters × (in · kernel), in slovnet's window order
    bias: np.ndarray
    kernel: int
    padding: int
    mean: np.ndarray
    std: np.ndarray
    scale: np.ndarray
    shift: np.ndarray


class TagNetwork:
    """slovnet's tagger network: navec and shape embeddings, convolution layers, a projection."""

    def __init__(self, model: Any, words_vocab: Any, shapes_vocab: Any) -> None:
        word = model.emb.word
        self.word_indexes: np.ndarray = word.indexes.array  # words × sub-vectors (uint8 centroid ids)
        self.word_codes: np.ndarray = word.codes.array  # sub-vectors × centroids × chunk
        self.sub_vectors = np.arange(self.word_codes.shape[0])
        self.shape_weight: np.ndarray = model.emb.shape.weight.array
        self.layers = []
        for layer in model.encoder.layers:
            filters, channels, kernel = layer.conv.weight.shape
            self.layers.append(
                _Layer(
                    np.ascontiguousarray(layer.conv.weight.array.reshape(filters, channels * kernel).T),
                    layer.conv.bias.array,
                    kernel,
                    layer.conv.padding,
                    layer.norm.mean.array,
                    layer.norm.std.array,
                    layer.norm.weight.array,
                    layer.norm.bias.array,
                )
            )
        self.proj_weight: np.ndarray = model.head.proj.weight.array
        self.proj_bias: np.ndarray = model.head.proj.bias.array
        self.words_vocab = words_vocab
        self.shapes_vocab = shapes_vocab
        # Frequent words recur in every article; their shape (a pure-Python pass over the word) and
        # vocabulary lookups are kept. 20,000 words take ~4 MB.
        self._word_ids = lru_cache(maxsize=20_000)(self._ids_of)

    def encode(self, words: Sequence[str]) -> Encoded:
        """Word and shape ids, as slovnet's ``TagEncoder`` makes them."""
        pairs = [self._word_ids(w) for w in words]
        return [w for w, _ in pairs], [s for _, s in pairs]

    def _ids_of(self, word: str) -> tuple[int, int]:
        from slovnet.shape import word_shape

        return self.words_vocab.encode(word.lower()), self.shapes_vocab.encode(word_shape(word))

    def encodes_like(self, other: TagNetwork) -> bool:
        """Whether words get the same ids in both networks: then one encoding serves both."""
        return (
            self.words_vocab is other.words_vocab or self.words_vocab.digest == other.words_vocab.digest
        ) and self.shapes_vocab.items == other.shapes_vocab.items

    @property
    def padding_ids(self) -> tuple[int, int]:
        """The ids slovnet pads with; both embed as zero vectors."""
        return self.words_vocab.pad_id, self.shapes_vocab.pad_id

    def __call__(self, word_ids: list[int], shape_ids: list[int], zero: np.ndarray | None = None) -> Any:
        """Scores (tokens × tags) of one sequence; rows in ``zero`` are padding, zeroed after each layer."""
        size = len(word_ids)
        words = self.word_codes[self.sub_vectors, self.word_indexes[np.array(word_ids)]].reshape(size, -1)
        x = np.concatenate((words, self.shape_weight[np.array(shape_ids)]), axis=-1)
        for layer in self.layers:
            channels = x.shape[1]
            padded = np.zeros((size + 2 * layer.padding, channels), dtype=x.dtype)
            padded[layer.padding : layer.padding + size] = x
            windows_count = size + 2 * layer.padding - layer.kernel + 1
            row, item = padded.strides
            # window w, channel c, offset k = padded[w + k, c]: slovnet's (in, kernel) order
            windows = np.lib.stride_tricks.as_strided(
                padded, (windows_count, channels, layer.kernel), (row, item, row), writeable=False
            ).reshape(windows_count, channels * layer.kernel)
            x = np.matmul(windows, layer.weight) + layer.bias
            x = x.clip(0)
            x = (x - layer.mean) / layer.std * layer.scale + layer.shift
            if zero is not None:
                x[zero] = 0
        return np.matmul(x, self.proj_weight) + self.proj_bias


def viterbi(scores: np.ndarray, transitions: np.ndarray) -> list[int]:
    """The best tag sequence under a CRF: slovnet's ``CRF.decode`` for one unpadded sequence."""
    return viterbi_many([scores], transitions)[0]


def viterbi_many(sequences: Sequence[np.ndarray], transitions: np.ndarray) -> list[list[int]]:
    """``viterbi`` of several sequences at once, as slovnet decodes a padded batch: one numpy step per
    position of the longest sequence instead of one per position of each (the step's cost hardly grows
    with the batch). A finished sequence keeps its scores; its path is read back from its own length."""
    lengths = [len(s) for s in sequences]
    longest = max(lengths, default=0)
    if not longest:
        return [[] for _ in sequences]
    tags = transitions.shape[0]
    dtype = np.result_type(*sequences, transitions)
    emissions = np.zeros((longest, len(sequences), tags), dtype=dtype)
    live = np.zeros((longest, len(sequences), 1), dtype=bool)
    for j, scores in enumerate(sequences):
        emissions[: len(scores), j] = scores
        live[: len(scores), j] = True
    score = emissions[0]
    history = []
    for step in range(1, longest):
        # previous × next for each sequence, added in slovnet's order: (score + transitions) + emission
        candidates = score[:, :, None] + transitions + emissions[step][:, None, :]
        history.append(candidates.argmax(1))
        score = np.where(live[step], candidates.max(1), score)
    paths = []
    for j, length in enumerate(lengths):
        if not length:
            paths.append([])
            continue
        best = int(score[j].argmax())
        path = [best]
        for back in reversed(history[: length - 1]):
            best = int(back[j, best])
            path.append(best)
        path.reverse()
        paths.append(path)
    return paths


class NERTagger:
    """Names (PER, LOC, ORG) over a document's tokens."""

    def __init__(self, network: TagNetwork, transitions: np.ndarray, tags_vocab: Any) -> None:
        self.network = network
        self.transitions = transitions
        self.tags = list(tags_vocab.items)

    def __call__(self, tokens: Sequence[Any], encoded: Encoded | None = None) -> list[tuple[int, int, str]]:
        """(start, stop, type) of each name; ``tokens`` have ``text``, ``start`` and ``stop``; ``encoded``,
        when given, is ``network.encode`` of their texts."""
        return self.tag_many([(tokens, encoded or self.network.encode([t.text for t in tokens]))])[0]

    def tag_many(
        self, documents: Sequence[tuple[Sequence[Any], Encoded]]
    ) -> list[list[tuple[int, int, str]]]:
        """The names of several documents, each given as (tokens, ``network.encode`` of their texts);
        each document is one sequence, as alone, and the CRF decodes them together."""
        from slovnet.bio import bio_spans

        scores = [
            self.network(*encoded) if tokens else np.zeros((0, len(self.tags)))
            for tokens, encoded in documents
        ]
        names = []
        for (tokens, _), path in zip(documents, viterbi_many(scores, self.transitions), strict=True):
            tags = [self.tags[i] for i in path]
            names.append([(span.start, span.stop, span.type) for span in bio_spans(tokens, tags)])
        return names


class MorphTagger:
    """Part of speech and UD features of each word, sentence by sentence."""

    def __init__(self, network: TagNetwork, tags_vocab: Any) -> None:
        from slovnet.conll import parse_conll_tag

        self.network = network
        self.tags: list[tuple[str, Feats]] = []
        for tag in tags_vocab.items:
            pos, feats = parse_conll_tag(tag)
            self.tags.append((pos, tuple(sorted(feats.items()))))

    def __call__(
        self, sentences: Sequence[Sequence[str]], encoded: Sequence[Encoded] | None = None
    ) -> list[list[tuple[str, Feats]]]:
        """(part of speech, sorted features) per word of each sentence; ``encoded``, when given, is
        ``network.encode`` of each sentence."""
        word_pad, shape_pad = self.network.padding_ids
        word_ids: list[int] = []
        shape_ids: list[int] = []
        separators: list[int] = []
        for i, sentence in enumerate(sentences):
            if i:
                separators.append(len(word_ids))  # a padding token: zero vectors in, zeroed after each layer
                word_ids.append(word_pad)
                shape_ids.append(shape_pad)
            words, shapes = encoded[i] if encoded is not None else self.network.encode(sentence)
            word_ids.extend(words)
            shape_ids.extend(shapes)
        if not word_ids:
            return [[] for _ in sentences]
        zero = np.zeros(len(word_ids), dtype=bool)
        zero[separators] = True
        best = self.network(word_ids, shape_ids, zero).argmax(-1).tolist()
        result, start = [], 0
        for sentence in sentences:
            result.append([self.tags[i] for i in best[start : start + len(sentence)]])
            start += len(sentence) + 1
        return result


def _vocab_digest(pack: Any, name: str) -> str:
    """A vocabulary's words, compared without building them (the gzip headers of equal lists differ)."""
    return hashlib.sha256(gzip.decompress(pack.read(name))).hexdigest()


def load_taggers(embedding_path: str, ner_path: str, morph_path: str) -> tuple[NERTagger, MorphTagger]:
    """natasha's news NER and morphology models with their navec embedding, one word vocabulary."""
    from navec.meta import Meta
    from navec.navec import META, PQ_, Navec
    from navec.pq import PQ
    from navec.tar import Tar
    from slovnet.const import SHAPE, TAG, WORD
    from slovnet.exec.model import NER as NERModel
    from slovnet.exec.model import Morph as MorphModel
    from slovnet.exec.pack import Pack, vocab_name

    with Tar(embedding_path) as tar:
        meta = Meta.from_file(tar.load(META))
        navec = Navec(meta, None, PQ.from_file(tar.load(PQ_)))  # the vectors without the word list

    loaded = []
    words_vocab, words_digest = None, ""
    for path, model_class in ((ner_path, NERModel), (morph_path, MorphModel)):
        with Pack(path) as pack:
            pack.load_meta().check_protocol()
            model = pack.load_model(model_class)
            model = model.inject_arrays(dict(pack.load_arrays(model.weights))).inject_navec(navec)
            digest = _vocab_digest(pack, vocab_name(WORD))
            if words_vocab is None or digest != words_digest:
                lines = gzip.decompress(pack.read(vocab_name(WORD))).decode("utf8").splitlines()
                words_vocab, words_digest = WordIds.from_words(lines, digest), digest
                del lines
            loaded.append((model, words_vocab, pack.load_vocab(SHAPE), pack.load_vocab(TAG)))
    (ner, ner_words, ner_shapes, ner_tags), (morph, morph_words, morph_shapes, morph_tags) = loaded
    ner_tagger = NERTagger(TagNetwork(ner, ner_words, ner_shapes), ner.head.crf.transitions.array, ner_tags)
    return ner_tagger, MorphTagger(TagNetwork(morph, morph_words, morph_shapes), morph_tags)
