"""The Tokenizer: morphemes to tokens and terms, with the compounding rules (noun sequences,
numbers with their units, listed terms kept whole) in :meth:`Tokenizer._tokenize_batch`."""

from __future__ import annotations

import functools
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from .._parallel import chunk_ranges
from ..config import DEFAULT_STOPWORDS
from ..textutil import normalize, trie_regex
from .mecab import (
    _COUNTER,
    _FIELDS,
    _NOUN,
    _NUM,
    _OTHER,
    _POS,
    _PREFIX,
    _SUFFIX,
    MAX_CHUNK_CHARS,
    _entries,
    _main_tagger,
    _Morphemes,
    _row_count,
)

TOKEN_COLUMNS = [
    "section_id", "position", "surface", "term", "pos", "pos_detail", "char_start", "char_end",
    "is_content", "parts",
]
# Bumped whenever the token output for the same text and options changes (cache key).
TOKENIZER_VERSION = "3"
# Texts are tokenised in batches of about this many characters.
BATCH_CHARS = 1_000_000
_SINGLE_KANA = r"^[\x{3040}-\x{30ff}]$"
_KATAKANA = r"^[\x{30a0}-\x{30ff}]+$"
_BLANKS = str.maketrans({"\n": " ", "\r": " ", "\t": " ", "\x00": " "})



def load_wordlist(path: Path) -> frozenset[str]:
    """One normalised word a line; blank lines and ``#`` comments ignored."""
    words = set()
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            words.add(normalize(line))
    return frozenset(words)




# (surface, context id, word cost), which pick one dictionary entry -> its written base form:
# facts about the dictionary, remembered for the life of the process.
_BASES: dict[tuple[str, int, int], str] = {}


class Tokenizer:
    """Japanese tokenizer producing analyst-readable terms.

    Parameters
    ----------
    stopwords : frozenset of str or None
        Normalised terms that are never content. None uses the shipped list.
    terms : iterable of str
        Terms always kept as one token (multi-word taxonomy terms, a user's term list).
    """

    def __init__(self, stopwords: frozenset[str] | None = None,
                 terms: Iterable[str] = ()) -> None:
        self.stopwords = load_wordlist(DEFAULT_STOPWORDS) if stopwords is None else stopwords
        self._tagger = _main_tagger()
        self.terms = tuple(sorted({t.strip() for t in terms if len(t.strip()) > 1}))
        self._stopword_set = pa.array(sorted(self.stopwords), type=pa.string())

    @property
    def options_key(self) -> str:
        """What, besides the text and the dictionary, decides the tokens (for caching)."""
        import hashlib

        digest = hashlib.sha256()
        for word in sorted(self.stopwords):
            digest.update(word.encode() + b"\0")
        digest.update(b"\1")
        for term in self.terms:
            digest.update(term.encode() + b"\0")
        return f"v{TOKENIZER_VERSION}-{digest.hexdigest()[:16]}"

    # -- MeCab --------------------------------------------------------------------------------

    def _node_count(self, text: str) -> int:
        return _row_count(self._tagger.parse(text))

    def morphemes(self, text: str) -> list[tuple[str, str, str, str, str, int]]:
        """MeCab morphemes of ``text`` with character offsets (no joining).

        Returns
        -------
        list of (surface, pos1, pos2, pos3, base, char_start)
            ``base`` is the written base form of verbs, adjectives and auxiliaries, the
            surface otherwise.
        """
        m = self._analyse([text])
        surface = m.strings(m.begin, m.finish)
        mask = np.zeros(len(m.doc), dtype=bool)
        mask[m.base_rows] = True
        base = pc.replace_with_mask(surface, pa.array(mask), m.base_values)
        classes = _POS.classes
        pos = [classes.names.take(pa.array(codes[m.pos_class])).to_pylist()
               for codes in (classes.pos1, classes.pos2, classes.pos3)]
        return list(zip(surface.to_pylist(), *pos, base.to_pylist(), m.start.tolist(),
                        strict=True))

    def _analyse(self, texts: Sequence[str]) -> _Morphemes:
        """MeCab's morphemes of every text, blanks left out."""
        chunk_doc: list[int] = []
        chunk_char: list[int] = []
        chunk_text: list[str] = []
        for doc, text in enumerate(texts):
            for start, chunk in _chunks(_blank_breaks(text)):
                chunk_doc.append(doc)
                chunk_char.append(start)
                chunk_text.append(chunk)
        outputs = [self._tagger.parse(chunk) for chunk in chunk_text]
        rows = np.fromiter(map(_row_count, outputs), np.int64, len(outputs))
        encoded = [chunk.encode("utf-8") for chunk in chunk_text]
        data = pa.py_buffer(b"".join(encoded))
        if not rows.sum():
            nothing = np.zeros(0, dtype=np.int64)
            return _Morphemes(nothing, nothing, nothing, nothing, nothing, nothing, data,
                              nothing, pa.array([], pa.string()))
        # Arrow's CSV reader turns MeCab's rows of numbers into columns in C++.
        fields = pacsv.read_csv(
            io.BytesIO(("\n".join(o for o in outputs if o) + "\n").encode("ascii")),
            read_options=pacsv.ReadOptions(column_names=list(_FIELDS), block_size=1 << 26),
            parse_options=pacsv.ParseOptions(delimiter="\t", quote_char=False),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(_FIELDS, pa.int64())),
        )
        context, cost, status, byte_start, byte_length = (
            fields[c].to_numpy() for c in _FIELDS)
        chunk_byte = np.r_[0, np.cumsum([len(b) for b in encoded])[:-1]].astype(np.int64)
        begin = np.repeat(chunk_byte, rows) + byte_start
        doc = np.repeat(np.asarray(chunk_doc, dtype=np.int64), rows)
        # Character offsets: count the UTF-8 lead bytes before each byte offset.
        chars_before = np.zeros(data.size + 1, dtype=np.int64)
        np.cumsum((np.frombuffer(data, np.uint8) & 0xC0) != 0x80, out=chars_before[1:])
        char_shift = np.repeat(np.asarray(chunk_char, np.int64) - chars_before[chunk_byte],
                               rows)

        m = _Morphemes(doc, context, begin, begin + byte_length, np.zeros(0, np.int64),
                       np.zeros(0, np.int64), data, np.zeros(0, np.int64),
                       pa.array([], pa.string()))
        unknown = np.flatnonzero(status == 1)
        if len(unknown):
            m.pos_class = context.copy()
            m.pos_class[unknown] = self._unknown_classes_of(
                m.strings(m.begin[unknown], m.finish[unknown]), context[unknown],
                cost[unknown])
        classes = _POS.classes
        keep = ~classes.blank[m.pos_class]
        if not keep.all():
            m.doc, m.pos_class, m.begin, m.finish = (
                a[keep] for a in (m.doc, m.pos_class, m.begin, m.finish))
            context, cost, status, char_shift = (
                a[keep] for a in (context, cost, status, char_shift))
        m.start = chars_before[m.begin] + char_shift
        m.end = chars_before[m.finish] + char_shift
        m.base_rows = np.flatnonzero(classes.base_form[m.pos_class] & (status == 0))
        if len(m.base_rows):
            wanted = m.base_rows
            m.base_values = self._base_forms(m.strings(m.begin[wanted], m.finish[wanted]),
                                             context[wanted], cost[wanted])
        return m

    def _unknown_classes_of(self, words: pa.Array, context: np.ndarray,
                            cost: np.ndarray) -> np.ndarray:
        """Class of each unknown word: one per (context id, word cost), which picks one
        entry of unidic-lite's unknown-word definitions."""
        packed = (context << 16) | (cost + 32768)
        keys, first, inverse = np.unique(packed, return_index=True, return_inverse=True)
        examples = words.take(pa.array(first)).to_pylist()
        classes = np.array([_POS.unknown_class(int(key >> 16), int(key & 0xFFFF) - 32768, word)
                            for key, word in zip(keys.tolist(), examples, strict=True)])
        return classes[inverse.ravel()]

    def _base_forms(self, words: pa.Array, context: np.ndarray, cost: np.ndarray) -> pa.Array:
        """The written base form (orthBase) of each word, given its context id and cost.

        MeCab is not asked for it per morpheme (reading a feature field costs more than the
        analysis): each distinct (surface, context id, word cost), which picks one dictionary
        entry, is looked up once in the entries MeCab lists for that surface.
        """
        encoded = words.dictionary_encode()
        packed = ((encoded.indices.to_numpy().astype(np.int64) << 32)
                  | (context.astype(np.int64) << 16) | (cost + 32768))
        keys, inverse = np.unique(packed, return_inverse=True)
        vocabulary = encoded.dictionary.to_pylist()
        wanted = [(vocabulary[key >> 32], (key >> 16) & 0xFFFF, (key & 0xFFFF) - 32768)
                  for key in keys.tolist()]
        missing = [key for key in wanted if key not in _BASES]
        if missing:
            self._remember_bases({word for word, _, _ in missing})
        found = _BASES.get
        bases = [found(key, key[0]) for key in wanted]
        return pa.array(bases, pa.string()).take(pa.array(inverse.ravel()))

    def _remember_bases(self, words: set[str]) -> None:
        """Remember the base form of every dictionary entry MeCab lists for ``words`` (parsed
        side by side with -a: any entry it prints is a fact about the dictionary)."""
        texts: list[str] = []
        batch: list[str] = []
        size = 0
        for word in sorted(words):
            if size + len(word) >= MAX_CHUNK_CHARS // 4 and batch:
                texts.append(" ".join(batch))
                batch, size = [], 0
            batch.append(word)
            size += len(word) + 1
        texts.append(" ".join(batch))
        entries = _entries(texts).filter(pc.equal(pc.field("status"), 0))
        entries = entries.group_by(["surface", "context", "cost"], use_threads=False).aggregate(
            [("base", "first")])
        base = pc.if_else(pc.equal(entries["base_first"], ""), entries["surface"],
                          entries["base_first"])
        for surface, context, cost, written in zip(
                entries["surface"].to_pylist(), entries["context"].to_pylist(),
                entries["cost"].to_pylist(), base.to_pylist(), strict=True):
            _BASES.setdefault((surface, context, cost), written)

    # -- tokens ---------------------------------------------------------------------------------

    @property
    def forced_terms(self) -> tuple[str, ...]:
        """The listed terms that are forced into one token (NFKC)."""
        return tuple(sorted({unicodedata.normalize("NFKC", t) for t in self._split_terms}))

    def tokenize_texts(self, texts: Sequence[str]) -> pa.Table:
        """Tokens of every text.

        Parameters
        ----------
        texts : sequence of str

        Returns
        -------
        pyarrow.Table
            Columns doc (index into ``texts``), position, surface, term, pos, pos_detail,
            char_start, char_end (offsets into the text), is_content, parts.
        """
        # Batches of about BATCH_CHARS keep the intermediate arrays in cache and memory small.
        lengths = [len(t) for t in texts]
        ranges = chunk_ranges(len(texts), -(-sum(lengths) // BATCH_CHARS), weights=lengths)
        if len(ranges) <= 1:
            return self._tokenize_batch(texts)
        return _with_doc_offsets(ranges, [self._tokenize_batch(texts[a:b]) for a, b in ranges])

    def _tokenize_batch(self, texts: Sequence[str]) -> pa.Table:
        m = self._analyse(texts)
        n = len(m.doc)
        doc, start, end = m.doc, m.start, m.end
        classes = _POS.classes
        kind = classes.kind[m.pos_class]
        # % and ％ count like counters (15%)
        symbols = np.flatnonzero(classes.symbol[m.pos_class])
        if len(symbols):
            percent = pc.is_in(m.strings(m.begin[symbols], m.finish[symbols]),
                               pa.array(["%", "％"])).to_numpy(zero_copy_only=False)
            kind[symbols[percent]] = _COUNTER
        forced = self._forced(texts, doc, start, end)
        same_doc = np.r_[False, doc[1:] == doc[:-1]] if n else np.zeros(0, bool)
        adjacent = same_doc & (np.r_[-1, end[:-1]] == start if n else same_doc)
        # A katakana loanword MeCab reads as a na-adjective before a noun (スマート|フォン,
        # スマート|テレビ) is part of one compound noun.
        candidates = np.flatnonzero(
            (classes.pos1[m.pos_class] == classes.code("形状詞")) & np.r_[adjacent[1:], False]
            & np.isin(np.r_[kind[1:], _OTHER], (_NOUN, _SUFFIX)))
        if len(candidates):
            words = m.strings(m.begin[candidates], m.finish[candidates])
            katakana = pc.match_substring_regex(words, _KATAKANA).to_numpy(zero_copy_only=False)
            kind[candidates[katakana]] = _NOUN

        prev = np.r_[_OTHER, kind[:-1]] if n else kind
        prev2 = np.r_[_OTHER, _OTHER, kind[:-2]] if n > 1 else np.full(n, _OTHER)
        noun_like = np.isin(kind, (_NOUN, _SUFFIX, _COUNTER))
        prev_noun_run = np.isin(prev, (_NOUN, _PREFIX, _SUFFIX)) | (
            (prev == _COUNTER) & (prev2 != _NUM))
        # Latin letters before a number (G7, F35): only the few candidate positions are checked.
        prev_latin = np.zeros(n, dtype=bool)
        candidates = np.flatnonzero((kind == _NUM) & (prev == _NOUN) & adjacent)
        if len(candidates):
            before = m.strings(m.begin[candidates - 1], m.finish[candidates - 1])
            prev_latin[candidates] = pc.match_substring_regex(
                before, "^[A-Za-zＡ-Ｚａ-ｚ]+$").to_numpy(zero_copy_only=False)
        joins = adjacent & (
            ((kind == _NUM) & (prev == _NUM))
            | ((kind == _NUM) & prev_latin & (prev == _NOUN))  # G7, F35, P3
            | ((kind == _COUNTER) & (prev == _NUM))
            | (noun_like & prev_noun_run & (prev != _NUM))
        )
        # A prefix starts a run only when a noun follows; a lone suffix stays alone.
        joins &= ~((kind == _SUFFIX) & ~prev_noun_run)
        prev_forced = np.r_[-1, forced[:-1]] if n else forced
        either = (forced >= 0) | (prev_forced >= 0)
        joins = np.where(either, adjacent & (forced == prev_forced) & (forced >= 0), joins)

        first = np.flatnonzero(~joins)
        n_groups = len(first)
        last = np.r_[first[1:] - 1, n - 1] if n else first
        size = last - first + 1
        compound = size > 1
        compound_idx = np.flatnonzero(compound)
        compound_mask = pa.array(compound)

        # A token's morphemes are adjacent: its surface is one stretch of the text.
        g_surface = m.strings(m.begin[first], m.finish[last])
        # parts: only compounds need joining
        members = _ranges(first[compound_idx], size[compound_idx])
        lists = pa.ListArray.from_arrays(
            pa.array(np.r_[0, np.cumsum(size[compound_idx])].astype(np.int32)),
            m.strings(m.begin[members], m.finish[members]))
        g_parts = pc.replace_with_mask(g_surface, compound_mask, pc.binary_join(lists, "|"))
        # term source: the base form of a lone verb/adjective/auxiliary, else the surface
        base_index = np.full(n, -1, dtype=np.int64)
        base_index[m.base_rows] = np.arange(len(m.base_rows))
        from_base = base_index[first]
        from_base[compound] = -1
        uses_base = from_base >= 0
        sources = (pc.replace_with_mask(g_surface, pa.array(uses_base),
                                        m.base_values.take(pa.array(from_base[uses_base])))
                   if uses_base.any() else g_surface)
        # Term properties are computed once per distinct term source.
        sources = sources.dictionary_encode()
        distinct = pc.utf8_normalize(sources.dictionary, "NFKC")
        which = sources.indices
        term_arr = distinct.take(which)
        length = pc.utf8_length(distinct).to_numpy(zero_copy_only=False)
        kana = length == 1
        if kana.any():
            kana[kana] = pc.match_substring_regex(
                distinct.filter(pa.array(kana)), _SINGLE_KANA).to_numpy(zero_copy_only=False)
        excluded = (pc.is_in(distinct, self._stopword_set).to_numpy(zero_copy_only=False)
                    | kana | (length == 0))

        group_class = m.pos_class[first]
        group_kind = kind[first]
        forced_group = forced[first] >= 0
        pos_code = np.where(compound, classes.code("名詞"), classes.pos1[group_class])
        detail_code = np.where(
            compound,
            np.where(forced_group, classes.code("用語"),
                     np.where(group_kind == _NUM, classes.code("数詞"), classes.code("複合"))),
            classes.pos2[group_class])
        g_content = np.where(compound, group_kind != _NUM, classes.content[group_class])
        g_content |= compound & forced_group
        content = g_content & ~excluded[which.to_numpy()]
        # Pieces of web and mail addresses (http, www, jp, co) say nothing about a topic.
        content &= ~_in_spans(_address_spans(texts), doc[first], start[first])

        g_doc = doc[first]
        doc_first = np.r_[0, np.flatnonzero(g_doc[1:] != g_doc[:-1]) + 1] if n_groups else first
        position = np.arange(n_groups) - np.repeat(doc_first, np.diff(np.r_[doc_first,
                                                                              n_groups]))
        return pa.table({
            "doc": g_doc, "position": position,
            "surface": g_surface, "term": term_arr,
            "pos": classes.names.take(pa.array(pos_code)),
            "pos_detail": classes.names.take(pa.array(detail_code)),
            "char_start": start[first], "char_end": end[last],
            "is_content": content, "parts": g_parts,
        })

    @functools.cached_property
    def _split_terms(self) -> tuple[str, ...]:
        """Listed terms that MeCab splits (a one-morpheme term is one token already)."""
        return tuple(t for t in self.terms if self._node_count(t) > 1)

    @functools.cached_property
    def _terms_re(self) -> re.Pattern[str] | None:
        """Where the split terms occur, as written or in NFKC: the longest at each position."""
        return trie_regex({v for t in self._split_terms
                           for v in (t, unicodedata.normalize("NFKC", t))})

    def _forced(self, texts, doc, start, end) -> np.ndarray:
        """Per morpheme, the id of the listed term occurrence it belongs to (-1: none)."""
        forced = np.full(len(doc), -1, dtype=np.int64)
        if not len(doc) or self._terms_re is None:
            return forced
        doc_bounds = np.searchsorted(doc, np.arange(len(texts) + 1))
        next_id = 0
        for d, text in enumerate(texts):
            lo, hi = doc_bounds[d], doc_bounds[d + 1]
            if lo == hi:
                continue
            starts, ends = start[lo:hi], end[lo:hi]
            for match in self._terms_re.finditer(text):
                a = np.searchsorted(starts, match.start())
                b = np.searchsorted(ends, match.end())
                aligned = (a < len(starts) and b < len(ends) and starts[a] == match.start()
                           and ends[b] == match.end())
                if aligned and b > a and (forced[lo + a:lo + b + 1] < 0).all():
                    forced[lo + a:lo + b + 1] = next_id
                    next_id += 1
        return forced

    def tokens(self, text: str) -> list[tuple[str, str, str, str, int, int, bool, str]]:
        """Tokens of one text (offsets relative to it).

        Returns
        -------
        list of (surface, term, pos, pos_detail, char_start, char_end, is_content, parts)
        """
        table = self.tokenize_texts([text])
        columns = ["surface", "term", "pos", "pos_detail", "char_start", "char_end",
                   "is_content", "parts"]
        return list(zip(*(table[c].to_pylist() for c in columns), strict=True))


_ADDRESS_RE = re.compile(
    r"(?:https?://|www\.)[!-~]+|[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


def _address_spans(texts: Sequence[str]) -> np.ndarray:
    """(doc, start, end) rows of the URLs and mail addresses in ``texts``, in order."""
    spans = [(d, m.start(), m.end()) for d, text in enumerate(texts)
             if "@" in text or "http" in text or "www." in text
             for m in _ADDRESS_RE.finditer(text)]
    return np.array(spans, dtype=np.int64).reshape(-1, 3)


def _in_spans(spans: np.ndarray, doc: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Whether each (doc, start) offset falls inside one of the sorted ``spans``."""
    if not len(spans):
        return np.zeros(len(doc), dtype=bool)
    # One key per offset: spans do not overlap and are sorted within and across texts.
    width = int(max(spans[:, 2].max(), start.max(initial=0))) + 1
    span_keys = spans[:, 0] * width + spans[:, 1]
    keys = doc.astype(np.int64) * width + start
    at = np.searchsorted(span_keys, keys, side="right") - 1
    found = at >= 0
    at = np.maximum(at, 0)
    return found & (spans[at, 0] == doc) & (start < spans[at, 2])


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(s, s + l)`` for every start and length, vectorised."""
    if not len(starts):
        return np.zeros(0, dtype=np.int64)
    total = int(lengths.sum())
    group_start = np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.repeat(starts, lengths) + (np.arange(total) - group_start)


def _blank_breaks(text: str) -> str:
    """Line breaks and tabs as spaces (same length): MeCab gets one line, offsets hold."""
    if "\t" in text or "\r" in text or "\x00" in text:
        return text.translate(_BLANKS)
    return text.replace("\n", " ")


def _chunks(text: str) -> Iterable[tuple[int, str]]:
    """Pieces of at most MAX_CHUNK_CHARS, cut after 。 or a space where possible."""
    start = 0
    while len(text) - start > MAX_CHUNK_CHARS:
        window = text[start : start + MAX_CHUNK_CHARS]
        cut = max(window.rfind("。"), window.rfind(" "), window.rfind("\u3000"))
        stop = start + (cut + 1 if cut > MAX_CHUNK_CHARS // 2 else MAX_CHUNK_CHARS)
        yield start, text[start:stop]
        start = stop
    yield start, text[start:]


def _with_doc_offsets(ranges: list[tuple[int, int]], tables: list[pa.Table]) -> pa.Table:
    """Token tables of consecutive ranges of texts as one, ``doc`` counted from the first."""
    return pa.concat_tables([
        table.set_column(0, "doc", pc.add(table["doc"], pa.scalar(a, pa.int64())))
        for (a, _b), table in zip(ranges, tables, strict=True)])
