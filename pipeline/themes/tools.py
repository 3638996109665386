"""Tools for taxonomy authors: ``themes check`` diagnostics and keyword in context."""

from __future__ import annotations

import bisect

import pandas as pd

from .matching import _find_all, normalised_sections
from .taxonomy import Taxonomy, normalize_term

CHECK_COLUMNS = ["theme_id", "term", "kind", "split", "status", "occurrences"]


def check_taxonomy(
    themes: Taxonomy, tokenizer, sections: pd.DataFrame | None = None,
    tokens: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Diagnose every term: how the tokenizer splits it, whether it can match at all, and (with
    a corpus) how often it occurs.

    ``status`` is ``ok``, ``never matches: …`` (the tokenizer does not put a boundary at the
    term's edges in running text, or never gives it the required part of speech) or
    ``not in corpus``.

    Returns
    -------
    DataFrame of shape (n_terms, 6)
        theme_id, term, kind (issue: evidence on its own; context: only with the theme's
        issue words or beside issue evidence), split (morphemes joined by ``|``), status,
        occurrences (None without a corpus).
    """
    texts: list[tuple[str, set[int]]] | None = None
    if sections is not None and tokens is not None:
        texts = [(norm, bounds) for _section, norm, _starts, bounds
                 in normalised_sections(sections, tokens)]
    rows = []
    for theme in themes:
        for entry in theme.terms:
            term, display, pos = entry.form, entry.display, entry.pos
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
            rows.append((theme.id, label, entry.kind, split, status, occurrences))
        for rule in theme.rules:
            for group in rule.groups:
                for term in group:
                    split, problem = _diagnose(tokenizer, term, None)
                    status = f"never matches: {problem}" if problem else "ok"
                    rows.append((theme.id, f"rule: {term}", "issue", split, status, None))
    return pd.DataFrame(rows, columns=CHECK_COLUMNS)


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
    for section, norm, starts, bounds in normalised_sections(sections, tokens):
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
