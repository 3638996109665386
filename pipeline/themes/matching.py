"""Theme evidence in a section: which taxonomy terms occur, where, and in what company.

Matching works on the NFKC-normalised analysis text (boilerplate masked; ASCII letters folded
to lower case). A term matches where it occurs *and* starts and ends on a morpheme boundary
from the tokenizer, so 米軍 does not fire inside an unrelated longer word that the tokenizer
keeps whole. Overlaps resolve leftmost-longest across the whole taxonomy (エネルギー安全保障
is energy, not also alliance via 安全保障).

What each match is worth depends on its sentence:

- an issue term is issue evidence, unless a ``[[veto]]`` that applies to ``all`` holds in the
  sentence, or (weight below 1) one of the theme's ``exclude`` terms does;
- a context term directly followed by a proper-noun suffix (中国 in 中国電力) is no match;
  in a sentence with a veto (sport, entertainment …) it does not count; in a sentence that
  holds one of the theme's ``with`` words it is issue evidence (``中国+軍事``); elsewhere it is
  context that only corroborates.

The result per section and theme is a :class:`ThemeEvidence` record; how it becomes a score is
:mod:`pipeline.themes.scoring`'s business.
"""

from __future__ import annotations

import bisect
import functools
import itertools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..tables import NO_THEME_KINDS
from ..textutil import analysis_forms, normalize_with_offsets, sentence_spans, trie_regex
from .taxonomy import CONTEXT, Rule, Taxonomy, Theme

# A section's first line is its headline (the title of a lead, a section's heading) when the
# section has more lines and the line is this short.
HEADLINE_MAX_CHARS = 80


@dataclass
class ThemeEvidence:
    """What one section holds for one theme.

    Attributes
    ----------
    issue : dict
        Issue evidence (a term as written, a rule's terms joined by ``+``) -> count.
    issue_weights : dict
        Evidence key -> weight.
    pairs : dict
        Context terms in a sentence with one of the theme's ``with`` words
        (``中国+軍事``) -> count.
    pair_weights : dict
        Pair key -> the context term's weight.
    context : dict
        Context terms outside any issue sentence -> count (they only corroborate).
    context_weights : dict
        Context term -> weight.
    sentence_mass : float
        Sum over the section's sentences of the strongest issue evidence weight in each.
    pair_mass : float
        The same over the sentences whose strongest evidence is a pair.
    n_sentences : int
        Sentences of the section (at least 1).
    headline : bool
        Whether the section's headline holds issue evidence.
    core : float
        Weight of the strongest issue *term* (not a pair or rule) found.
    context_mass : float
        Sum over the sentences without issue evidence of the strongest context term in each.
    framed : bool
        Whether the pairs are context terms corroborated by the article's lead
        (:func:`~pipeline.themes.scoring.framed_evidence`), not by words of their sentence.
    """

    issue: dict[str, int] = field(default_factory=dict)
    issue_weights: dict[str, float] = field(default_factory=dict)
    pairs: dict[str, int] = field(default_factory=dict)
    pair_weights: dict[str, float] = field(default_factory=dict)
    context: dict[str, int] = field(default_factory=dict)
    context_weights: dict[str, float] = field(default_factory=dict)
    sentence_mass: float = 0.0
    pair_mass: float = 0.0
    n_sentences: int = 1
    headline: bool = False
    core: float = 0.0
    context_mass: float = 0.0
    framed: bool = False


# section_id -> theme_id -> evidence, for the sections and themes with any evidence.
SectionEvidence = dict[str, dict[str, ThemeEvidence]]


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
    kind: str = "issue"


class ThemeMatcher:
    """Finds taxonomy terms in normalised text; built once per taxonomy (:func:`matcher_for`).

    One term listed by several themes counts for each of them with that theme's weight and
    kind.
    """

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self.themes = taxonomy.themes
        entries: dict[str, list[tuple[int, object]]] = {}
        for index, theme in enumerate(self.themes):
            for term in theme.terms:
                entries.setdefault(term.form, []).append((index, term))
        self._terms = sorted(entries.items(), key=lambda item: (-len(item[0]), item[0]))
        # Term indices by first character: a section is searched only for the terms that
        # open with one of its characters.
        self._by_first: dict[str, list[int]] = {}
        for index, (form, _entries) in enumerate(self._terms):
            self._by_first.setdefault(form[0], []).append(index)
        self._firsts = frozenset(self._by_first)
        # The screen: one regex (a trie) of every term and of each rule's most selective
        # group; where neither it nor a pattern matches, no term occurs and no rule can hold.
        screened = set(entries)
        for theme in self.themes:
            for rule in theme.rules:
                screened.update(max(rule.groups, key=lambda group: min(map(len, group))))
        self._screen = trie_regex(screened)
        self._patterns = [pattern for theme in self.themes for pattern, _w in theme.patterns]
        self._suffixes = taxonomy.proper_noun_suffixes

    def _candidates(self, norm: str) -> list[tuple[str, list]]:
        """The terms occurring in ``norm`` (anywhere), longest first."""
        present = [i for ch in self._firsts.intersection(norm) for i in self._by_first[ch]
                   if self._terms[i][0] in norm]
        return [self._terms[i] for i in sorted(present)]

    def may_match(self, norm: str) -> bool:
        """Whether ``norm`` holds any term, pattern match or rule's terms at all; when not,
        :func:`section_evidence` finds nothing in it."""
        if self._screen is not None and self._screen.search(norm):
            return True
        return any(pattern.search(norm) for pattern in self._patterns)

    def _part_of_name(self, norm: str, end: int) -> bool:
        return any(norm.startswith(suffix, end) for suffix in self._suffixes)

    def matches(self, norm: str, boundaries: set[int],
                pos_at: dict[int, str] | None = None) -> list[_Match]:
        """Term and pattern matches in ``norm`` (terms only on token ``boundaries``)."""
        covered = bytearray(len(norm))  # 1 where a longer (earlier) term already matched
        found: list[_Match] = []
        for form, entries in self._candidates(norm):
            for start in _find_all(norm, form):
                end = start + len(form)
                if start not in boundaries or end not in boundaries:
                    continue
                if 1 in covered[start:end]:
                    continue
                accepted = False
                for theme, term in entries:
                    if term.pos is not None and (pos_at is None or pos_at.get(start) != term.pos):
                        continue
                    if term.kind == CONTEXT and self._part_of_name(norm, end):
                        continue
                    found.append(_Match(start, end, theme, term.weight, term.display, term.kind))
                    accepted = True
                if accepted:
                    covered[start:end] = b"\x01" * (end - start)
        for index, theme in enumerate(self.themes):
            for pattern, weight in theme.patterns:
                for match in pattern.finditer(norm):
                    found.append(_Match(match.start(), match.end(), index, weight, ""))
        return found


@functools.lru_cache(maxsize=8)
def matcher_for(taxonomy: Taxonomy) -> ThemeMatcher:
    """The :class:`ThemeMatcher` of a taxonomy, built once per process."""
    return ThemeMatcher(taxonomy)


def _as_taxonomy(themes) -> Taxonomy:
    return themes if isinstance(themes, Taxonomy) else Taxonomy(tuple(themes))


def _sentence_of(sentences: list[tuple[int, int]], pos: int) -> int:
    """Index of the sentence holding ``pos`` (sorted, non-overlapping spans), or -1."""
    index = bisect.bisect_right(sentences, (pos, float("inf"))) - 1
    if index >= 0 and sentences[index][0] <= pos < sentences[index][1]:
        return index
    return -1


def _sentences_with(norm: str, sentences: list[tuple[int, int]], words) -> set[int]:
    """Indices of the sentences holding any of ``words`` (anywhere)."""
    return set(_words_in(norm, sentences, words))


def _distinct_terms(norm: str, terms) -> int:
    """How many different ``terms`` the text holds, a term inside a longer one found at the
    same place not counted (江戸幕府 is one term, not also 幕府)."""
    taken: list[tuple[int, int]] = []
    found = 0
    for term in sorted(terms, key=len, reverse=True):
        if term not in norm:
            continue
        spans = [(start, start + len(term)) for start in _find_all(norm, term)]
        free = [(a, b) for a, b in spans if not any(a < y and x < b for x, y in taken)]
        if free:
            found += 1
        taken += spans
    return found


def _words_in(norm: str, sentences: list[tuple[int, int]], words,
              boundaries: set[int] | None = None) -> dict[int, list[tuple[int, str]]]:
    """Sentence index -> every ``(start, word)`` of ``words`` (on ``boundaries``, when
    given), in text order."""
    found: dict[int, list[tuple[int, str]]] = {}
    for word in words:
        if word not in norm:
            continue
        for start in _find_all(norm, word):
            if boundaries is not None and (start not in boundaries
                                           or start + len(word) not in boundaries):
                continue
            index = _sentence_of(sentences, start)
            if index >= 0:
                found.setdefault(index, []).append((start, word))
    for hits in found.values():
        hits.sort()
    return found


def _partner(hits, match: _Match, norm: str) -> str | None:
    """The first with-word of the sentence that can corroborate ``match``: not the context
    term again (米軍 does not corroborate 米軍) nor a word around it (電力 inside 東京電力)."""
    term = norm[match.start:match.end]
    for start, word in hits:
        overlaps = start < match.end and match.start < start + len(word)
        if not overlaps and word != term:
            return word
    return None


def _rule_hits(rule: Rule, norm: str, sentences: list[tuple[int, int]], boundaries: set[int],
               skipped: set[int]) -> list[tuple[int, str]]:
    """``(sentence index, evidence key)`` for each sentence where ``rule`` holds."""
    hits_found: list[tuple[int, str]] = []
    if not rule.may_hold(norm):
        return hits_found
    sorted_bounds = sorted(boundaries)
    for index, (s_start, s_end) in enumerate(sentences):
        if index in skipped:
            continue
        sentence = norm[s_start:s_end]
        hits: list[list[tuple[int, int, str]]] = []
        for group in rule.groups:
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
            combo = _combination(rule, hits, sorted_bounds)
            if combo is not None:
                hits_found.append((index, "+".join(term for _s, _e, term in combo)))
    return hits_found


def _combination(rule: Rule, hits, sorted_bounds):
    for combo in itertools.product(*hits):
        if rule.ordered and any(a[0] >= b[0] for a, b in itertools.pairwise(combo)):
            continue
        if rule.within is not None:
            first = min(h[0] for h in combo)
            last = max(h[1] for h in combo)
            lo = bisect.bisect_left(sorted_bounds, first)
            hi = bisect.bisect_left(sorted_bounds, last)
            # tokens spanned by the whole combination, minus the matched ones
            if hi - lo - len(combo) > rule.within:
                continue
        return combo
    return None


def section_evidence(
    text: str, boundaries: set[int] | np.ndarray, themes: Taxonomy | ThemeMatcher,
    pos_at: dict[int, str] | None = None, form: str | None = None,
) -> dict[str, ThemeEvidence]:
    """Theme evidence in one section's analysis text.

    Parameters
    ----------
    text : str
        The section's analysis text (original characters).
    boundaries : set of int or ndarray of int
        Morpheme boundary offsets into ``text`` (any outside it are ignored).
    themes : Taxonomy or ThemeMatcher
    pos_at : dict or None
        Part of speech (UniDic pos1) of the token starting at each offset into ``text``, for
        terms restricted to a part of speech.
    form : str or None
        ``analysis_form(text)`` when already computed.

    Returns
    -------
    dict
        theme_id -> :class:`ThemeEvidence`, for every theme with any evidence.
    """
    matcher = themes if isinstance(themes, ThemeMatcher) else matcher_for(_as_taxonomy(themes))
    norm, starts = normalize_with_offsets(text, form)
    bounds = _to_normalised(starts, boundaries)
    norm_pos = {starts[b]: p for b, p in (pos_at or {}).items() if 0 <= b < len(starts)}
    sentences = sentence_spans(norm) or [(0, len(norm))]
    per_theme: dict[int, list[_Match]] = {}
    for match in matcher.matches(norm, bounds, norm_pos):
        per_theme.setdefault(match.theme, []).append(match)
    if not per_theme and not any(rule.may_hold(norm) for theme in matcher.themes
                                 for rule in theme.rules):
        return {}
    vetoed_all: set[int] = set()
    vetoed_context: set[int] = set()
    for veto in matcher.taxonomy.vetoes:
        if veto.section_min and _distinct_terms(norm, veto.terms) >= veto.section_min:
            hit = set(range(len(sentences)))  # the whole section is in the veto's context
        else:
            hit = _sentences_with(norm, sentences, veto.terms)
        (vetoed_all if veto.applies_to == "all" else vetoed_context).update(hit)
    vetoed_context |= vetoed_all
    headline = _headline_end(norm)
    result: dict[str, ThemeEvidence] = {}
    for index, theme in enumerate(matcher.themes):
        evidence = _theme_evidence(theme, per_theme.get(index, []), norm, text, starts,
                                   sentences, bounds, vetoed_all, vetoed_context, headline)
        if evidence is not None:
            result[theme.id] = evidence
    return result


def _headline_end(norm: str) -> int:
    """End of the section's headline in ``norm``, or 0 when it has none."""
    first = norm.find("\n")
    if first <= 0 or first > HEADLINE_MAX_CHARS or not norm[first:].strip():
        return 0
    return first


def _theme_evidence(theme: Theme, matches: list[_Match], norm: str, text: str, starts,
                    sentences, bounds, vetoed_all: set[int], vetoed_context: set[int],
                    headline: int) -> ThemeEvidence | None:
    excluded = _sentences_with(norm, sentences, theme.exclude) if theme.exclude else set()
    with_words = (_words_in(norm, sentences, theme.with_words, bounds)
                  if any(m.kind == CONTEXT for m in matches) else {})
    evidence = ThemeEvidence(n_sentences=len(sentences))
    # Per kind of evidence: its counts and weights, and each sentence's strongest weight.
    found = {"issue": (evidence.issue, evidence.issue_weights),
             "pair": (evidence.pairs, evidence.pair_weights),
             "context": (evidence.context, evidence.context_weights)}
    masses: dict[str, dict[int, float]] = {kind: {} for kind in found}

    def add(kind: str, key: str, weight: float, sentence: int, start: int) -> None:
        counts, weights = found[kind]
        counts[key] = counts.get(key, 0) + 1
        weights[key] = max(weight, weights.get(key, 0.0))
        masses[kind][sentence] = max(weight, masses[kind].get(sentence, 0.0))
        if kind != "context" and start < headline:
            evidence.headline = True

    for match in matches:
        sentence = _sentence_of(sentences, match.start)
        if sentence in vetoed_all or (match.weight < 1.0 and sentence in excluded):
            continue
        key = match.key or _original_slice(text, starts, match.start, match.end)
        if match.kind != CONTEXT:
            add("issue", key, match.weight, sentence, match.start)
            evidence.core = max(evidence.core, match.weight)
        elif sentence in vetoed_context:
            continue
        elif (partner := _partner(with_words.get(sentence, ()), match, norm)) is not None:
            add("pair", f"{key}+{_original_word(partner, norm, text, starts)}",
                match.weight, sentence, match.start)
        else:
            add("context", key, match.weight, sentence, match.start)
    skipped = vetoed_all | (excluded if theme.rules else set())
    for rule in theme.rules:
        for sentence, key in _rule_hits(rule, norm, sentences, bounds,
                                        skipped if rule.weight < 1.0 else vetoed_all):
            add("issue", key, rule.weight, sentence, sentences[sentence][0])
    if not evidence.issue and not evidence.pairs and not evidence.context:
        return None
    issue, pair, context = masses["issue"], masses["pair"], masses["context"]
    evidence.sentence_mass = sum(issue.values())
    evidence.pair_mass = sum(w for i, w in pair.items() if i not in issue)
    evidence.context_mass = sum(w for i, w in context.items() if i not in issue and i not in pair)
    return evidence


def _original_word(word: str, norm: str, text: str, starts) -> str:
    """A with-word as the text writes it (its first occurrence)."""
    start = norm.find(word)
    return _original_slice(text, starts, start, start + len(word)) if start >= 0 else word


def _original_slice(text: str, starts: list[int], norm_start: int, norm_end: int) -> str:
    """The original characters behind a span of the normalised text."""
    first = bisect.bisect_right(starts, norm_start) - 1
    last = bisect.bisect_left(starts, norm_end)
    return text[max(0, first) : min(len(text), last)]


def format_evidence(counts: dict[str, int]) -> str:
    """``term×count`` pairs, most frequent first, e.g. ``関税×3; 貿易赤字×1``."""
    ordered = sorted(counts.items(), key=lambda tc: (-tc[1], tc[0]))
    return "; ".join(f"{term}×{count}" for term, count in ordered)


def _to_normalised(starts: list[int], offsets) -> set[int]:
    """Offsets into an original text (an integer array or any iterable of them), mapped into
    its normalised form; offsets outside the text are left out."""
    if not isinstance(offsets, np.ndarray):
        offsets = np.fromiter(offsets, np.int64)
    inside = offsets[(offsets >= 0) & (offsets < len(starts))]
    return set(map(starts.__getitem__, inside.tolist()))


def morpheme_boundaries(tokens: pd.DataFrame) -> dict[str, np.ndarray]:
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


def _heading_only(sections: pd.DataFrame) -> pd.Series:
    """Body sections whose text is their heading line alone (judged on the text's lines, not
    the analysed text, where a repeated heading may be blanked)."""
    one_line = (sections["line_start"] == sections["line_end"] if "line_end" in sections
                else ~sections["text"].str.strip().str.contains("\n", regex=False))
    kind = sections["kind"] if "kind" in sections else pd.Series("body", index=sections.index)
    return (sections["heading"].fillna("") != "") & one_line & (kind == "body")


def _blank(text: str, offset: int, spans: list[tuple[int, int]]) -> str:
    """``text`` with the given article-offset spans replaced by spaces (length kept)."""
    chars = list(text)
    for start, end in spans:
        for k in range(max(0, start - offset), min(len(chars), end - offset)):
            chars[k] = " "
    return "".join(chars)


def _token_pos(tokens: pd.DataFrame) -> dict[str, dict[int, str]]:
    result: dict[str, dict[int, str]] = {}
    for sid, start, pos in zip(tokens["section_id"], tokens["char_start"], tokens["pos"],
                               strict=True):
        result.setdefault(sid, {})[int(start)] = pos
    return result


def lexical_evidence(
    sections: pd.DataFrame, tokens: pd.DataFrame, themes: Taxonomy,
    excluded: dict[str, list[tuple[int, int]]] | None = None,
) -> SectionEvidence:
    """Theme evidence in each section: section_id -> theme_id -> :class:`ThemeEvidence`,
    sections and themes without evidence left out.

    Parameters
    ----------
    sections : DataFrame
        Sections to search (section_id, char_start, analysis_text).
    tokens : DataFrame
        Their tokens (for morpheme boundaries and parts of speech).
    themes : Taxonomy
    excluded : dict or None
        section_id -> article-offset spans whose text is not evidence.
    """
    excluded = excluded or {}
    if "kind" in sections:
        # Notes, source lists and contact blocks name topics; they do not discuss them.
        sections = sections[~sections["kind"].isin(NO_THEME_KINDS)]
    if "heading" in sections:
        # Nor does a bare heading (a chapter's title over its sub-sections): its sub-sections
        # carry the themes it announces.
        sections = sections[~_heading_only(sections)]
    taxonomy = _as_taxonomy(themes)
    matcher = matcher_for(taxonomy)
    ids, offsets, texts_in = (sections["section_id"].tolist(), sections["char_start"].tolist(),
                              sections["analysis_text"].tolist())
    for index, section_id in enumerate(ids):
        if section_id in excluded:
            texts_in[index] = _blank(texts_in[index], offsets[index], excluded[section_id])
    # Most sections hold no term at all: only the others need morpheme boundaries.
    texts: dict[str, tuple[int, str, str]] = {}
    for section_id, offset, text, form in zip(ids, offsets, texts_in, analysis_forms(texts_in),
                                              strict=True):
        if matcher.may_match(form):
            texts[section_id] = (offset, text, form)
    if not texts:
        return {}
    wanted = tokens["section_id"].isin(texts.keys())
    tokens = tokens[["section_id", "surface", "parts", "char_start", "pos"]][wanted]
    boundaries = morpheme_boundaries(tokens)
    pos_by_section = _token_pos(tokens) if any(
        t.pos for theme in taxonomy for t in theme.terms) else {}
    nowhere = np.zeros(0, dtype=np.int64)
    result: SectionEvidence = {}
    for section_id, (offset, text, form) in texts.items():
        pos_at = {b - offset: p for b, p in pos_by_section.get(section_id, {}).items()}
        found = section_evidence(text, boundaries.get(section_id, nowhere) - offset, matcher,
                                 pos_at, form)
        if found:
            result[section_id] = found
    return result


def normalised_sections(sections: pd.DataFrame, tokens: pd.DataFrame):
    """Per section: (row, normalised analysis text, offset map, morpheme boundaries in it)."""
    boundaries = morpheme_boundaries(tokens)
    for section in sections.itertuples(index=False):
        offset = section.char_start
        norm, starts = normalize_with_offsets(section.analysis_text)
        own = boundaries.get(section.section_id, np.zeros(0, dtype=np.int64)) - offset
        yield section, norm, starts, _to_normalised(starts, own)
