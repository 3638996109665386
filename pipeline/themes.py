"""Stage 6: theme scores per section from the theme taxonomy.

Matching works on the NFKC-normalised analysis text (boilerplate masked; ASCII letters folded
to lower case). A taxonomy term matches where it occurs *and* starts and ends on a morpheme
boundary from the tokenizer, so 米軍 does not fire inside an unrelated longer word that the
tokenizer keeps whole. Within one theme, overlapping matches keep the longest (日米地位協定
counts once, not also as 地位協定).

Vetoes: an ``exclude`` term vetoes, in its sentence, every match of the theme's terms weighted
below 1.0. Core names (weight 1.0) are never vetoed.

Score: ``raw = sum over matched terms of weight * (1 + ln(count))`` plus pattern weights, and
``score = 1 - exp(-raw)`` in [0, 1): repetition saturates, and one core term (weight 1.0) alone
gives 0.63. A section is tagged when ``score >= min_score`` (default 0.5, i.e. raw >= 0.69: one
term of weight >= 0.7, or a weaker one repeated, or two weaker ones together).

Tables
------
``section_themes``: section_id, theme_id, score, evidence (``term×count; …``, then
``[topic m]`` when the guided topic model contributed), method (lexicon, model or both), one
row per tagged theme.

``article_themes``: article_id, theme_id, score, n_sections. ``score`` is the mean of section
scores (0 where not tagged) weighted by section length; ``n_sections`` counts tagged sections.

``themes``: theme_id, label_ja, label_en, n_sections (tagged sections).
"""

from __future__ import annotations

import bisect
import functools
import itertools
import math
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ._parallel import chunk_ranges, map_in_order
from .errors import TaxonomyError
from .textutil import (
    analysis_form,
    analysis_forms,
    normalize_with_offsets,
    sentence_spans,
    trie_regex,
)
from .topics import GuidedTopicModel
from .vectorize import DocumentTermMatrix

SECTION_THEME_COLUMNS = ["section_id", "theme_id", "score", "evidence", "method"]
# How much the guided topic model can add: score = 1 - (1 - lexical) * (1 - MODEL_WEIGHT * m),
# with m a section's share in the theme's seeded topic. The seeded topic is built from the same
# terms as the lexicon, so its agreement with one weak term is not independent evidence: the
# model corroborates only lexical evidence above one weak term's worth (LEXICAL_FLOOR, raw 0.5),
# and tags on its own only a section almost entirely in the theme's topic (MODEL_ONLY_SHARE).
MODEL_WEIGHT = 0.6
LEXICAL_FLOOR = 1 - math.exp(-0.5)
MODEL_ONLY_SHARE = 0.9
# Below this many sections, worker processes cost more than they save.
PARALLEL_MIN_SECTIONS = 2000
# A model contribution below this is not used (and does not count as evidence in ``method``).
MODEL_EVIDENCE_MIN = 0.1
# Seeded topics that drift this far from their seed terms (cosine) are not used.
MIN_ALIGNMENT = 0.3
ARTICLE_THEME_COLUMNS = ["article_id", "theme_id", "score", "n_sections"]
THEME_COLUMNS = ["theme_id", "label_ja", "label_en", "n_sections"]
DECIMALS = 4
_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_THEME_KEYS = frozenset({"id", "label_ja", "label_en", "description", "terms", "patterns",
                         "exclude", "rules"})
_RULE_KEYS = frozenset({"all", "within", "ordered", "weight"})


UNIDIC_POS = frozenset({
    "名詞", "動詞", "形容詞", "形状詞", "副詞", "連体詞", "接続詞", "感動詞", "代名詞", "接頭辞",
    "接尾辞", "助詞", "助動詞", "記号", "補助記号",
})


@dataclass(frozen=True)
class Rule:
    """Co-occurrence rule (KH Coder's near()/seq()): one term of every group must occur.

    Within one sentence, and with ``within`` set, within that many tokens of each other;
    with ``ordered``, the groups in the order given.
    """

    groups: tuple[tuple[str, ...], ...]
    weight: float
    within: int | None = None
    ordered: bool = False

    def find(self, norm: str, sentences: list[tuple[int, int]], boundaries: set[int],
             vetoed: list[tuple[int, int]]) -> list[str]:
        """Evidence keys, one per sentence where the rule holds."""
        keys: list[str] = []
        if not self.may_hold(norm):
            return keys
        sorted_bounds = sorted(boundaries)
        for s_start, s_end in sentences:
            if self.weight < 1.0 and (s_start, s_end) in vetoed:
                continue
            sentence = norm[s_start:s_end]
            hits: list[list[tuple[int, int, str]]] = []
            for group in self.groups:
                group_hits = []
                for term in group:
                    for pos in _find_all(sentence, term):
                        start, end = s_start + pos, s_start + pos + len(term)
                        if start in boundaries and end in boundaries:
                            group_hits.append((start, end, term))
                if not group_hits:
                    break
                # within a group, a term inside a longer hit (米軍 in 在日米軍) is not separate
                group_hits = [h for h in group_hits if not any(
                    o[0] <= h[0] and h[1] <= o[1] and (o[1] - o[0]) > (h[1] - h[0])
                    for o in group_hits)]
                hits.append(group_hits)
            else:
                combo = self._combination(hits, sorted_bounds)
                if combo is not None:
                    keys.append("+".join(term for _s, _e, term in combo))
        return keys

    def may_hold(self, norm: str) -> bool:
        """Whether every group has a term somewhere in ``norm`` (else :meth:`find` finds
        nothing there)."""
        return all(any(term in norm for term in group) for group in self.groups)

    def _combination(self, hits, sorted_bounds):
        import itertools

        for combo in itertools.product(*hits):
            if self.ordered and any(a[0] >= b[0] for a, b in itertools.pairwise(combo)):
                continue
            if self.within is not None:
                first = min(h[0] for h in combo)
                last = max(h[1] for h in combo)
                lo = bisect.bisect_left(sorted_bounds, first)
                hi = bisect.bisect_left(sorted_bounds, last)
                # tokens spanned by the whole combination, minus the matched ones
                if hi - lo - len(combo) > self.within:
                    continue
            return combo
        return None


@dataclass(frozen=True)
class Theme:
    """One theme of the taxonomy.

    ``terms`` holds ``(matching form, weight, display form, part of speech or None)``; the
    display form (NFKC, case kept) is what evidence strings show. A term written ``基地@名詞``
    in the file only matches where the tokenizer tags it with that part of speech.
    """

    id: str
    label_ja: str
    label_en: str
    description: str
    terms: tuple[tuple[str, float, str, str | None], ...]
    patterns: tuple[tuple[re.Pattern[str], float], ...] = ()
    exclude: tuple[str, ...] = ()
    rules: tuple[Rule, ...] = ()


def normalize_term(text: str) -> str:
    """The matching form of a term: the same normalisation as the text it is matched in."""
    return analysis_form(text)


def load_themes(path: Path, additions: tuple[Path, ...] = ()) -> tuple[Theme, ...]:
    """The taxonomy at ``path`` extended by each file in ``additions`` (see merge_taxonomies)."""
    themes = load_taxonomy(path)
    for extra in additions:
        themes = merge_taxonomies(themes, load_taxonomy(extra))
    return themes


def load_taxonomy(path: Path) -> tuple[Theme, ...]:
    """Read and validate a taxonomy TOML file.

    Raises
    ------
    TaxonomyError
        With the file name, the line where it can be told, and the problem.
    """
    try:
        source = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise TaxonomyError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        raise TaxonomyError(f"{path}: invalid TOML: {exc}") from None
    entries = data.get("theme")
    if not isinstance(entries, list) or not entries:
        raise TaxonomyError(f"{path}: no [[theme]] tables found")
    themes = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        themes.append(_parse_theme(entry, index, path, source, seen))
    return tuple(themes)


def _line_of(source: str, index: int, key: str | None = None) -> int:
    """Line of the ``index``-th ``[[theme]]`` table, or of its line starting with ``key``."""
    lines = source.splitlines()
    blocks = [n for n, line in enumerate(lines, start=1) if line.strip() == "[[theme]]"]
    if index >= len(blocks):
        return 1
    first = blocks[index]
    last = blocks[index + 1] - 1 if index + 1 < len(blocks) else len(lines)
    if key is not None:
        for number in range(first, last + 1):
            stripped = lines[number - 1].lstrip()
            if stripped.startswith(key) and stripped[len(key):].lstrip().startswith("="):
                return number
    return first


def _parse_theme(entry: dict, index: int, path: Path, source: str, seen: set[str]) -> Theme:
    theme_id = entry.get("id")

    def fail(problem: str, key: str | None = None) -> TaxonomyError:
        line = _line_of(source, index, key)
        name = theme_id if isinstance(theme_id, str) else f"#{index + 1}"
        return TaxonomyError(f"{path}:{line}: theme {name}: {problem}")

    unknown = sorted(set(entry) - _THEME_KEYS)
    if unknown:
        raise fail(f"unknown key {unknown[0]!r} (allowed: {', '.join(sorted(_THEME_KEYS))})",
                   unknown[0])
    if not isinstance(theme_id, str) or not _ID_RE.match(theme_id):
        raise fail("'id' must be a lower-case identifier such as 'tariffs'", "id")
    if theme_id in seen:
        raise fail("duplicate id", "id")
    seen.add(theme_id)
    for key in ("label_ja", "label_en"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise fail(f"'{key}' must be a non-empty string", key)
    terms = entry.get("terms", {})
    if not isinstance(terms, dict):
        raise fail("'terms' must be a table of term = weight")
    parsed_terms = []
    for term, weight in terms.items():
        if not term.strip():
            raise fail("empty term")
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0 < weight <= 1:
            raise fail(f"term {term!r}: weight must be a number in (0, 1], got {weight!r}",
                       f'"{term}"')
        text, _, pos = term.strip().partition("@")
        if pos and pos not in UNIDIC_POS:
            raise fail(f"term {term!r}: unknown part of speech {pos!r} "
                       f"(one of {', '.join(sorted(UNIDIC_POS))})", f'"{term}"')
        display = unicodedata.normalize("NFKC", text.strip())
        if not display:
            raise fail(f"term {term!r}: empty", f'"{term}"')
        parsed_terms.append((normalize_term(display), float(weight), display, pos or None))
    patterns = []
    for item in entry.get("patterns", []):
        if isinstance(item, dict) and set(item) - {"regex", "weight"}:
            extra = sorted(set(item) - {"regex", "weight"})[0]
            raise fail(f"unknown key {extra!r} in a pattern (allowed: regex, weight); "
                       "a [[theme.patterns]] table ends at the next table header", f'"{extra}"'
                       if not extra.isascii() else extra)
        if not isinstance(item, dict) or not isinstance(item.get("regex"), str):
            raise fail("each pattern needs a 'regex' string")
        weight = item.get("weight", 1.0)
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0 < weight <= 1:
            raise fail(f"pattern {item['regex']!r}: weight must be a number in (0, 1]")
        try:
            patterns.append((re.compile(normalize_term(item["regex"])), float(weight)))
        except re.error as exc:
            raise fail(f"pattern {item['regex']!r}: invalid regular expression ({exc})",
                       "regex") from None
    if not parsed_terms and not patterns:
        raise fail("needs at least one term or pattern")
    exclude = entry.get("exclude", [])
    if not isinstance(exclude, list) or not all(isinstance(e, str) and e.strip() for e in exclude):
        raise fail("'exclude' must be a list of non-empty strings", "exclude")
    rules = []
    for item in entry.get("rules", []):
        if isinstance(item, dict) and set(item) - _RULE_KEYS:
            extra = sorted(set(item) - _RULE_KEYS)[0]
            raise fail(f"unknown key {extra!r} in a rule (allowed: {', '.join(sorted(_RULE_KEYS))})"
                       "; a [[theme.rules]] table ends at the next table header",
                       f'"{extra}"' if not extra.isascii() else extra)
        groups = item.get("all") if isinstance(item, dict) else None
        if (not isinstance(groups, list) or len(groups) < 2 or not all(
                isinstance(g, list) and g and all(isinstance(t, str) and t.strip() for t in g)
                for g in groups)):
            raise fail("each rule needs 'all': two or more non-empty lists of terms", "all")
        weight = item.get("weight", 1.0)
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0 < weight <= 1:
            raise fail(f"rule {groups!r}: weight must be a number in (0, 1]", "weight")
        within = item.get("within")
        if within is not None and (isinstance(within, bool) or not isinstance(within, int)
                                   or within < 0):
            raise fail(f"rule {groups!r}: 'within' must be a whole number of tokens", "within")
        rules.append(Rule(
            groups=tuple(tuple(normalize_term(t.strip()) for t in g) for g in groups),
            weight=float(weight), within=within, ordered=bool(item.get("ordered", False)),
        ))
    return Theme(
        id=theme_id,
        label_ja=entry["label_ja"].strip(),
        label_en=entry["label_en"].strip(),
        description=str(entry.get("description", "")).strip(),
        terms=tuple(sorted(set(parsed_terms), key=lambda tw: (-len(tw[0]), tw[0]))),
        patterns=tuple(patterns),
        exclude=tuple(normalize_term(e.strip()) for e in exclude),
        rules=tuple(rules),
    )


def _find_all(haystack: str, needle: str) -> list[int]:
    found = []
    start = haystack.find(needle)
    while start >= 0:
        found.append(start)
        start = haystack.find(needle, start + 1)
    return found


@dataclass(frozen=True)
class _Match:
    start: int
    end: int
    theme: int
    weight: float
    key: str


class ThemeMatcher:
    """Finds taxonomy evidence in normalised text; built once per taxonomy.

    Matching is global leftmost-longest: a span covered by a longer term of any theme is not
    also evidence for a shorter term inside it (エネルギー安全保障 is energy, not also
    alliance via 安全保障), while one term listed by several themes counts for each of them
    with that theme's weight. Weights encode a term's specificity for its theme: 1.0 names the
    theme on its own, lower weights need company.
    """

    def __init__(self, themes: tuple[Theme, ...]) -> None:
        self.themes = themes
        entries: dict[str, list[tuple[int, float, str, str | None]]] = {}
        for index, theme in enumerate(themes):
            for term, weight, display, pos in theme.terms:
                entries.setdefault(term, []).append((index, weight, display, pos))
        self._terms = sorted(entries.items(), key=lambda item: (-len(item[0]), item[0]))
        # Term indices by first character: a section is searched only for the terms opening
        # with one of its characters, and `in` rules out most of those at C speed.
        self._by_first: dict[str, list[int]] = {}
        for index, (term, _entries) in enumerate(self._terms):
            self._by_first.setdefault(term[0], []).append(index)
        self._firsts = frozenset(self._by_first)
        # The screen: one regex (a trie, so the engine never backtracks across alternatives)
        # of every term and of each rule's most selective group (its shortest term longest).
        # Where neither it nor a pattern matches, no term occurs and no rule can hold.
        screened = {term for term, _entries in self._terms}
        for theme in themes:
            for rule in theme.rules:
                screened.update(max(rule.groups, key=lambda group: min(map(len, group))))
        self._screen = trie_regex(screened)
        self._term_set = frozenset(term for term, _entries in self._terms)
        self._patterns = [pattern for theme in themes for pattern, _w in theme.patterns]

    def _candidates(self, norm: str) -> list[tuple[str, list]]:
        """The terms occurring in ``norm`` (anywhere), longest first."""
        present = [i for ch in self._firsts.intersection(norm) for i in self._by_first[ch]
                   if self._terms[i][0] in norm]
        return [self._terms[i] for i in sorted(present)]

    def may_match(self, norm: str) -> bool:
        """Whether ``norm`` holds any term, pattern match or rule's terms at all; when not,
        :func:`score_section` finds no evidence in it (a cheap test that skips the section's
        boundaries and sentences)."""
        # Where the screen finds nothing (or there is nothing to screen for), no term occurs
        # and no rule can hold: only a pattern can still match.
        # The screen's match is a term that occurs (most often) or a rule's term.
        hit = self._screen.search(norm) if self._screen is not None else None
        if hit is not None and (
                hit.group() in self._term_set or self._candidates(norm)
                or any(rule.may_hold(norm) for theme in self.themes for rule in theme.rules)):
            return True
        return any(pattern.search(norm) for pattern in self._patterns)

    def matches(self, norm: str, boundaries: set[int],
                pos_at: dict[int, str] | None = None) -> list[_Match]:
        """Term and pattern matches in ``norm`` (terms only on token ``boundaries``)."""
        covered = bytearray(len(norm))  # 1 where a longer (earlier) term already matched
        found: list[_Match] = []
        for term, entries in self._candidates(norm):
            for start in _find_all(norm, term):
                end = start + len(term)
                if start not in boundaries or end not in boundaries:
                    continue
                if 1 in covered[start:end]:
                    continue
                accepted = False
                for theme, weight, display, pos in entries:
                    if pos is not None and (pos_at is None or pos_at.get(start) != pos):
                        continue
                    found.append(_Match(start, end, theme, weight, display))
                    accepted = True
                if accepted:
                    covered[start:end] = b"\x01" * (end - start)
        for index, theme in enumerate(self.themes):
            for pattern, weight in theme.patterns:
                for match in pattern.finditer(norm):
                    found.append(_Match(match.start(), match.end(), index, weight, ""))
        return found


@functools.lru_cache(maxsize=8)
def matcher_for(themes: tuple[Theme, ...]) -> ThemeMatcher:
    """The :class:`ThemeMatcher` of a taxonomy, built once per process (a chunk of articles
    at a time would otherwise build it again: 5 ms, 0.2 s the first time, its regexes)."""
    return ThemeMatcher(themes)


def score_section(
    text: str, boundaries: set[int] | np.ndarray, themes: tuple[Theme, ...] | ThemeMatcher,
    pos_at: dict[int, str] | None = None, form: str | None = None,
) -> dict[str, tuple[float, dict[str, int]]]:
    """Lexical scores of one section's analysis text.

    Parameters
    ----------
    text : str
        The section's analysis text (original characters).
    boundaries : set of int or ndarray of int
        Morpheme boundary offsets into ``text`` (any outside it are ignored).
    themes : tuple of Theme or ThemeMatcher
    pos_at : dict or None
        Part of speech (UniDic pos1) of the token starting at each offset into ``text``, for
        terms restricted to a part of speech.
    form : str or None
        ``analysis_form(text)`` when already computed.

    Returns
    -------
    dict
        theme_id -> (score, {evidence: count}) for every theme with any evidence.
    """
    matcher = themes if isinstance(themes, ThemeMatcher) else matcher_for(tuple(themes))
    norm, starts = normalize_with_offsets(text, form)
    norm_boundaries = _to_normalised(starts, boundaries)
    norm_pos = {starts[b]: p for b, p in (pos_at or {}).items() if 0 <= b < len(starts)}
    sentences = sentence_spans(norm)
    per_theme: dict[int, list[_Match]] = {}
    for match in matcher.matches(norm, norm_boundaries, norm_pos):
        per_theme.setdefault(match.theme, []).append(match)
    result: dict[str, tuple[float, dict[str, int]]] = {}
    for index, theme in enumerate(matcher.themes):
        vetoed = _vetoed_sentences(norm, sentences, theme.exclude)
        counts: dict[str, int] = {}
        weights: dict[str, float] = {}
        for match in per_theme.get(index, ()):
            if match.weight < 1.0 and _in_any(match.start, vetoed):
                continue
            key = match.key or _original_slice(text, starts, match.start, match.end)
            counts[key] = counts.get(key, 0) + 1
            weights[key] = max(match.weight, weights.get(key, 0.0))
        for rule in theme.rules:
            for key in rule.find(norm, sentences, norm_boundaries, vetoed):
                counts[key] = counts.get(key, 0) + 1
                weights[key] = rule.weight
        if not counts:
            continue
        raw = sum(weights[t] * (1.0 + math.log(c)) for t, c in counts.items())
        result[theme.id] = (1.0 - math.exp(-raw), counts)
    return result


def _original_slice(text: str, starts: list[int], norm_start: int, norm_end: int) -> str:
    """The original characters behind a span of the normalised text."""
    first = bisect.bisect_right(starts, norm_start) - 1
    last = bisect.bisect_left(starts, norm_end)
    return text[max(0, first) : min(len(text), last)]


def _vetoed_sentences(norm: str, sentences: list[tuple[int, int]],
                      exclude: tuple[str, ...]) -> list[tuple[int, int]]:
    if not exclude or not any(x in norm for x in exclude):
        return []
    return [(s, e) for s, e in sentences if any(x in norm[s:e] for x in exclude)]


def _in_any(pos: int, spans: list[tuple[int, int]]) -> bool:
    """Whether ``pos`` lies in one of ``spans`` (sorted, non-overlapping sentence spans)."""
    index = bisect.bisect_right(spans, (pos, float("inf"))) - 1
    return index >= 0 and spans[index][0] <= pos < spans[index][1]


def format_evidence(counts: dict[str, int]) -> str:
    """``term×count`` pairs, most frequent first, e.g. ``関税×3; 貿易赤字×1``."""
    ordered = sorted(counts.items(), key=lambda tc: (-tc[1], tc[0]))
    return "; ".join(f"{term}×{count}" for term, count in ordered)


def _boundaries(tokens: pd.DataFrame) -> dict[str, np.ndarray]:
    """Morpheme boundaries per section, as offsets into the article text (int64 arrays, in no
    particular order, an offset possibly more than once).

    A token starting at ``s`` with parts ``p1|p2|…`` has boundaries at ``s``, ``s + len(p1)``,
    ``s + len(p1) + len(p2)`` … (computed column-wise)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if tokens.empty:
        return {}
    # Arrow-backed string columns pass to Arrow without copying.
    columns = pa.Table.from_pandas(tokens[["surface", "parts"]], preserve_index=False)
    surfaces, raw_parts = (columns.column(name).combine_chunks().cast(pa.large_string())
                           for name in ("surface", "parts"))
    # A one-morpheme token whose surface holds "|" has that surface as its parts: no split.
    plain = pc.equal(raw_parts, surfaces)
    parts = pc.split_pattern(pc.if_else(plain, pc.replace_substring(raw_parts, "|", "\x1f"),
                                        raw_parts), "|")
    counts = pc.list_value_length(parts).to_numpy()
    lengths = pc.utf8_length(parts.flatten()).to_numpy().astype(np.int64)
    ends = np.cumsum(lengths)
    first = np.cumsum(counts) - counts
    within = ends - np.repeat(np.where(first > 0, ends[first - 1], 0), counts)
    starts = tokens["char_start"].to_numpy().astype(np.int64)
    positions = np.concatenate([starts, np.repeat(starts, counts) + within])
    codes, section_ids = pd.factorize(tokens["section_id"])
    section_of = np.concatenate([codes, np.repeat(codes, counts)])
    order, runs = _runs(section_of)
    section_of, positions = section_of[order], positions[order]
    return {str(section_ids[section_of[lo]]): positions[lo:hi] for lo, hi in runs}


def _runs(keys: np.ndarray) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """The order that brings equal ``keys`` together (stable: table order within a key), and
    the ``(lo, hi)`` run of each key in that order."""
    order = np.argsort(keys, kind="stable")
    if not len(order):
        return order, []
    ordered = keys[order]
    cuts = np.flatnonzero(ordered[1:] != ordered[:-1]) + 1
    return order, list(itertools.pairwise([0, *cuts.tolist(), len(order)]))


def excluded_spans(
    sentences: pd.DataFrame | None, exclude_kinds: tuple[str, ...]
) -> dict[str, list[tuple[int, int]]]:
    """section_id -> article-offset spans of the sentences of ``exclude_kinds``."""
    if sentences is None or not exclude_kinds or sentences.empty:
        return {}
    chosen = sentences[sentences["kind"].isin(exclude_kinds)]
    spans: dict[str, list[tuple[int, int]]] = {}
    for sid, start, end in zip(chosen["section_id"], chosen["char_start"], chosen["char_end"],
                               strict=True):
        spans.setdefault(sid, []).append((int(start), int(end)))
    return spans


def _blank(text: str, offset: int, spans: list[tuple[int, int]]) -> str:
    """``text`` with the given article-offset spans replaced by spaces (length kept)."""
    chars = list(text)
    for start, end in spans:
        for k in range(max(0, start - offset), min(len(chars), end - offset)):
            chars[k] = " "
    return "".join(chars)


def seed_matrix(themes: tuple[Theme, ...], vocabulary) -> np.ndarray:
    """Seed weights, shape (n_themes, n_terms): a vocabulary term gets the largest weight of
    the theme terms it contains (日米地位協定 seeds sofa through 地位協定)."""
    normalised = analysis_forms([str(v) for v in vocabulary])  # normalize_term of each
    # One string of the whole vocabulary: each theme term is searched once, not per term.
    joined = "\n".join(normalised)
    starts = np.cumsum([0] + [len(v) + 1 for v in normalised[:-1]]) if normalised else []
    seeds = np.zeros((len(themes), len(normalised)))
    for t, theme in enumerate(themes):
        for term, weight, _display, _pos in theme.terms:
            if len(term) < 2:
                continue
            found = _find_all(joined, term)
            if not found:
                continue
            columns = np.searchsorted(starts, found, side="right") - 1
            seeds[t, columns] = np.maximum(seeds[t, columns], weight)
    return seeds


def model_evidence(
    dtm: DocumentTermMatrix, themes: tuple[Theme, ...], random_state: int = 0,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Each section's share in every theme's seeded topic of a guided NMF.

    Returns
    -------
    shares : dict
        section_id -> ndarray of shape (n_themes,), zeros for unusable themes.
    alignment : ndarray of shape (n_themes,)
        Cosine between each fitted seeded topic and its seed (0 where not fitted).
    """
    n_docs = dtm.n_documents
    alignment = np.zeros(len(themes))
    if n_docs < 2 * len(themes) or dtm.matrix.shape[1] == 0:
        return {}, alignment  # too few documents to fit one topic per theme
    seeds = seed_matrix(themes, dtm.terms)
    active = seeds.sum(axis=1) > 0
    if not active.any():
        return {}, alignment
    n_free = max(1, min(10, round(np.sqrt(n_docs) / 2)))
    model = GuidedTopicModel(seeds[active], n_free=n_free, random_state=random_state)
    W = model.fit_transform(dtm.matrix)
    alignment[active] = model.alignment_
    totals = W.sum(axis=1, keepdims=True)
    shares_active = np.divide(W[:, : int(active.sum())], totals, out=np.zeros_like(
        W[:, : int(active.sum())]), where=totals > 0)
    shares_active[:, model.alignment_ < MIN_ALIGNMENT] = 0.0
    shares = np.zeros((n_docs, len(themes)))
    shares[:, active] = shares_active
    return dict(zip(dtm.doc_ids, shares, strict=True)), alignment


def _token_pos(tokens: pd.DataFrame) -> dict[str, dict[int, str]]:
    result: dict[str, dict[int, str]] = {}
    for sid, start, pos in zip(tokens["section_id"], tokens["char_start"], tokens["pos"],
                               strict=True):
        result.setdefault(sid, {})[int(start)] = pos
    return result


LexicalScores = dict[str, dict[str, tuple[float, dict[str, int]]]]


def lexical_scores(
    sections: pd.DataFrame, tokens: pd.DataFrame, themes: tuple[Theme, ...],
    excluded: dict[str, list[tuple[int, int]]] | None = None,
) -> LexicalScores:
    """Lexical evidence of every theme in each section: section_id -> theme_id ->
    ``(score, term counts)``, themes without evidence left out.

    Parameters
    ----------
    sections : DataFrame
        Sections to score (section_id, char_start, analysis_text).
    tokens : DataFrame
        Their tokens (for morpheme boundaries and parts of speech).
    themes : tuple of Theme
    excluded : dict or None
        section_id -> article-offset spans whose text is not evidence.
    """
    excluded = excluded or {}
    matcher = matcher_for(tuple(themes))
    # Most sections hold no term at all: only the others need morpheme boundaries.
    ids, offsets, texts_in = (sections["section_id"].tolist(), sections["char_start"].tolist(),
                              sections["analysis_text"].tolist())
    for index, section_id in enumerate(ids):
        if section_id in excluded:
            texts_in[index] = _blank(texts_in[index], offsets[index], excluded[section_id])
    texts: dict[str, tuple[int, str, str]] = {}
    for section_id, offset, text, form in zip(ids, offsets, texts_in, analysis_forms(texts_in),
                                              strict=True):
        if matcher.may_match(form):
            texts[section_id] = (offset, text, form)
    if not texts:
        return {}
    wanted = tokens["section_id"].isin(texts.keys())
    tokens = tokens[["section_id", "surface", "parts", "char_start", "pos"]][wanted]
    boundaries = _boundaries(tokens)
    pos_by_section = _token_pos(tokens) if any(
        t[3] for theme in themes for t in theme.terms) else {}
    nowhere = np.zeros(0, dtype=np.int64)
    result: LexicalScores = {}
    for section_id, (offset, text, form) in texts.items():
        pos_at = {b - offset: p for b, p in pos_by_section.get(section_id, {}).items()}
        scores = score_section(text, boundaries.get(section_id, nowhere) - offset, matcher,
                               pos_at, form)
        if scores:
            result[section_id] = scores
    return result


def combine_scores(
    section_ids, lexical: LexicalScores, themes: tuple[Theme, ...],
    shares: dict[str, np.ndarray], min_score: float = 0.5,
) -> pd.DataFrame:
    """``section_themes`` from lexical evidence and guided-topic shares (the model only
    strengthens lexical evidence, or stands alone when its share is high)."""
    rows = []
    # Without lexical evidence only a model share this high tags a theme.
    strong: set[str] = set()
    if shares:
        matrix = np.array(list(shares.values()))
        strong = set(itertools.compress(shares, (matrix >= MODEL_ONLY_SHARE).any(axis=1)))
    for section_id in section_ids:
        scores = lexical.get(section_id, {})
        if not scores and section_id not in strong:
            continue
        model = shares.get(section_id)
        for index, theme in enumerate(themes):  # taxonomy order, for stable output
            lexical_score, counts = scores.get(theme.id, (0.0, {}))
            share = float(model[index]) if model is not None else 0.0
            boost = MODEL_WEIGHT * share
            if boost < MODEL_EVIDENCE_MIN or (
                lexical_score <= LEXICAL_FLOOR
                and not (lexical_score == 0 and share >= MODEL_ONLY_SHARE)
            ):
                boost = 0.0
            score = round(1.0 - (1.0 - lexical_score) * (1.0 - boost), DECIMALS)
            if score < min_score or score == 0:
                continue
            used_model = boost >= MODEL_EVIDENCE_MIN
            method = "both" if counts and used_model else ("lexicon" if counts else "model")
            evidence = format_evidence(counts)
            if used_model:
                evidence = f"{evidence}; " if evidence else ""
                evidence += f"[topic {model[index]:.2f}]"
            rows.append((section_id, theme.id, score, evidence, method))
    return pd.DataFrame(rows, columns=SECTION_THEME_COLUMNS)


def _lexical_chunk(job) -> LexicalScores:
    return lexical_scores(*job)


def score_themes(
    sections: pd.DataFrame, tokens: pd.DataFrame, themes: tuple[Theme, ...],
    min_score: float = 0.5, sentences: pd.DataFrame | None = None,
    exclude_kinds: tuple[str, ...] = (), dtm: DocumentTermMatrix | None = None,
    random_state: int = 0, workers: int = 1,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Tag every section with themes and aggregate per article and per theme.

    Parameters
    ----------
    sections : DataFrame
        The ``sections`` table (section_id, article_id, char_start, text, analysis_text).
    tokens : DataFrame
        The ``tokens`` table (for morpheme boundaries).
    themes : tuple of Theme
    min_score : float
        Tagging threshold in [0, 1].
    sentences : DataFrame or None
        The ``sentences`` table, needed with ``exclude_kinds``.
    exclude_kinds : tuple of str
        Sentence kinds whose text is left out of the evidence (e.g. comment, citation).
    dtm : DocumentTermMatrix or None
        TF-IDF of the sections, for the guided topic model; None uses lexical evidence only.
    random_state : int
        Seed of the guided topic model. Pass an int for reproducible output across multiple
        calls.
    workers : int
        Processes to score sections in (from PARALLEL_MIN_SECTIONS sections on); the output
        does not depend on it.

    Returns
    -------
    section_themes, article_themes, themes_table : DataFrame
    """
    excluded = excluded_spans(sentences, exclude_kinds)
    # Sections are scored independently: in chunks, in worker processes for large corpora.
    n_chunks = workers * 4 if workers > 1 and len(sections) >= PARALLEL_MIN_SECTIONS else 1
    jobs = []
    for lo, hi in chunk_ranges(len(sections), n_chunks):
        part = sections.iloc[lo:hi][["section_id", "char_start", "analysis_text"]]
        ids = set(part["section_id"])
        jobs.append((part, tokens[tokens["section_id"].isin(ids)] if n_chunks > 1 else tokens,
                     themes, {k: v for k, v in excluded.items() if k in ids}))
    lexical: LexicalScores = {}
    for chunk in map_in_order(_lexical_chunk, jobs, workers):
        lexical.update(chunk)
    return finish_themes(sections, lexical, themes, min_score, dtm, random_state)


def finish_themes(
    sections: pd.DataFrame, lexical: LexicalScores, themes: tuple[Theme, ...],
    min_score: float = 0.5, dtm: DocumentTermMatrix | None = None, random_state: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The theme tables from per-section lexical evidence (:func:`lexical_scores`) and the
    guided topic model fitted on ``dtm``; see :func:`score_themes`."""
    shares = model_evidence(dtm, themes, random_state)[0] if dtm is not None else {}
    section_themes = combine_scores(sections["section_id"], lexical, themes, shares, min_score)

    indexed = sections.set_index("section_id")
    lengths = indexed["char_end"] - indexed["char_start"]  # the section text's length
    article_of = indexed["article_id"]
    article_length = lengths.groupby(article_of).sum()
    article_rows = []
    if not section_themes.empty:
        theme_order = {t.id: i for i, t in enumerate(themes)}
        article_ids = section_themes["section_id"].map(article_of)
        weighted = (section_themes["score"] * section_themes["section_id"].map(lengths)
                    ).to_numpy(dtype=np.float64)
        article_codes, article_names = pd.factorize(article_ids)
        theme_index = section_themes["theme_id"].map(theme_order).to_numpy(dtype=np.int64)
        # Rows of one (article, theme) together, in table order within it: each sum adds the
        # same values in the same order as a groupby would.
        order, runs = _runs(article_codes * len(themes) + theme_index)
        total_length = article_length.to_dict()
        for lo, hi in runs:
            first = order[lo]
            article_id = article_names[article_codes[first]]
            score = weighted[order[lo:hi]].sum() / max(1, total_length[article_id])
            article_rows.append((article_id, themes[theme_index[first]].id,
                                 round(float(score), DECIMALS), hi - lo, theme_index[first]))
        article_rows.sort(key=lambda r: (r[0], r[4]))
    article_themes = pd.DataFrame([r[:4] for r in article_rows], columns=ARTICLE_THEME_COLUMNS)

    counts = section_themes["theme_id"].value_counts()
    themes_table = pd.DataFrame(
        [(t.id, t.label_ja, t.label_en, int(counts.get(t.id, 0))) for t in themes],
        columns=THEME_COLUMNS,
    )
    return section_themes, article_themes, themes_table


def merge_taxonomies(base: tuple[Theme, ...], extra: tuple[Theme, ...]) -> tuple[Theme, ...]:
    """``base`` extended by ``extra``: a theme with a known id adds its terms (a repeated term
    takes the new weight), patterns, exclusions and rules; a new id is appended."""
    merged = {theme.id: theme for theme in base}
    order = [theme.id for theme in base]
    for theme in extra:
        if theme.id not in merged:
            merged[theme.id] = theme
            order.append(theme.id)
            continue
        old = merged[theme.id]
        terms = {t[0] + "@" + (t[3] or ""): t for t in old.terms}
        terms.update({t[0] + "@" + (t[3] or ""): t for t in theme.terms})
        merged[theme.id] = Theme(
            id=old.id, label_ja=old.label_ja, label_en=old.label_en,
            description=old.description,
            terms=tuple(sorted(terms.values(), key=lambda t: (-len(t[0]), t[0]))),
            patterns=old.patterns + theme.patterns,
            exclude=tuple(dict.fromkeys(old.exclude + theme.exclude)),
            rules=old.rules + theme.rules,
        )
    return tuple(merged[i] for i in order)


CHECK_COLUMNS = ["theme_id", "term", "split", "status", "occurrences"]


def check_taxonomy(
    themes: tuple[Theme, ...], tokenizer, sections: pd.DataFrame | None = None,
    tokens: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Diagnose every term: how the tokenizer splits it, whether it can match at all, and (with
    a corpus) how often it occurs.

    ``status`` is ``ok``, ``never matches: …`` (the tokenizer does not put a boundary at the
    term's edges in running text, or never gives it the required part of speech) or
    ``not in corpus``.

    Returns
    -------
    DataFrame of shape (n_terms, 5)
        theme_id, term, split (morphemes joined by ``|``), status, occurrences (None without
        a corpus).
    """
    texts: list[tuple[str, set[int]]] | None = None
    if sections is not None and tokens is not None:
        texts = [(norm, bounds) for _section, norm, _starts, bounds
                 in _normalised_sections(sections, tokens)]
    rows = []
    for theme in themes:
        for term, _weight, display, pos in theme.terms:
            label = display + (f"@{pos}" if pos else "")
            split, problem = _diagnose(tokenizer, display, pos)
            occurrences = None
            if texts is not None:
                occurrences, inside = _occurrences(term, texts)
                if not problem and occurrences == 0 and inside:
                    problem = (f"occurs {len(inside)}× only inside longer words "
                               f"(e.g. {inside[0]})")
            if problem:
                status = f"never matches: {problem}"
            elif occurrences == 0:
                status = "not in corpus"
            else:
                status = "ok"
            rows.append((theme.id, label, split, status, occurrences))
        for rule in theme.rules:
            for group in rule.groups:
                for term in group:
                    split, problem = _diagnose(tokenizer, term, None)
                    status = f"never matches: {problem}" if problem else "ok"
                    rows.append((theme.id, f"rule: {term}", split, status, None))
    return pd.DataFrame(rows, columns=CHECK_COLUMNS)


def _to_normalised(starts: list[int], offsets) -> set[int]:
    """Offsets into an original text (an integer array or any iterable of them), mapped into
    its normalised form; offsets outside the text are left out."""
    if not isinstance(offsets, np.ndarray):
        offsets = np.fromiter(offsets, np.int64)
    inside = offsets[(offsets >= 0) & (offsets < len(starts))]
    return set(map(starts.__getitem__, inside.tolist()))


def _normalised_sections(sections: pd.DataFrame, tokens: pd.DataFrame):
    """Per section: (row, normalised analysis text, offset map, morpheme boundaries in it)."""
    boundaries = _boundaries(tokens)
    for section in sections.itertuples(index=False):
        offset = section.char_start
        norm, starts = normalize_with_offsets(section.analysis_text)
        own = boundaries.get(section.section_id, np.zeros(0, dtype=np.int64)) - offset
        yield section, norm, starts, _to_normalised(starts, own)


def _occurrences(term: str, texts: list[tuple[str, set[int]]]) -> tuple[int, list[str]]:
    """Matches on token boundaries, and the contexts of occurrences that are not."""
    matched = 0
    inside: list[str] = []
    for norm, bounds in texts:
        for start in _find_all(norm, term):
            end = start + len(term)
            if start in bounds and end in bounds:
                matched += 1
            else:
                inside.append(norm[max(0, start - 2) : end + 2])
    return matched, inside


# Running text a term is tried in: after a noun and a particle, at a sentence start, and
# between particles. A term must start and end on morpheme boundaries in them to match.
_CONTEXTS = ("これは{}です。", "その{}を見た。", "。{}の問題", "政府の{}と")


def _diagnose(tokenizer, term: str, pos: str | None) -> tuple[str, str]:
    split = "|".join(m[0] for m in tokenizer.morphemes(term))
    failures = []
    for context in _CONTEXTS:
        text = context.format(term)
        start = text.index(term)
        end = start + len(term)
        morphemes = tokenizer.morphemes(text)
        starts = {m[5] for m in morphemes}
        ends = {m[5] + len(m[0]) for m in morphemes}
        if start in starts and end in ends:
            if pos is not None:
                first = next(m for m in morphemes if m[5] == start)
                if first[1] != pos:
                    return split, f"tagged {first[1]}, not {pos}"
            return split, ""
        failures.append("|".join(m[0] for m in morphemes))
    return split, f"the tokenizer splits across its edges in running text ({failures[0]})"


KWIC_COLUMNS = ["section_id", "left", "term", "right", "char_start"]


def kwic(sections: pd.DataFrame, tokens: pd.DataFrame, term: str, width: int = 20) -> pd.DataFrame:
    """Keyword in context: every occurrence of ``term`` (normalised, on token boundaries).

    Returns
    -------
    DataFrame of shape (n_occurrences, 5)
        section_id, left context, the term as written, right context, char_start (offset of
        the occurrence in the article text).
    """
    needle = normalize_term(term.strip())
    rows = []
    if not needle:
        return pd.DataFrame(rows, columns=KWIC_COLUMNS)
    for section, norm, starts, bounds in _normalised_sections(sections, tokens):
        text = section.analysis_text
        offset = section.char_start
        for start in _find_all(norm, needle):
            end = start + len(needle)
            if start not in bounds or end not in bounds:
                continue
            first = bisect.bisect_left(starts, start)
            last = bisect.bisect_left(starts, end)
            left = text[max(0, first - width):first].replace("\n", " ")
            right = text[last:last + width].replace("\n", " ")
            rows.append((section.section_id, left, text[first:last], right, offset + first))
    return pd.DataFrame(rows, columns=KWIC_COLUMNS)
