"""Small text helpers shared by the stages: normalisation, dates, line splitting."""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections.abc import Iterable, Sequence

from .tables import PERIODS

_PUBLISHED_RE = re.compile(
    r"(?:公開日|更新日|投稿日|掲載日|配信日|published|date)\s*[:：]?\s*"
    r"(\d{4})\s*[/\-.年]\s*(\d{1,2})\s*[/\-.月]\s*(\d{1,2})",
    re.IGNORECASE,
)
_ISO_DATETIME_RE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2})?\S*)?\s*$")
# A bracket, or a run of sentence ends: one character class first (what the regex engine
# scans for), the rest of a run only after an end (the lookbehind).
_SENTENCE_EVENT_RE = re.compile(
    r"[「『（(【［\[〈《“」』）)】］\]〉》”。!?！？](?:(?<=[。!?！？])[。!?！？]*)?")
_OPENERS = "「『（(【［[〈《“"
_CLOSERS = "」』）)】］]〉》”"


def normalize(text: str) -> str:
    """NFKC form used for analysis (full-width Latin and digits to ASCII, half-width kana to full).

    Offsets never refer to this form; it is only matched against and counted.
    """
    return unicodedata.normalize("NFKC", text)


_ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad")
_LONG_MARKS = frozenset("ー〜~～－")
_HALF_WIDTH_VOICING = frozenset("\uff9e\uff9f")
# Characters whose normalisation depends on their neighbours or removes them.
# Common characters NFKC expands (… -> ..., ㈱ -> (株), ⑴ -> (1), ½ -> 1⁄2) are handled one
# by one too, so the runs between them keep their length and normalise whole.
# A long mark between two katakana (コンピューター's first) changes nothing: it stays in its run.
_SPECIAL_RE = re.compile(
    "(?:[\u200b\u200c\u200d\u2060\ufeff\u00ad〜~～－\uff70\uff9e\uff9f"
    "\u2025\u2026\u2033\u2034\u00bc-\u00be\u2150-\u218f\u2474-\u24b5\u3200-\u33ff"
    "\ufb00-\ufb06]|(?<![\u30a1-\u30fa])ー|ー(?![\u30a1-\u30fa]))+"
)
# Every white space but the line break becomes a plain space (sentences still end at "\n").
_SPACES = {ord(c): " " for c in "\t\r\x0b\x0c\u3000\u00a0\u2000\u2001\u2002\u2003\u2004"
           "\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\x00"}


def normalize_with_offsets(text: str, form: str | None = None) -> tuple[str, list[int]]:
    """Analysis form of ``text`` and where each original character starts in it.

    NFKC per character (full-width Latin and digits to ASCII, half-width kana to full width,
    unusual spaces to a plain space; line breaks kept), zero-width characters dropped, runs of
    a long-vowel or wave mark collapsed to one (すごーーい -> すごーい), a katakana word's
    final long-vowel mark dropped (セキュリティー -> セキュリティ, the JIS-style spelling), ASCII
    letters in lower case. ``starts[i]`` is the offset in the normalised text of original
    character ``i``; ``starts[len(text)]`` is its length. The original text is never changed.

    Runs of ordinary characters are normalised whole (linear time, C speed); only the
    characters the rules above are about are handled one by one. A text of characters that
    normalise one by one (see ``_batchable``) is normalised whole, its offsets counted from
    the few characters whose length changes. ``form``, the text's :func:`analysis_form` when
    the caller has it already (from :func:`analysis_forms`), spares normalising it again.
    """
    ready = _batchable(text)
    if ready is None:
        starts: list[int] = []
        return _normalize(text, starts), starts
    lengths = [1] * len(text)
    for match in _LENGTH_CHANGES_RE.finditer(text):
        lengths[match.start()] = _CHANGED_LENGTH[match.group()]
    if form is None:
        form = _fold(unicodedata.normalize("NFKC", ready))
    return form, [0, *itertools.accumulate(lengths)]


def analysis_form(text: str) -> str:
    """The analysis form of :func:`normalize_with_offsets`, without the offsets (faster)."""
    ready = _batchable(text)
    return _normalize(text, None) if ready is None else _fold(unicodedata.normalize("NFKC", ready))


# What the character-by-character pass does to the long-vowel marks of a text without
# half-width ones: a run of several leaves one (the first stays, each later one either repeats
# it or ends a word), and a single mark after a katakana and before none is dropped (the
# JIS-style spelling, セキュリティー -> セキュリティ). The replacement keeps group 1: one mark of
# a run. (Each pattern here opens with its literal, which the regex engine scans for fast.)
_LONG_MARKS_RE = re.compile("ー(?:(ー)ー*|(?<=[\u30a1-\u30fa]ー)(?![\u30a1-\u30fa]))")
# Texts made only of these characters normalise as one run (``_batchable``): each maps under
# NFKC to one character, or (… ‥) to dots, and none combines with the character before it
# (no combining marks, jamo, half-width kana or voicing marks). A test checks every one of
# them against the Unicode data; their NFKC mappings are fixed by Unicode's stability policy,
# so Arrow's NFKC (utf8proc) gives Python's.
_BATCHABLE_RE = re.compile(
    "[\t\n\r\x20-\x7d\u00a5\u00d7\u00f7\u0391-\u03a1\u03a3-\u03a9\u03b1-\u03c9"
    "\u2010\u2013\u2014\u2018\u2019\u201c\u201d\u2025\u2026\u203b\u2212"
    "\u2190-\u21ff\u25a0-\u25ff\u2600-\u26ff\u3000-\u3029"
    "\u3041-\u3096\u30a1-\u30fc\u4e00-\u9fff\uff01-\uff0c\uff0e-\uff5d]*"
)
_WAVE_RUN_RE = re.compile("〜{2,}")
# In a batchable text, the characters whose analysis form is not one character long: dropped
# word-final marks, a long mark or wave dash after another, the ellipses (NFKC: ... and ..).
_LENGTH_CHANGES_RE = re.compile(
    "ー(?:(?<=[\u30a1-\u30fa]ー)(?![\u30a1-\u30faー])|(?<=ーー))|〜(?<=〜〜)|[…‥]")
_CHANGED_LENGTH = {"ー": 0, "〜": 0, "…": 3, "‥": 2}


def _batchable(text: str) -> str | None:
    """``text`` ready for one NFKC and fold over the whole of it, or None when its analysis
    form needs the character-by-character pass: long-vowel marks and runs of 〜 already
    treated (what that pass would do to them), the rest of the text left as it is."""
    if _BATCHABLE_RE.fullmatch(text) is None:
        return None
    plain = _LONG_MARKS_RE.sub(r"\1", text) if "ー" in text else text
    return _WAVE_RUN_RE.sub("〜", plain) if "〜〜" in plain else plain


def analysis_forms(texts: Sequence[str]) -> list[str]:
    """:func:`analysis_form` of every text, the same strings; most texts are normalised
    together by Arrow (its NFKC is several times faster than :mod:`unicodedata`'s)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    forms: list[str | None] = [None] * len(texts)
    batch: list[int] = []
    plain: list[str] = []
    for index, text in enumerate(texts):
        ready = _batchable(text)
        if ready is None:
            forms[index] = _normalize(text, None)
        else:
            batch.append(index)
            plain.append(ready)
    if plain:
        folded = pc.replace_substring_regex(
            pc.ascii_lower(pc.utf8_normalize(pa.array(plain, pa.large_string()), "NFKC")),
            "[\t\r]", " ")
        for index, form in zip(batch, folded.to_pylist(), strict=True):
            forms[index] = form
    return forms  # type: ignore[return-value]


def _normalize(text: str, starts: list[int] | None) -> str:
    pieces: list[str] = []
    pos = 0
    cursor = 0
    for match in _SPECIAL_RE.finditer(text):
        if match.start() > cursor:
            pos = _plain_run(text[cursor : match.start()], pieces, starts, pos)
        pos = _special_chars(text, match.start(), match.end(), pieces, starts, pos)
        cursor = match.end()
    if cursor < len(text):
        pos = _plain_run(text[cursor:], pieces, starts, pos)
    if starts is not None:
        starts.append(pos)
    return "".join(pieces)


def _plain_run(run: str, pieces: list[str], starts: list[int] | None, pos: int) -> int:
    norm = unicodedata.normalize("NFKC", run)
    if len(norm) != len(run):  # an expansion such as ㈱ -> (株): character by character
        for ch in run:
            one = _fold(unicodedata.normalize("NFKC", ch))
            if starts is not None:
                starts.append(pos)
            pieces.append(one)
            pos += len(one)
        return pos
    if starts is not None:
        starts.extend(range(pos, pos + len(run)))
    pieces.append(_fold(norm))
    return pos + len(run)


def _fold(norm: str) -> str:
    return _FOLD_RE.sub(_fold_match, norm)


def _fold_match(match: re.Match[str]) -> str:
    return match.group().translate(_FOLD)


def _special_chars(text: str, lo: int, hi: int, pieces: list[str], starts: list[int] | None,
                   pos: int) -> int:
    """Zero-width characters, long and wave marks, half-width voicing marks."""
    for index in range(lo, hi):
        ch = text[index]
        if starts is not None:
            starts.append(pos)
        previous_char = text[index - 1] if index > 0 else ""
        previous = pieces[-1][-1:] if pieces else ""
        if ch in _ZERO_WIDTH:
            continue
        if ch in "ーｰ" and _is_katakana(previous_char) and not _is_katakana(
            text[index + 1] if index + 1 < len(text) else ""
        ):
            continue  # word-final long mark: セキュリティー and セキュリティ are one word
        if ch in _HALF_WIDTH_VOICING and pieces and previous_char:
            # ｶﾞ is one kana: compose it with the character before (same normalised length).
            composed = unicodedata.normalize("NFKC", previous_char + ch)
            if len(composed) == 1:
                pieces[-1] = pieces[-1][:-1] + composed
                continue
        norm = unicodedata.normalize("NFKC", ch)
        if len(norm) == 1 and norm in _LONG_MARKS and previous == norm:
            continue
        norm = _fold(norm)
        pieces.append(norm)
        pos += len(norm)
    return pos


def _is_katakana(ch: str) -> bool:
    return bool(ch) and ("\u30a1" <= ch <= "\u30fa" or "\uff66" <= ch <= "\uff9d" or ch in "ーｰ")


# ASCII letters in lower case and unusual spaces as a plain space, in one pass.
_FOLD = {**str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz"), **_SPACES}
# Most text holds few such characters: a regex finds them faster than translate walks it all.
_FOLD_RE = re.compile("[A-Z" + "".join(re.escape(chr(c)) for c in _SPACES) + "]+")


def trie_regex(words: Iterable[str]) -> re.Pattern[str] | None:
    """A regex matching exactly ``words``, built as a trie (common prefixes shared), or None
    for no words. At each position it matches the longest of the words that starts there (the
    branches of a node differ in their first character, and an optional tail is greedy), as an
    alternation of the words longest first would, without trying the words one by one."""
    trie: dict[str, dict] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}
    if not trie:
        return None

    def pattern(node: dict[str, dict]) -> str:
        branches = [re.escape(ch) + pattern(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        joined = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{joined})?" if "" in node else joined

    return re.compile(pattern(trie))


def normalize_heading(line: str) -> str:
    """Heading text without its Markdown marker (``## 概要`` -> ``概要``)."""
    return re.sub(r"^#{1,6}\s+", "", line.strip())


def published_date(line: str) -> str:
    """ISO date from a ``公開日:2025/02/08``-style line, or ``""``."""
    match = _PUBLISHED_RE.search(line)
    if not match:
        return ""
    return _iso(*match.groups())


_ERAS = {"令和": 2018, "平成": 1988, "昭和": 1925}
_LINE_DATE_RE = re.compile(
    r"(?:(?P<era>令和|平成|昭和)\s*(?P<era_year>元|\d{1,2})\s*年|(?P<year>(?:19|20)\d{2})\s*[年/.\-])"
    r"\s*(?P<month>\d{1,2})\s*[月/.\-]\s*(?P<day>\d{1,2})(?!\d)")
MAX_DATE_LINE_CHARS = 40


def line_date(line: str) -> str:
    """ISO date of a short date line (``2024年6月11日 22時05分``, ``令和7年2月8日``,
    ``2022.5.4``, ``掲載日：２０２５/０２/０８``, full-width digits and era years included), or
    ``""`` for any other line (a sentence that mentions a date is not a date line)."""
    s = unicodedata.normalize("NFKC", line).strip()
    if not s or len(s) > MAX_DATE_LINE_CHARS or "。" in s:
        return ""
    match = _LINE_DATE_RE.search(s)
    if match is None or match.start() > 12:
        return ""
    if match.group("era"):
        era_year = match.group("era_year")
        year = _ERAS[match.group("era")] + (1 if era_year == "元" else int(era_year))
    else:
        year = int(match.group("year"))
    return _iso(str(year), match.group("month"), match.group("day"))


def iso_datetime_date(line: str) -> str:
    """ISO date from a line that is only an ISO date or datetime, or ``""``."""
    match = _ISO_DATETIME_RE.match(line)
    return _iso(*match.groups()) if match else ""


def _iso(year: str, month: str, day: str) -> str:
    y, m, d = int(year), int(month), int(day)
    if not (1 <= m <= 12 and 1 <= d <= 31):
        return ""
    return f"{y:04d}-{m:02d}-{d:02d}"


def period_label(date: str, period: str = "month") -> str:
    """The ``period`` (one of :data:`PERIODS`) an ISO date ``YYYY-MM-DD`` falls in:
    ``2025-07-15``, ``2025-W29`` (ISO week), ``2025-07``, ``2025-Q3`` or ``2025``; ``""`` for
    an empty or malformed date."""
    match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", date or "")
    if match is None:
        return ""
    year, month, day = (int(g) for g in match.groups())
    if period == "day":
        return date
    if period == "month":
        return date[:7]
    if period == "quarter":
        return f"{year}-Q{(month - 1) // 3 + 1}"
    if period == "year":
        return str(year)
    if period == "week":
        import datetime

        try:
            iso = datetime.date(year, month, day).isocalendar()
        except ValueError:
            return ""
        return f"{iso[0]}-W{iso[1]:02d}"
    raise ValueError(f"period must be one of {', '.join(PERIODS)}, not {period!r}")


def period_labels(dates, period: str = "month"):
    """A Series of ISO dates as periods (:func:`period_label` once per distinct date)."""
    dates = dates.astype(str)
    return dates.map({date: period_label(date, period) for date in dates.unique()})


def section_periods(sections, period: str = "month"):
    """``sections.published`` as periods (a Series indexed by section_id; ``""`` undated)."""
    return period_labels(sections.set_index("section_id")["published"], period)


def split_sentences(line: str) -> list[tuple[int, int]]:
    """Sentence spans of one line: cut after 。!? runs outside brackets, each without white
    space at its ends. 「…。」と述べた stays one sentence. The one sentence splitter: the
    ``sentences`` table and theme evidence both use it."""
    return list(_split_sentences(line))


@functools.lru_cache(maxsize=1024)
def _split_sentences(line: str) -> tuple[tuple[int, int], ...]:
    spans = []
    depth = 0
    start = 0
    for match in _SENTENCE_EVENT_RE.finditer(line):
        token = match.group(0)
        if token in _OPENERS:
            depth += 1
        elif token in _CLOSERS:
            depth = max(0, depth - 1)
        elif depth == 0:
            spans.append((start, match.end()))
            start = match.end()
    if start < len(line):
        spans.append((start, len(line)))
    return tuple(trimmed for a, b in spans if (trimmed := trim_span(line, a, b))[0] < trimmed[1])


def trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    """``(start, end)`` without white space at either end."""
    piece = text[start:end]
    left = piece.lstrip()
    start += len(piece) - len(left)
    return start, start + len(left.rstrip())


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """:func:`split_sentences` of every line of ``text``, as offsets into ``text``."""
    spans = []
    start = 0
    for line in text.split("\n"):
        spans.extend((start + a, start + b) for a, b in _split_sentences(line))
        start += len(line) + 1
    return spans
