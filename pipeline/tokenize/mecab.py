"""MeCab plumbing: the tagger with our output formats, its output as Arrow columns, and what
unidic-lite's context ids and costs say (parts of speech, base forms), looked up once per
process. See the package docstring for why MeCab prints numbers only."""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

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

_NUM, _COUNTER, _PREFIX, _SUFFIX, _NOUN, _OTHER = range(6)


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
