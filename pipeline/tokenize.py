"""Stage 3: sections to tokens with MeCab (fugashi's GenericTagger over unidic-lite).

Speed: each text is parsed with one MeCab call (line breaks and tabs become spaces of the same
length, so offsets hold) and an output format, defined in an rc file and selected with ``-O``
(unidic-lite's dicrc overrides ``-F``), that prints numbers only: the left context id, the word
cost, the unknown-word flag and the byte span. Reading any feature field (``%f[i]``) would cost
MeCab more than the analysis itself. What the fields would have said comes from elsewhere:

* parts of speech from the context id (unidic-lite's left-id.def starts with pos1..pos3), and for
  unknown words from their (context id, cost), looked up once per process;
* written base forms of verbs, adjectives and auxiliaries from their (surface, context id, cost),
  which picks one dictionary entry, looked up once per process in a batched parse;
* surfaces and character offsets from the text's own UTF-8 bytes.

The output of a whole batch of texts is turned into columns with pyarrow and numpy, so no Python
object is made per MeCab node. Tests check the parts of speech and base forms against MeCab's
full feature output.

Terms, the normalised forms used for modelling:

* noun sequences: prefix + noun, noun + suffix and runs of nouns become one compound
  (防衛 + 費 -> 防衛費, 日米 + 地位 + 協定 -> 日米地位協定, 対 + 米 + 投資 -> 対米投資);
* numbers keep their units and counters (5500 + 億 + ドル -> 5500億ドル, 15 + % -> 15%);
  a number never joins the noun before or after it (対米投資 | 1兆ドル);
* multi-word terms of the theme taxonomy and of a user list (``--terms``) are always one token,
  never split and never merged into a longer compound;
* verbs, adjectives and auxiliaries take their written dictionary form (orthBase), never a
  katakana lemma; every term is NFKC-normalised (ＧＤＰ -> GDP).

``tokens`` columns, one row per token in text order:

============  =====  ==============================================================
section_id    str
position      int    0-based index of the token within its section
surface       str    the text as written
term          str    normalised form used for modelling
pos           str    UniDic pos1 (名詞 for compounds and numbers)
pos_detail    str    UniDic pos2; ``複合`` for a compound, ``数詞`` for a number term,
                     ``用語`` for a listed term
char_start    int    offset into the article's decoded text
char_end      int
is_content    bool   content word (noun, verb, adjective, adjectival noun, compound) and not
                     a stopword or a single kana
parts         str    the morphemes of the token joined by ``|`` (a one-morpheme token: its
                     surface as it is)
============  =====  ==============================================================
"""

from __future__ import annotations

import contextlib
import functools
import io
import itertools
import os
import re
import tempfile
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ._parallel import chunk_ranges
from .config import DEFAULT_STOPWORDS
from .textutil import normalize, trie_regex

TOKEN_COLUMNS = [
    "section_id", "position", "surface", "term", "pos", "pos_detail", "char_start", "char_end",
    "is_content", "parts",
]
# Bumped whenever the token output for the same text and options changes (cache key).
TOKENIZER_VERSION = "2"
# Texts are tokenised in batches of about this many characters.
BATCH_CHARS = 1_000_000
# Fewer characters than this are not worth starting worker processes for.
# MeCab's input buffer must hold a whole text in bytes; longer texts are cut at sentence ends.
MAX_CHUNK_CHARS = 20_000
_RC_FORMAT = (
    # Numbers only (no %f[...]: MeCab splits the feature string anew for every field read,
    # which costs more than the analysis itself): left context id, word cost, status
    # (1 = unknown word), byte start and byte length of the surface.
    "node-format-jtopics = %phl\\t%c\\t%s\\t%ps\\t%pl\\n\n"
    "unk-format-jtopics = %phl\\t%c\\t%s\\t%ps\\t%pl\\n\n"
    "bos-format-jtopics = \n"
    "eos-format-jtopics = \n"
    # Every dictionary entry MeCab finds in a string (with -a): written base form and parts of
    # speech, looked up once per entry.
    # (The closing dot keeps the last line whole: fugashi strips the output's end.)
    "node-format-jtopics-entries = %m\\t%phl\\t%c\\t%s\\t%f[10]\\t%f[0]\\t%f[1]\\t%f[2]\\t.\\n\n"
    "unk-format-jtopics-entries = %m\\t%phl\\t%c\\t%s\\t\\t%f[0]\\t%f[1]\\t%f[2]\\t.\\n\n"
    "bos-format-jtopics-entries = \n"
    "eos-format-jtopics-entries = \n"
)
_FIELDS = ("context", "cost", "status", "byte_start", "byte_length")
_CONTENT_POS = ["名詞", "動詞", "形容詞", "形状詞"]
_NOT_CONTENT_DETAIL = ["非自立可能", "副詞可能", "数詞"]
_BASE_FORM_POS = ["動詞", "形容詞", "助動詞"]
_SINGLE_KANA = r"^[\x{3040}-\x{30ff}]$"
_BLANKS = str.maketrans({"\n": " ", "\r": " ", "\t": " ", "\x00": " "})

_NUM, _COUNTER, _PREFIX, _SUFFIX, _NOUN, _OTHER = range(6)


def load_wordlist(path: Path) -> frozenset[str]:
    """One normalised word a line; blank lines and ``#`` comments ignored."""
    words = set()
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            words.add(normalize(line))
    return frozenset(words)


@contextlib.contextmanager
def _rc_file():
    """A mecabrc with our output formats, for as long as a tagger is being made (MeCab reads
    it then only; a file left behind would pile up, one per process)."""
    import unidic_lite

    with tempfile.TemporaryDirectory(prefix="jtopics-mecab-") as folder:
        path = os.path.join(folder, "mecabrc")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(f"dicdir = {unidic_lite.DICDIR}\n" + _RC_FORMAT)
        yield path


_TAGGERS = threading.local()


def _tagger(name: str, options: str) -> Any:
    """The MeCab tagger printing format ``name``, one per thread (MeCab's taggers are not
    thread-safe) and kept for the thread's life, shared by every Tokenizer: fugashi never
    unmaps a tagger's dictionary, and each mapping's touched pages count as resident."""
    tagger = getattr(_TAGGERS, name, None)
    if tagger is None:
        import fugashi
        import unidic_lite

        with _rc_file() as rc:
            tagger = fugashi.GenericTagger(
                f"-r {rc} -d {unidic_lite.DICDIR} -O {name} "
                f"-b {MAX_CHUNK_CHARS * 4 + 1024} {options}")
        setattr(_TAGGERS, name, tagger)
    return tagger


def _main_tagger() -> Any:
    return _tagger("jtopics", "")


def _entry_tagger() -> Any:
    return _tagger("jtopics-entries", "-a")


def _row_count(output: str) -> int:
    """Lines of a MeCab output (fugashi strips its last line break)."""
    return output.count("\n") + 1 if output else 0


_ENTRY_FIELDS = ("surface", "context", "cost", "status", "base", "pos1", "pos2", "pos3", "end")


def _entries(texts: Sequence[str]) -> pa.Table:
    """Every dictionary and unknown-word entry MeCab finds in each text (``-a``): surface,
    context id, word cost, status (1: unknown), written base form, pos1, pos2, pos3."""
    tagger = _entry_tagger()
    output = "\n".join(filter(None, (tagger.parse(text) for text in texts))) + "\n"
    return pacsv.read_csv(
        io.BytesIO(output.encode("utf-8")),
        read_options=pacsv.ReadOptions(column_names=list(_ENTRY_FIELDS), block_size=1 << 26),
        parse_options=pacsv.ParseOptions(delimiter="\t", quote_char=False),
        convert_options=pacsv.ConvertOptions(
            column_types={**dict.fromkeys(_ENTRY_FIELDS, pa.string()),
                          "context": pa.int64(), "cost": pa.int64(), "status": pa.int64()},
            strings_can_be_null=False, quoted_strings_can_be_null=False,
            include_columns=list(_ENTRY_FIELDS[:-1])),
    )


def dictionary_version() -> str:
    import unidic_lite

    version_file = Path(unidic_lite.DICDIR) / "version"
    return version_file.read_text(encoding="utf-8").strip() if version_file.exists() else "?"


@dataclass(frozen=True)
class _PosClasses:
    """What a morpheme's part of speech means for tokens, as arrays indexed by its class.

    Classes ``0..n_contexts-1`` are MeCab's left context ids, whose features in unidic-lite's
    left-id.def start with pos1, pos2, pos3. An unknown word's context id does not always
    name its part of speech (``-`` has a noun's id but is 記号), so unknown words get
    classes of their own, appended as they are met.
    """

    names: pa.Array   # strings; pos1/pos2/pos3 are codes into it
    pos1: np.ndarray
    pos2: np.ndarray
    pos3: np.ndarray
    kind: np.ndarray  # _NUM, _COUNTER, ... (% and ％ are counters too, decided by surface)
    content: np.ndarray
    base_form: np.ndarray  # verbs, adjectives, auxiliaries: the term is the written base form
    blank: np.ndarray
    symbol: np.ndarray

    def code(self, name: str) -> int:
        """Index of a part-of-speech name in ``names``."""
        return self.names.to_pylist().index(name)

    @classmethod
    def build(cls, names: list[str], codes: np.ndarray) -> _PosClasses:
        pos1, pos2, pos3 = (np.asarray(names, dtype=object)[codes[:, i]] for i in range(3))
        noun, suffix, prefix = pos1 == "名詞", pos1 == "接尾辞", pos1 == "接頭辞"
        number = noun & (pos2 == "数詞")
        common = noun & ((pos2 == "普通名詞") | (pos2 == "固有名詞")) & (pos3 != "副詞可能")
        kind = np.full(len(codes), _OTHER, dtype=np.int8)
        kind[common] = _NOUN
        kind[suffix & (pos2 == "名詞的")] = _SUFFIX
        kind[prefix] = _PREFIX
        kind[noun & (pos3 == "助数詞可能") & ~number] = _COUNTER
        kind[suffix & (pos3 == "助数詞")] = _COUNTER
        kind[number] = _NUM
        return cls(
            names=pa.array(names, pa.string()),
            pos1=codes[:, 0], pos2=codes[:, 1], pos3=codes[:, 2], kind=kind,
            content=np.isin(pos1, _CONTENT_POS) & ~np.isin(pos2, _NOT_CONTENT_DETAIL),
            base_form=np.isin(pos1, _BASE_FORM_POS), blank=pos1 == "空白",
            symbol=pos1 == "補助記号",
        )


@dataclass
class _Morphemes:
    """MeCab's morphemes of a batch of texts, as arrays (one entry per morpheme)."""

    doc: np.ndarray        # index of the text
    pos_class: np.ndarray  # row in _POS.classes
    begin: np.ndarray      # byte offsets into ``data``
    finish: np.ndarray
    start: np.ndarray      # character offsets into the text
    end: np.ndarray
    data: pa.Buffer        # the texts, UTF-8, one after the other
    base_rows: np.ndarray  # morphemes whose term is their written base form
    base_values: pa.Array  # that base form, one per base row

    def strings(self, begin: np.ndarray, finish: np.ndarray) -> pa.Array:
        """The text from each ``begin`` to its ``finish`` byte offset (ranges in order and
        not overlapping): the text's bytes viewed as Arrow strings cut at every begin and
        finish, of which every other one (the gaps) is left out by the take."""
        if not len(begin):
            return pa.array([], pa.string())
        cuts = np.empty(2 * len(begin), dtype=np.int64)
        cuts[0::2], cuts[1::2] = begin, finish
        large = self.data.size >= 2**31
        pieces = (pa.LargeStringArray if large else pa.StringArray).from_buffers(
            2 * len(begin) - 1, pa.py_buffer(cuts if large else cuts.astype(np.int32)),
            self.data)
        chosen = pieces.take(pa.array(np.arange(0, 2 * len(begin), 2)))
        return chosen.cast(pa.string()) if large else chosen


class _PartsOfSpeech:
    """The classes of parts of speech met so far in this process (they depend only on the
    dictionary): every left context id of unidic-lite's left-id.def, then one class per
    kind of unknown word, added when first met."""

    def __init__(self) -> None:
        self._names: list[str] | None = None
        self._codes: list[tuple[int, ...]] = []
        self._unknown: dict[tuple[int, int], int] = {}
        self._classes: _PosClasses | None = None
        self._lock = threading.Lock()

    @property
    def classes(self) -> _PosClasses:
        if self._classes is None:
            self._load()
        assert self._classes is not None
        return self._classes

    def _load(self) -> None:
        import unidic_lite

        names: dict[str, int] = {}
        ids, codes = [], []
        left_ids = Path(unidic_lite.DICDIR) / "left-id.def"
        for line in left_ids.read_text("utf-8").splitlines():
            ident, _, feature = line.partition(" ")
            # MeCab's %f[i] prints an unset field (*) as nothing: so do we
            fields = [f.replace("*", "") for f in [*feature.split(","), "", "", ""][:3]]
            ids.append(int(ident))
            codes.append([names.setdefault(f, len(names)) for f in fields])
        table = np.zeros((max(ids) + 1, 3), dtype=np.int32)
        table[ids] = codes
        for name in ("名詞", "複合", "数詞", "用語"):  # what tokens of several morphemes are
            names.setdefault(name, len(names))
        self._names = list(names)
        self._codes = [tuple(row) for row in table.tolist()]
        self._classes = _PosClasses.build(self._names, table)

    def unknown_class(self, context: int, cost: int, word: str) -> int:
        """Class of the unknown word ``word`` with this context id and word cost (which pick
        one entry of the unknown-word definitions), looked up in MeCab's entries for it."""
        found = self._unknown.get((context, cost))
        if found is not None:
            return found
        with self._lock:
            return self._add_unknown(context, cost, word)

    def _add_unknown(self, context: int, cost: int, word: str) -> int:
        found = self._unknown.get((context, cost))
        if found is not None:
            return found
        self.classes  # noqa: B018 (loads the context classes first)
        assert self._names is not None
        found = context  # the context's own part of speech if MeCab lists no such entry
        for entry in _entries([word]).to_pylist():
            if (entry["surface"] == word and entry["status"] == 1
                    and entry["context"] == context and entry["cost"] == cost):
                found = len(self._codes)
                pos = (entry["pos1"], entry["pos2"], entry["pos3"])
                for name in pos:
                    if name not in self._names:
                        self._names.append(name)
                self._codes.append(tuple(self._names.index(f) for f in pos))
                self._classes = _PosClasses.build(self._names,
                                                  np.asarray(self._codes, np.int32))
                break
        self._unknown[(context, cost)] = found
        return found


_POS = _PartsOfSpeech()
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

        prev = np.r_[_OTHER, kind[:-1]] if n else kind
        prev2 = np.r_[_OTHER, _OTHER, kind[:-2]] if n > 1 else np.full(n, _OTHER)
        same_doc = np.r_[False, doc[1:] == doc[:-1]] if n else np.zeros(0, bool)
        adjacent = same_doc & (np.r_[-1, end[:-1]] == start if n else same_doc)
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


def tokenize(sections: pd.DataFrame, tokenizer: Tokenizer | None = None,
             cache: Path | None = None, shards: bool = True) -> pd.DataFrame:
    """Tokenise every section's analysis text (boilerplate lines masked).

    Parameters
    ----------
    sections : DataFrame
        The ``sections`` table (needs section_id, char_start, analysis_text).
    tokenizer : Tokenizer or None
        None builds one with the shipped stopwords.
    cache : Path or None
        Folder of the token cache; None tokenises everything.
    shards : bool
        Also look texts up one by one in the cache (and add them to it); False keys the cache
        by this exact sequence of texts only, which suits one chunk of a large corpus.

    Returns
    -------
    tokens : DataFrame of shape (n_tokens, 10)
    """
    tokenizer = tokenizer or Tokenizer()
    texts = sections["analysis_text"].tolist()
    table = tokenize_cached(texts, tokenizer, cache, shards)
    doc = table["doc"].to_numpy()
    offsets = sections["char_start"].to_numpy().astype(np.int64)
    # The ids are repeated in Arrow: one Python string per token would cost more.
    section_ids = pa.Table.from_pandas(sections[["section_id"]], preserve_index=False).column(0)
    frame = table.drop(["doc"]).add_column(
        0, "section_id", section_ids.combine_chunks().cast(pa.string()).take(pa.array(doc))
    ).to_pandas()
    frame["char_start"] = frame["char_start"].to_numpy() + offsets[doc]
    frame["char_end"] = frame["char_end"].to_numpy() + offsets[doc]
    frame = frame.astype({"position": "int64", "char_start": "int64", "char_end": "int64",
                          "is_content": "bool"})
    return frame[TOKEN_COLUMNS]


# -- cache -------------------------------------------------------------

class TokenCache:
    """On-disk tokens keyed by text hash, dictionary version and tokenizer options.

    Tokens of each text live in one of 256 Parquet shards (by the first byte of the text's
    SHA-256), under a folder named for the dictionary version and the tokenizer's options, so a
    change of either never returns stale tokens. Shards are rewritten atomically.
    """

    def __init__(self, root: Path, tokenizer: Tokenizer) -> None:
        self.folder = Path(root) / f"unidic-{dictionary_version()}-{tokenizer.options_key}"

    def _corpus_path(self, keys: Sequence[str]) -> Path:
        import hashlib

        digest = hashlib.sha256("\n".join(keys).encode()).hexdigest()
        return self.folder / "corpora" / f"{digest}.arrow"

    def load_corpus(self, keys: Sequence[str]) -> pa.Table | None:
        """Tokens of exactly this sequence of texts, as stored by :meth:`store_corpus`: a
        re-run on the same inputs reads one file."""
        import pyarrow.feather as feather

        path = self._corpus_path(keys)
        try:
            return feather.read_table(path, memory_map=True) if path.exists() else None
        except (OSError, pa.ArrowInvalid):
            return None

    def store_corpus(self, keys: Sequence[str], table: pa.Table) -> None:
        import pyarrow.feather as feather

        path = self._corpus_path(keys)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp-{os.getpid()}")
        # Uncompressed Arrow, memory-mapped on read: a re-run costs about a millisecond.
        feather.write_feather(table, tmp, compression="uncompressed")
        os.replace(tmp, path)

    @staticmethod
    def key(text: str) -> str:
        import hashlib

        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def load(self, keys: Iterable[str]) -> dict[str, pa.Table]:
        """Cached token tables (without ``doc``) for the keys that are present."""
        import pyarrow.parquet as pq

        wanted: dict[str, set[str]] = {}
        for key in keys:
            wanted.setdefault(key[:2], set()).add(key)
        found: dict[str, pa.Table] = {}
        for shard, shard_keys in wanted.items():
            path = self.folder / f"{shard}.parquet"
            if not path.exists():
                continue
            try:
                table = pq.read_table(path)
            except (OSError, pa.ArrowInvalid):
                continue  # a damaged shard is a cache miss, and is rewritten below
            table = table.filter(pc.is_in(table["key"], pa.array(sorted(shard_keys))))
            if not table.num_rows:
                continue
            table = table.sort_by([("key", "ascending"), ("position", "ascending")])
            key_col = table["key"].to_numpy(zero_copy_only=False)
            bounds = np.r_[0, np.flatnonzero(key_col[1:] != key_col[:-1]) + 1, len(key_col)]
            for lo, hi in itertools.pairwise(bounds):
                found[str(key_col[lo])] = table.slice(lo, hi - lo).drop(["key"])
        return found

    def store(self, tables: dict[str, pa.Table]) -> None:
        """Add token tables (without ``doc``) keyed by text hash."""
        import pyarrow.parquet as pq

        by_shard: dict[str, list[pa.Table]] = {}
        for key, table in tables.items():
            keyed = table.append_column("key", pa.array([key] * table.num_rows, pa.string()))
            by_shard.setdefault(key[:2], []).append(keyed)
        if not by_shard:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        for shard, parts in by_shard.items():
            path = self.folder / f"{shard}.parquet"
            if path.exists():
                try:
                    old = pq.read_table(path)
                    new_keys = pa.array(sorted({k for p in parts for k in
                                                p["key"].unique().to_pylist()}))
                    parts = [old.filter(pc.invert(pc.is_in(old["key"], new_keys))), *parts]
                except (OSError, pa.ArrowInvalid):
                    pass
            tmp = path.with_suffix(f".tmp-{os.getpid()}")
            pq.write_table(pa.concat_tables(parts, promote_options="default"), tmp)
            os.replace(tmp, path)


def _with_doc_offsets(ranges: list[tuple[int, int]], tables: list[pa.Table]) -> pa.Table:
    """Token tables of consecutive ranges of texts as one, ``doc`` counted from the first."""
    return pa.concat_tables([
        table.set_column(0, "doc", pc.add(table["doc"], pa.scalar(a, pa.int64())))
        for (a, _b), table in zip(ranges, tables, strict=True)])


def tokenize_cached(texts: Sequence[str], tokenizer: Tokenizer, cache: Path | None = None,
                    shards: bool = True) -> pa.Table:
    """Tokens of every text, reusing and filling the on-disk cache when ``cache`` is set
    (with ``shards=False`` only as a whole sequence: many chunks written concurrently would
    otherwise rewrite the same shards over and over)."""
    if cache is None:
        return tokenizer.tokenize_texts(texts)
    store = TokenCache(cache, tokenizer)
    keys = [TokenCache.key(t) for t in texts]
    corpus = store.load_corpus(keys)
    if corpus is not None:
        return corpus
    if not shards:
        result = tokenizer.tokenize_texts(texts)
        with contextlib.suppress(OSError):  # an unwritable cache only costs speed next time
            store.store_corpus(keys, result)
        return result
    found = store.load(keys)
    missing = [i for i, k in enumerate(keys) if k not in found]
    fresh: dict[str, pa.Table] = {}
    if missing:
        unique_missing = list(dict.fromkeys(keys[i] for i in missing))
        first_index = {k: keys.index(k) for k in unique_missing}
        table = tokenizer.tokenize_texts([texts[first_index[k]] for k in unique_missing])
        doc = table["doc"].to_numpy()
        bounds = np.searchsorted(doc, np.arange(len(unique_missing) + 1))
        for j, key in enumerate(unique_missing):
            fresh[key] = table.slice(bounds[j], bounds[j + 1] - bounds[j]).drop(["doc"])
        with contextlib.suppress(OSError):  # an unwritable cache only costs speed next time
            store.store(fresh)
    parts = []
    for i, key in enumerate(keys):
        part = found.get(key) or fresh[key]
        parts.append(part.add_column(0, "doc", pa.array(np.full(part.num_rows, i, np.int64))))
    if not parts:
        return tokenizer.tokenize_texts([])
    result = pa.concat_tables(parts)
    with contextlib.suppress(OSError):  # as above: the tokens are right either way
        store.store_corpus(keys, result)
    return result
