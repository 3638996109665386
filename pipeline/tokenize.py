"""Stage 3: sections to tokens with MeCab (fugashi's GenericTagger over unidic-lite).

Each line is parsed with one MeCab call whose output format (defined in an rc file and selected
with ``-O``, since unidic-lite's dicrc overrides ``-F``) prints only the fields we need, so no
Python object is made per node. Morphemes are then joined into the terms analysts read:

* noun sequences: prefix + noun, noun + suffix and runs of nouns become one compound
  (防衛 + 費 -> 防衛費, 日米 + 地位 + 協定 -> 日米地位協定, 対 + 米 + 投資 -> 対米投資);
* numbers keep their units and counters (5500 + 億 + ドル -> 5500億ドル, 15 + % -> 15%);
* verbs and adjectives take their written dictionary form (orthBase), never a katakana lemma;
* every term is NFKC-normalised (ＧＤＰ -> GDP).

``tokens`` columns, one row per token in text order:

============  =====  ==============================================================
section_id    str
position      int    0-based index of the token within its section
surface       str    the text as written
term          str    normalised form used for modelling
pos           str    UniDic pos1 of the token (名詞 for compounds and numbers)
pos_detail    str    UniDic pos2, ``複合`` for a compound, ``数詞`` for a number term
char_start    int    offset into the article's decoded text
char_end      int
is_content    bool   content word (noun, verb, adjective, compound) and not a stopword
parts         str    the morphemes of the token joined by ``|``
============  =====  ==============================================================
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import pandas as pd

from .config import DEFAULT_STOPWORDS
from .textutil import normalize

TOKEN_COLUMNS = [
    "section_id", "position", "surface", "term", "pos", "pos_detail", "char_start", "char_end",
    "is_content", "parts",
]
# MeCab's input buffer must hold a whole line in bytes; longer lines are cut at sentence ends.
MAX_CHUNK_CHARS = 20_000
_RC_FORMAT = (
    "node-format-jtopics = %m\\t%f[0]\\t%f[1]\\t%f[2]\\t%f[10]\\n\n"
    "unk-format-jtopics = %m\\t%f[0]\\t%f[1]\\t%f[2]\\t\\n\n"
    "bos-format-jtopics = \n"
    "eos-format-jtopics = EOS\\n\n"
)
_CONTENT_POS = frozenset({"名詞", "動詞", "形容詞", "形状詞"})
_KANA_RE = re.compile(r"^[\u3040-\u30ff\u30fc]$")
_SYMBOL_RE = re.compile(r"^[\W_]+$")
_LINE_BREAK_RE = re.compile(r"\r\n|\r|\n")

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
    """

    def __init__(self, stopwords: frozenset[str] | None = None) -> None:
        import fugashi
        import unidic_lite

        self.stopwords = load_wordlist(DEFAULT_STOPWORDS) if stopwords is None else stopwords
        buffer_bytes = MAX_CHUNK_CHARS * 4 + 1024
        self._tagger = fugashi.GenericTagger(
            f"-r {_rc_file()} -d {unidic_lite.DICDIR} -O jtopics -b {buffer_bytes}"
        )

    def morphemes(self, text: str) -> list[tuple[str, str, str, str, str, int]]:
        """MeCab morphemes of ``text`` (no line breaks) with character offsets.

        Returns
        -------
        list of (surface, pos1, pos2, pos3, orth_base, char_start)
        """
        out = []
        cursor = 0
        for chunk_start, chunk in _chunks(text):
            parsed = self._tagger.parse(chunk)
            cursor = 0
            for row in parsed.split("\n"):
                if not row or row == "EOS":
                    continue
                fields = row.split("\t")
                surface = fields[0]
                found = chunk.find(surface, cursor)
                if found < 0:  # MeCab never rewrites surfaces; keep going defensively
                    continue
                cursor = found + len(surface)
                pos1 = fields[1]
                if pos1 == "空白":
                    continue
                out.append((surface, pos1, fields[2], fields[3], fields[4], chunk_start + found))
        return out

    def tokens(self, text: str) -> list[tuple[str, str, str, str, int, int, bool, str]]:
        """Tokens of ``text`` with offsets relative to it.

        Returns
        -------
        list of (surface, term, pos, pos_detail, char_start, char_end, is_content, parts)
        """
        result = []
        for match_start, line in _lines(text):
            result.extend(
                (surface, term, pos, detail, start + match_start, end + match_start, content, parts)
                for surface, term, pos, detail, start, end, content, parts
                in self._join(self.morphemes(line), line)
            )
        return result

    def _join(self, morphemes, line):
        """Join morphemes into compounds and number terms."""
        out = []
        run: list[tuple] = []
        run_kind = _OTHER

        def flush() -> None:
            nonlocal run, run_kind
            if run:
                out.append(self._compound(run, run_kind, line))
            run, run_kind = [], _OTHER

        prev_end = -1
        for m in morphemes:
            kind = _kind(m)
            if run and m[5] != prev_end:
                flush()
            prev_end = m[5] + len(m[0])
            if kind == _NUM:
                if run_kind != _NUM:
                    flush()
                    run_kind = _NUM
                run.append(m)
            elif kind == _COUNTER and run_kind == _NUM:
                run.append(m)
                flush()
            elif kind in (_NOUN, _SUFFIX, _COUNTER):
                if run_kind == _NUM:
                    flush()
                if run_kind in (_NOUN, _PREFIX) or kind != _SUFFIX:
                    run.append(m)
                    run_kind = _NOUN
                else:
                    flush()
                    out.append(self._single(m))
            elif kind == _PREFIX:
                flush()
                run.append(m)
                run_kind = _PREFIX
            else:
                flush()
                out.append(self._single(m))
        flush()
        return out

    def _single(self, m):
        surface, pos1, pos2, _pos3, base, start = m
        if pos1 in ("動詞", "形容詞", "助動詞") and base:
            term = normalize(base)
        else:
            term = normalize(surface)
        content = (
            pos1 in _CONTENT_POS
            and pos2 not in ("非自立可能", "副詞可能", "数詞")
            and self._is_content_term(term)
        )
        return (surface, term, pos1, pos2, start, start + len(surface), content, surface)

    def _compound(self, run, run_kind, line):
        if len(run) == 1 and run_kind != _NUM:
            return self._single(run[0])
        start = run[0][5]
        end = run[-1][5] + len(run[-1][0])
        surface = line[start:end]
        term = normalize(surface)
        detail = "数詞" if run_kind == _NUM else "複合"
        if run_kind == _NUM:
            content = False
        else:
            content = self._is_content_term(term) and not all(
                m[2] == "副詞可能" or m[1] == "接頭辞" for m in run
            )
        parts = "|".join(m[0] for m in run)
        return (surface, term, "名詞", detail, start, end, content, parts)

    def _is_content_term(self, term: str) -> bool:
        return bool(
            term
            and term not in self.stopwords
            and not _KANA_RE.match(term)
            and not _SYMBOL_RE.match(term)
        )


def _kind(m) -> int:
    _surface, pos1, pos2, pos3, _base, _start = m
    if pos1 == "名詞":
        if pos2 == "数詞":
            return _NUM
        if pos3 == "助数詞可能":
            return _COUNTER
        if pos2 in ("普通名詞", "固有名詞") and pos3 != "副詞可能":
            return _NOUN
        return _OTHER
    if pos1 == "接尾辞":
        return _COUNTER if pos3 == "助数詞" else (_SUFFIX if pos2 == "名詞的" else _OTHER)
    if pos1 == "接頭辞":
        return _PREFIX
    if pos1 == "補助記号" and m[0] in ("%", "%"):
        return _COUNTER
    return _OTHER


def _lines(text: str) -> Iterable[tuple[int, str]]:
    start = 0
    for match in _LINE_BREAK_RE.finditer(text):
        if match.start() > start:
            yield start, text[start : match.start()]
        start = match.end()
    if start < len(text):
        yield start, text[start:]


def _chunks(line: str) -> Iterable[tuple[int, str]]:
    """Pieces of at most MAX_CHUNK_CHARS, cut after 。 or a space where possible."""
    start = 0
    while len(line) - start > MAX_CHUNK_CHARS:
        window = line[start : start + MAX_CHUNK_CHARS]
        cut = max(window.rfind("。"), window.rfind(" "), window.rfind("\u3000"))
        stop = start + (cut + 1 if cut > MAX_CHUNK_CHARS // 2 else MAX_CHUNK_CHARS)
        yield start, line[start:stop]
        start = stop
    yield start, line[start:]


def tokenize(sections: pd.DataFrame, tokenizer: Tokenizer | None = None) -> pd.DataFrame:
    """Tokenise every section's analysis text (boilerplate lines masked).

    Parameters
    ----------
    sections : DataFrame
        The ``sections`` table (needs section_id, char_start, analysis_text).
    tokenizer : Tokenizer or None
        None builds one with the shipped stopwords.

    Returns
    -------
    tokens : DataFrame of shape (n_tokens, 10)
    """
    tokenizer = tokenizer or Tokenizer()
    columns: dict[str, list] = {name: [] for name in TOKEN_COLUMNS}
    for section in sections.itertuples(index=False):
        toks = tokenizer.tokens(section.analysis_text)
        offset = section.char_start
        for position, (surface, term, pos, detail, start, end, content, parts) in enumerate(toks):
            columns["section_id"].append(section.section_id)
            columns["position"].append(position)
            columns["surface"].append(surface)
            columns["term"].append(term)
            columns["pos"].append(pos)
            columns["pos_detail"].append(detail)
            columns["char_start"].append(start + offset)
            columns["char_end"].append(end + offset)
            columns["is_content"].append(content)
            columns["parts"].append(parts)
    tokens = pd.DataFrame(columns, columns=TOKEN_COLUMNS)
    return tokens.astype({
        "position": "int64", "char_start": "int64", "char_end": "int64", "is_content": "bool",
    })
