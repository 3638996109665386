"""Stage 3: sections to tokens with MeCab (fugashi's GenericTagger over unidic-lite).

Speed: each text is parsed with one MeCab call (line breaks and tabs become spaces of the same
length, so offsets hold) and an output format, defined in an rc file and selected with ``-O``
(unidic-lite's dicrc overrides ``-F``), that prints only the needed fields. The output of a
whole batch of texts is then turned into columns with pyarrow and numpy, so no Python object is
made per MeCab node; only compounds are assembled in Python.

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
import io
import itertools
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ._parallel import chunk_ranges, map_in_order
from .config import DEFAULT_STOPWORDS
from .textutil import normalize

TOKEN_COLUMNS = [
    "section_id", "position", "surface", "term", "pos", "pos_detail", "char_start", "char_end",
    "is_content", "parts",
]
# Bumped whenever the token output for the same text and options changes (cache key).
TOKENIZER_VERSION = "2"
# MeCab's input buffer must hold a whole text in bytes; longer texts are cut at sentence ends.
MAX_CHUNK_CHARS = 20_000
_RC_FORMAT = (
    "node-format-jtopics = %pS\\t%m\\t%f[0]\\t%f[1]\\t%f[2]\\t%f[10]\\n\n"
    "unk-format-jtopics = %pS\\t%m\\t%f[0]\\t%f[1]\\t%f[2]\\t\\n\n"
    "bos-format-jtopics = \n"
    "eos-format-jtopics = EOS\\n\n"
)
_FIELDS = ("space", "surface", "pos1", "pos2", "pos3", "base")
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


@lru_cache(maxsize=1)
def _rc_file() -> str:
    import unidic_lite

    folder = tempfile.mkdtemp(prefix="jtopics-mecab-")
    path = os.path.join(folder, "mecabrc")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(f"dicdir = {unidic_lite.DICDIR}\n" + _RC_FORMAT)
    return path


def dictionary_version() -> str:
    import unidic_lite

    version_file = Path(unidic_lite.DICDIR) / "version"
    return version_file.read_text(encoding="utf-8").strip() if version_file.exists() else "?"


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
        import fugashi
        import unidic_lite

        self.stopwords = load_wordlist(DEFAULT_STOPWORDS) if stopwords is None else stopwords
        buffer_bytes = MAX_CHUNK_CHARS * 4 + 1024
        self._tagger = fugashi.GenericTagger(
            f"-r {_rc_file()} -d {unidic_lite.DICDIR} -O jtopics -b {buffer_bytes}"
        )
        self.terms = tuple(sorted({t.strip() for t in terms if len(t.strip()) > 1}))
        self._compiled_terms: re.Pattern[str] | bool | None = False
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

    def _parse(self, texts: Sequence[str]) -> tuple[list[str], list[int], list[int], list[int]]:
        """Raw MeCab rows of every text, with per-row text index and chunk offsets."""
        outputs: list[str] = []
        doc_of_chunk: list[int] = []
        offset_of_chunk: list[int] = []
        rows_of_chunk: list[int] = []
        for doc, text in enumerate(texts):
            for start, chunk in _chunks(_blank_breaks(text)):
                parsed = self._tagger.parse(chunk)
                n_rows = parsed.count("\n")  # EOS has no line break after it
                outputs.append(parsed)
                doc_of_chunk.append(doc)
                offset_of_chunk.append(start)
                rows_of_chunk.append(n_rows)
        return outputs, doc_of_chunk, offset_of_chunk, rows_of_chunk

    def morphemes(self, text: str) -> list[tuple[str, str, str, str, str, int]]:
        """MeCab morphemes of ``text`` with character offsets (no joining).

        Returns
        -------
        list of (surface, pos1, pos2, pos3, orth_base, char_start)
        """
        table = self._morpheme_table([text])
        return list(zip(
            table["surface"].to_pylist(), table["pos1"].to_pylist(), table["pos2"].to_pylist(),
            table["pos3"].to_pylist(), table["base"].to_pylist(),
            table["start"].to_numpy().tolist(), strict=True,
        ))

    def _morpheme_table(self, texts: Sequence[str]) -> pa.Table:
        outputs, doc_of_chunk, offset_of_chunk, rows_of_chunk = self._parse(texts)
        data = "".join(o[: len(o) - 3] for o in outputs).encode("utf-8")
        if not data:
            empty = pa.array([], pa.string())
            return pa.table({"doc": pa.array([], pa.int64()), "surface": empty, "pos1": empty,
                             "pos2": empty, "pos3": empty, "base": empty,
                             "start": pa.array([], pa.int64()),
                             "end": pa.array([], pa.int64())})
        # Arrow's CSV reader splits MeCab's tab-separated rows in C++ (no quoting: a surface
        # may be a lone quote mark).
        fields = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(column_names=list(_FIELDS), block_size=1 << 26),
            parse_options=pacsv.ParseOptions(delimiter="\t", quote_char=False,
                                              escape_char=False, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                column_types={**dict.fromkeys(_FIELDS, pa.string()),
                              **dict.fromkeys(("pos1", "pos2", "pos3"),
                                              pa.dictionary(pa.int32(), pa.string()))},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False),
        )
        space, surface, pos1, pos2, pos3, base = (fields[c].combine_chunks() for c in _FIELDS)
        rows = np.asarray(rows_of_chunk)
        doc = np.repeat(np.asarray(doc_of_chunk, dtype=np.int64), rows)
        chunk_offset = np.repeat(np.asarray(offset_of_chunk, dtype=np.int64), rows)
        advance = (pc.utf8_length(space).to_numpy().astype(np.int64)
                   + pc.utf8_length(surface).to_numpy().astype(np.int64))
        cumulative = np.cumsum(advance)
        chunk_first = np.repeat(np.cumsum(rows) - rows, rows)
        before_chunk = np.where(chunk_first > 0, cumulative[chunk_first - 1], 0)
        end = chunk_offset + cumulative - before_chunk
        start = end - pc.utf8_length(surface).to_numpy().astype(np.int64)
        table = pa.table({"doc": doc, "surface": surface, "pos1": pos1, "pos2": pos2,
                          "pos3": pos3, "base": base, "start": start, "end": end})
        return table.filter(pc.not_equal(table["pos1"], "空白"))

    # -- tokens ---------------------------------------------------------------------------------

    @property
    def forced_terms(self) -> tuple[str, ...]:
        """The listed terms that are forced into one token."""
        pattern = self._terms_re
        return () if pattern is None else tuple(sorted(
            {unicodedata.normalize("NFKC", t) for t in pattern.pattern.split("|")}))

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
        m = self._morpheme_table(texts)
        n = m.num_rows
        doc = m["doc"].to_numpy()
        start = m["start"].to_numpy()
        end = m["end"].to_numpy()
        pos1, pos2, pos3 = (m[c].combine_chunks() for c in ("pos1", "pos2", "pos3"))
        kind = _kinds(pos1, pos2, pos3, m["surface"].combine_chunks())
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
            before = m["surface"].combine_chunks().take(pa.array(candidates - 1))
            prev_latin[candidates] = pc.match_substring_regex(
                before, "^[A-Za-zＡ-Ｚａ-ｚ]+$").to_numpy(zero_copy_only=False)
        joins = adjacent & (
            ((kind == _NUM) & (prev == _NUM))
            | ((kind == _NUM) & prev_latin & (prev == _NOUN))  # G7, F35, P3
            | ((kind == _COUNTER) & (prev == _NUM))
            | (noun_like & prev_noun_run & (prev != _NUM))
            | ((kind == _NUM) & False)
        )
        # A prefix starts a run only when a noun follows; a lone suffix stays alone.
        joins &= ~((kind == _SUFFIX) & ~prev_noun_run)
        prev_forced = np.r_[-1, forced[:-1]] if n else forced
        either = (forced >= 0) | (prev_forced >= 0)
        joins = np.where(either, adjacent & (forced == prev_forced) & (forced >= 0), joins)

        group = np.cumsum(~joins) - 1 if n else np.zeros(0, np.int64)
        n_groups = int(group[-1]) + 1 if n else 0
        first = np.flatnonzero(~joins) if n else np.zeros(0, np.int64)
        last = np.r_[first[1:] - 1, n - 1] if n else first
        size = last - first + 1

        surface = m["surface"].combine_chunks()
        base = m["base"].combine_chunks()
        use_base = pc.and_(pc.is_in(pos1, pa.array(_BASE_FORM_POS)),
                           pc.greater(pc.utf8_length(base), 0))
        single_source = pc.if_else(use_base, base, surface)
        single_content = pc.and_(
            pc.is_in(pos1, pa.array(_CONTENT_POS)),
            pc.invert(pc.is_in(pos2, pa.array(_NOT_CONTENT_DETAIL))),
        ).to_numpy(zero_copy_only=False)

        first_t = pa.array(first)
        compound = size > 1
        compound_idx = np.flatnonzero(compound)
        # Strings of compounds are joined only for compounds (a minority of tokens); every
        # other group takes its morpheme's strings as they are.
        members = _ranges(first[compound_idx], size[compound_idx])
        lists = pa.ListArray.from_arrays(
            pa.array(np.r_[0, np.cumsum(size[compound_idx])].astype(np.int32)),
            surface.take(pa.array(members)))
        c_surface = pc.binary_join(lists, "")
        c_parts = pc.binary_join(lists, "|")
        # position of each group in [single strings..., compound strings...]
        pick = np.arange(n_groups)
        pick[compound_idx] = n_groups + np.arange(len(compound_idx))
        pick_t = pa.array(pick)
        single_surface = surface.take(first_t)
        g_surface = pa.concat_arrays([single_surface, c_surface]).take(pick_t)
        g_parts = pa.concat_arrays([single_surface, c_parts]).take(pick_t)
        term_arr = pc.utf8_normalize(
            pa.concat_arrays([single_source.take(first_t), c_surface]).take(pick_t), "NFKC")
        compound_arr = pa.array(compound)
        g_pos = pc.if_else(compound_arr, pa.scalar("名詞"), pos1.take(first_t))
        group_kind = kind[first]
        forced_group = forced[first] >= 0
        detail = np.where(forced_group, "用語", np.where(group_kind == _NUM, "数詞", "複合"))
        g_detail = pc.if_else(compound_arr, pa.array(detail, pa.string()), pos2.take(first_t))
        g_content = np.where(compound, group_kind != _NUM, single_content[first])
        g_content |= compound & forced_group
        stop = pc.is_in(term_arr, self._stopword_set).to_numpy(zero_copy_only=False)
        kana = np.zeros(n_groups, dtype=bool)
        single_char = np.flatnonzero(pc.utf8_length(term_arr).to_numpy(zero_copy_only=False) == 1)
        if len(single_char):
            kana[single_char] = pc.match_substring_regex(
                term_arr.take(pa.array(single_char)), _SINGLE_KANA).to_numpy(
                zero_copy_only=False)
        content = g_content & ~stop & ~kana & (pc.utf8_length(term_arr).to_numpy(
            zero_copy_only=False) > 0)

        g_doc = doc[first]
        doc_first = np.r_[0, np.flatnonzero(g_doc[1:] != g_doc[:-1]) + 1] if n_groups else first
        position = np.arange(n_groups) - np.repeat(doc_first, np.diff(np.r_[doc_first,
                                                                              n_groups]))
        return pa.table({
            "doc": g_doc, "position": position,
            "surface": g_surface, "term": term_arr, "pos": g_pos, "pos_detail": g_detail,
            "char_start": start[first], "char_end": end[last],
            "is_content": content, "parts": g_parts,
        })

    @property
    def _terms_re(self) -> re.Pattern[str] | None:
        """Listed terms that MeCab splits (a one-morpheme term is one token already)."""
        if self._compiled_terms is False:
            split = [t for t in self.terms if self._tagger.parse(t).count("\n") > 1]
            variants = sorted({v for t in split for v in (t, unicodedata.normalize("NFKC", t))},
                              key=lambda t: (-len(t), t))
            self._compiled_terms = (
                re.compile("|".join(map(re.escape, variants))) if variants else None)
        return self._compiled_terms  # type: ignore[return-value]

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


def _kinds(pos1: pa.Array, pos2: pa.Array, pos3: pa.Array, surface: pa.Array) -> np.ndarray:
    def eq(arr, value):
        return pc.equal(arr, value).to_numpy(zero_copy_only=False)

    noun, suffix, prefix = eq(pos1, "名詞"), eq(pos1, "接尾辞"), eq(pos1, "接頭辞")
    number = noun & eq(pos2, "数詞")
    counter_noun = noun & eq(pos3, "助数詞可能")
    common = noun & (eq(pos2, "普通名詞") | eq(pos2, "固有名詞")) & ~eq(pos3, "副詞可能")
    counter_suffix = suffix & eq(pos3, "助数詞")
    noun_suffix = suffix & eq(pos2, "名詞的")
    percent = eq(pos1, "補助記号") & pc.is_in(surface, pa.array(["%", "％"])).to_numpy(
        zero_copy_only=False)
    kind = np.full(len(pos1), _OTHER, dtype=np.int8)
    kind[common] = _NOUN
    kind[noun_suffix] = _SUFFIX
    kind[prefix] = _PREFIX
    kind[counter_noun & ~number] = _COUNTER
    kind[counter_suffix | percent] = _COUNTER
    kind[number] = _NUM
    return kind


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


def tokenize(sections: pd.DataFrame, tokenizer: Tokenizer | None = None, workers: int = 1,
             cache: Path | None = None, shards: bool = True) -> pd.DataFrame:
    """Tokenise every section's analysis text (boilerplate lines masked).

    Parameters
    ----------
    sections : DataFrame
        The ``sections`` table (needs section_id, char_start, analysis_text).
    tokenizer : Tokenizer or None
        None builds one with the shipped stopwords.
    workers : int
        Processes to tokenise in; the output is the same for any number.
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
    table = tokenize_cached(texts, tokenizer, workers, cache, shards)
    doc = table["doc"].to_numpy()
    section_ids = sections["section_id"].to_numpy()
    offsets = sections["char_start"].to_numpy().astype(np.int64)
    frame = table.drop(["doc"]).to_pandas()
    frame.insert(0, "section_id", section_ids[doc] if len(doc) else [])
    frame["char_start"] = frame["char_start"].to_numpy() + offsets[doc]
    frame["char_end"] = frame["char_end"].to_numpy() + offsets[doc]
    frame = frame.astype({"position": "int64", "char_start": "int64", "char_end": "int64",
                          "is_content": "bool"})
    return frame[TOKEN_COLUMNS]


# -- cache and worker processes -------------------------------------------------------------

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


_WORKER: Tokenizer | None = None


def _init_worker(stopwords: frozenset[str], terms: tuple[str, ...]) -> None:
    global _WORKER
    _WORKER = Tokenizer(stopwords, terms)


def _tokenize_batch(texts: list[str]) -> pa.Table:
    assert _WORKER is not None
    return _WORKER.tokenize_texts(texts)


def tokenize_many(texts: Sequence[str], tokenizer: Tokenizer, workers: int = 1) -> pa.Table:
    """:meth:`Tokenizer.tokenize_texts` over a process pool; identical output for any
    ``workers``."""
    if workers <= 1 or len(texts) < 2:
        return tokenizer.tokenize_texts(texts)
    ranges = chunk_ranges(len(texts), workers * 4, weights=[len(t) for t in texts])
    results = map_in_order(_tokenize_batch, [list(texts[a:b]) for a, b in ranges], workers,
                           initializer=_init_worker,
                           initargs=(tokenizer.stopwords, tokenizer.terms))
    tables = []
    for (a, _b), table in zip(ranges, results, strict=True):
        doc = pc.add(table["doc"], pa.scalar(a, pa.int64()))
        tables.append(table.set_column(0, "doc", doc))
    return pa.concat_tables(tables)


def tokenize_cached(texts: Sequence[str], tokenizer: Tokenizer, workers: int = 1,
                    cache: Path | None = None, shards: bool = True) -> pa.Table:
    """Tokens of every text, reusing and filling the on-disk cache when ``cache`` is set
    (with ``shards=False`` only as a whole sequence: many chunks written concurrently would
    otherwise rewrite the same shards over and over)."""
    if cache is None:
        return tokenize_many(texts, tokenizer, workers)
    store = TokenCache(cache, tokenizer)
    keys = [TokenCache.key(t) for t in texts]
    corpus = store.load_corpus(keys)
    if corpus is not None:
        return corpus
    if not shards:
        result = tokenize_many(texts, tokenizer, workers)
        with contextlib.suppress(OSError):  # an unwritable cache only costs speed next time
            store.store_corpus(keys, result)
        return result
    found = store.load(keys)
    missing = [i for i, k in enumerate(keys) if k not in found]
    fresh: dict[str, pa.Table] = {}
    if missing:
        unique_missing = list(dict.fromkeys(keys[i] for i in missing))
        first_index = {k: keys.index(k) for k in unique_missing}
        table = tokenize_many([texts[first_index[k]] for k in unique_missing], tokenizer,
                              workers)
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
